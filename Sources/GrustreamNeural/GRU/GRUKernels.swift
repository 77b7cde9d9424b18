/// The GRU kernels. Every matrix product (input projections of one frame, of a chunk or window of frames, of B
/// streams; recurrent products; the head) goes through `product`, which computes each output as
///     acc = bias[r];  for k in 0..<K { acc = acc + W[r, k] · x[k] }
/// in that order, one multiply-add per k, 16 rows at a time in the lanes of a SIMD16 (weights packed as
/// `PanelMatrix` panels). How outputs are grouped into register blocks (4 panels × 1 column, 1 panel × 4 columns)
/// changes which ones are computed together, never the arithmetic of one output: a frame's result does not depend
/// on how frames or streams are grouped, and chunked, batched, windowed and single-frame outputs are equal bit for bit.
///
/// The multiply-add: with `GRUSTREAM_FMA` defined (set it only with a target CPU that has FMA, e.g.
/// `-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DGRUSTREAM_FMA`) a fused `addProduct`; otherwise
/// `acc += a * b`, a multiply then an add (Swift never contracts them; `addProduct` without FMA in the target
/// would be libm `fmaf` calls, STYLE.md). Each build is exact with itself; the two differ in the last bits.
enum GRUKernels {
    typealias Vector = SIMD16<Float>

    @inline(__always)
    static func multiplyAdd(_ acc: inout Vector, _ w: Vector, _ x: Float) {
        #if GRUSTREAM_FMA
        acc.addProduct(w, x)
        #else
        acc += w * x
        #endif
    }

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// Register blocks: 4 SIMD16 accumulators (8 ymm on an FMA target, which has AVX2's 16 ymm registers), or 2
    /// (8 xmm of SSE's 16) on the portable x86-64 target; more would spill.
    #if GRUSTREAM_FMA
    static let block = 4
    #else
    static let block = 2
    #endif

    /// outputs[c * outputStride + r] = bias[r] + Σ_k W[r, k] · inputs[c * inputStride + k], k in order, for every
    /// column c < count and row r < paddedWidth(W.rows) (padding rows get 0 or the padding of `bias`).
    /// - bias: [paddedWidth(W.rows)] or nil (zeros)
    /// - inputs: [count] columns of W.columns floats; outputs: [count] columns of paddedWidth(W.rows) floats
    /// Several columns (chunks, batches) share each weight load: panels outer, blocks of columns inner, so a
    /// panel stays in L1 for all of them. A single column runs `block` panels at once.
    static func product(
        _ w: PanelMatrix, bias: UnsafePointer<Float>?, inputs: UnsafePointer<Float>, inputStride: Int, count: Int,
        outputs: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        let k = w.columns
        let blocked = count - count % block
        if blocked > 0 {
            for p in 0..<w.panelCount {
                let seed = bias.map { load($0 + 16 * p) } ?? Vector()
                var c = 0
                while c < blocked {
                    panelTimesColumns(
                        w.panels + p * 16 * k, k, seed, inputs + c * inputStride, inputStride,
                        outputs + c * outputStride + 16 * p, outputStride)
                    c += block
                }
            }
        }
        for c in blocked..<count {
            let x = inputs + c * inputStride
            let out = outputs + c * outputStride
            var p = 0
            while p + block <= w.panelCount {
                panelsTimesColumn(w.panels + p * 16 * k, k, bias.map { $0 + 16 * p }, x, out + 16 * p)
                p += block
            }
            while p < w.panelCount {
                var acc = bias.map { load($0 + 16 * p) } ?? Vector()
                let panel = w.panels + p * 16 * k
                for j in 0..<k { multiplyAdd(&acc, load(panel + 16 * j), x[j]) }
                store(acc, out + 16 * p)
                p += 1
            }
        }
    }

    /// 16 × `block` rows (consecutive panels of K columns each) times one column x [K].
    @inline(__always)
    static func panelsTimesColumn(
        _ panels: UnsafePointer<Float>, _ k: Int, _ bias: UnsafePointer<Float>?, _ x: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>
    ) {
        var a0 = Vector(), a1 = Vector()
        let p1 = panels + 16 * k
        #if GRUSTREAM_FMA
        var a2 = Vector(), a3 = Vector()
        let p2 = panels + 32 * k, p3 = panels + 48 * k
        if let bias { (a2, a3) = (load(bias + 32), load(bias + 48)) }
        #endif
        if let bias { (a0, a1) = (load(bias), load(bias + 16)) }
        for j in 0..<k {
            let s = x[j]
            multiplyAdd(&a0, load(panels + 16 * j), s)
            multiplyAdd(&a1, load(p1 + 16 * j), s)
            #if GRUSTREAM_FMA
            multiplyAdd(&a2, load(p2 + 16 * j), s)
            multiplyAdd(&a3, load(p3 + 16 * j), s)
            #endif
        }
        store(a0, out)
        store(a1, out + 16)
        #if GRUSTREAM_FMA
        store(a2, out + 32)
        store(a3, out + 48)
        #endif
    }

    /// 16 rows (one panel of K columns) times `block` columns x_c [K] at stride `inputStride`.
    @inline(__always)
    static func panelTimesColumns(
        _ panel: UnsafePointer<Float>, _ k: Int, _ seed: Vector, _ x: UnsafePointer<Float>, _ inputStride: Int,
        _ out: UnsafeMutablePointer<Float>, _ outputStride: Int
    ) {
        var a0 = seed, a1 = seed
        let x1 = x + inputStride
        #if GRUSTREAM_FMA
        var a2 = seed, a3 = seed
        let x2 = x + 2 * inputStride, x3 = x + 3 * inputStride
        #endif
        for j in 0..<k {
            let w = load(panel + 16 * j)
            multiplyAdd(&a0, w, x[j])
            multiplyAdd(&a1, w, x1[j])
            #if GRUSTREAM_FMA
            multiplyAdd(&a2, w, x2[j])
            multiplyAdd(&a3, w, x3[j])
            #endif
        }
        store(a0, out)
        store(a1, out + outputStride)
        #if GRUSTREAM_FMA
        store(a2, out + 2 * outputStride)
        store(a3, out + 3 * outputStride)
        #endif
    }
}
