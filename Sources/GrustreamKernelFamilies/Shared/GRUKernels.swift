import GrustreamKernelInterface

/// The GRU kernels. Every matrix product (input projections of one frame, of a chunk or window of frames, of B
/// streams; recurrent products; the head) goes through `product`, which computes each output as
///     acc = bias[r];  for k in 0..<K { acc = acc + W[r, k] · x[k] }
/// in that order, one multiply-add per k, 16 rows at a time in the lanes of a SIMD16 (weights packed as
/// `PanelMatrix` panels). How outputs are grouped into register blocks (4 panels × 1 column, 1 panel × 4 columns)
/// changes which ones are computed together, never the arithmetic of one output: a frame's result does not depend
/// on how frames or streams are grouped, and chunked, batched, windowed and single-frame outputs are equal bit for bit.
///
/// The multiply-add: in the FMA families (`GRUSTREAM_FMA`, Package.swift) a fused `addProduct`; in the
/// baseline family `acc += a * b`, a multiply then an add (Swift never contracts them; `addProduct` without FMA
/// in the target would be libm `fmaf` calls). Each family is exact with itself; they differ in the last bits.
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

    /// Register blocks of SIMD16 accumulators: 8 in the AVX-512 family (`GRUSTREAM_AVX512`: 8 of its 32 zmm),
    /// 4 in the AVX2 family (`GRUSTREAM_FMA`: 8 of AVX2's 16 ymm), else 2 (8 of SSE's 16 xmm); more would spill,
    /// fewer leave the multiply-add units waiting on their latency.
    #if GRUSTREAM_AVX512
        typealias Accumulators = InlineArray<8, Vector>
    #elseif GRUSTREAM_FMA
        typealias Accumulators = InlineArray<4, Vector>
    #else
        typealias Accumulators = InlineArray<2, Vector>
    #endif
    static var block: Int { Accumulators.count }

    /// outputs[c * outputStride + r] = bias[r] + Σ_k W[r, k] · inputs[c * inputStride + k], k in order, for every
    /// column c < count and row r < paddedWidth(W.rows) (padding rows get 0 or the padding of `bias`).
    /// - bias: [paddedWidth(W.rows)] or nil (zeros)
    /// - inputs: [count] columns of W.columns floats; outputs: [count] columns of paddedWidth(W.rows) floats
    /// Several columns (chunks, batches) share each weight load: panels outer, blocks of columns inner, so a
    /// panel stays in L1 for all of them. A single column runs `block` panels at once.
    static func product(
        _ w: PanelMatrix, bias: UnsafePointer<Float>?, inputs: UnsafePointer<Float>, inputStride: Int, count: Int,
        outputs: UnsafeMutablePointer<Float>, outputStride: Int, reversed: Bool = false
    ) {
        let k = w.columns
        let blocked = count - count % block
        if blocked > 0 {
            func seed(_ p: Int) -> Vector { bias.map { load($0 + 16 * p) } ?? Vector() }
            /// body(c) for the first column c of each block of `block` columns.
            func blocks(_ body: (Int) -> Void) {
                var c = 0
                while c < blocked {
                    body(c)
                    c += block
                }
            }
            var p = 0
            #if GRUSTREAM_AVX512
                // Two panels per pass: each input value is loaded once for 2 × 8 accumulators (16 of the 32 zmm),
                // so the loop is bound by the multiply-adds, not by the loads.
                while p + 2 <= w.panelCount {
                    let (panels, seeds, first) = (w.panels + p * 16 * k, (seed(p), seed(p + 1)), 16 * p)
                    blocks { c in
                        twoPanelsTimesColumns(
                            panels, k, seeds, inputs + c * inputStride, inputStride, outputs + c * outputStride + first,
                            outputStride)
                    }
                    p += 2
                }
            #endif
            while p < w.panelCount {
                let (panel, bias, first) = (w.panels + p * 16 * k, seed(p), 16 * p)
                blocks { c in
                    panelTimesColumns(
                        panel, k, bias, inputs + c * inputStride, inputStride, outputs + c * outputStride + first,
                        outputStride)
                }
                p += 1
            }
        }
        // One column: `block` panels at a time, then the rest in blocks of 4, 2, 1 (independent chains, overlapped
        // by the CPU). `reversed` visits the same blocks last to first: a caller alternating it from frame to frame
        // finds the panels it used last still in L1 (a matrix applied frame after frame is larger than L1).
        let full = w.panelCount - w.panelCount % block
        let rest = w.panelCount - full
        let four = block > 4 && rest >= 4 ? 4 : 0
        let two = block > 2 && rest - four >= 2 ? 2 : 0
        let one = rest - four - two
        for c in blocked..<count {
            let x = inputs + c * inputStride
            let out = outputs + c * outputStride
            func panels<let n: Int>(_ accumulators: InlineArray<n, Vector>, at p: Int) {
                var acc = accumulators
                panelsTimesColumn(&acc, w.panels + p * 16 * k, k, bias.map { $0 + 16 * p }, x, out + 16 * p)
            }
            func remainder() {
                if four > 0 { panels(InlineArray<4, Vector>(repeating: Vector()), at: full) }
                if two > 0 { panels(InlineArray<2, Vector>(repeating: Vector()), at: full + four) }
                if one > 0 { panels(InlineArray<1, Vector>(repeating: Vector()), at: full + four + two) }
            }
            if reversed {
                remainder()
                for p in stride(from: full - block, through: 0, by: -block) {
                    panels(Accumulators(repeating: Vector()), at: p)
                }
            } else {
                for p in stride(from: 0, to: full, by: block) { panels(Accumulators(repeating: Vector()), at: p) }
                remainder()
            }
        }
    }

    /// 16 × n rows (n consecutive panels of K columns each) times one column x [K].
    @inline(__always)
    static func panelsTimesColumn<let n: Int>(
        _ acc: inout InlineArray<n, Vector>, _ panels: UnsafePointer<Float>, _ k: Int, _ bias: UnsafePointer<Float>?,
        _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>
    ) {
        if let bias { for b in 0..<n { acc[b] = load(bias + 16 * b) } }
        for j in 0..<k {
            let s = x[j]
            for b in 0..<n { multiplyAdd(&acc[b], load(panels + (b &* k &+ j) &* 16), s) }
        }
        for b in 0..<n { store(acc[b], out + 16 * b) }
    }

    #if GRUSTREAM_AVX512
        /// 32 rows (two consecutive panels of K columns) times `block` columns x_c [K] at stride `inputStride`: the
        /// same multiply-adds, in the same k order per output, as two `panelTimesColumns`.
        @inline(__always)
        static func twoPanelsTimesColumns(
            _ panels: UnsafePointer<Float>, _ k: Int, _ seeds: (Vector, Vector), _ x: UnsafePointer<Float>,
            _ inputStride: Int, _ out: UnsafeMutablePointer<Float>, _ outputStride: Int
        ) {
            var first = Accumulators(repeating: seeds.0)
            var second = Accumulators(repeating: seeds.1)
            let next = panels + 16 &* k
            for j in 0..<k {
                let w0 = load(panels + 16 &* j)
                let w1 = load(next + 16 &* j)
                for c in 0..<block {
                    let s = x[c &* inputStride &+ j]
                    multiplyAdd(&first[c], w0, s)
                    multiplyAdd(&second[c], w1, s)
                }
            }
            for c in 0..<block {
                store(first[c], out + c &* outputStride)
                store(second[c], out + c &* outputStride + 16)
            }
        }
    #endif

    /// 16 rows (one panel of K columns) times `block` columns x_c [K] at stride `inputStride`.
    @inline(__always)
    static func panelTimesColumns(
        _ panel: UnsafePointer<Float>, _ k: Int, _ seed: Vector, _ x: UnsafePointer<Float>, _ inputStride: Int,
        _ out: UnsafeMutablePointer<Float>, _ outputStride: Int
    ) {
        var acc = Accumulators(repeating: seed)
        for j in 0..<k {
            let w = load(panel + 16 &* j)
            for c in 0..<block { multiplyAdd(&acc[c], w, x[c &* inputStride &+ j]) }
        }
        for c in 0..<block { store(acc[c], out + c &* outputStride) }
    }
}
