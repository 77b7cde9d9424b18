/// Dense kernels of the training graph. Row-major matrices; the left operand may be read transposed through
/// its strides, so one product routine serves the forward projections (X·Wᵀ), the backward input gradients
/// (dG·W) and the weight gradients (dGᵀ·X). Register tiles: 4 rows × 8 columns with `acc += a * b` in the
/// baseline family (8 of SSE's 16 registers; `addProduct` would be libm `fmaf` calls there); in the FMA
/// families, 4 rows × 2 vectors (16 columns with AVX2, 32 with AVX-512: 8 accumulators, enough independent
/// fused multiply-adds to cover their latency), then the 4 × 8 tile, then single columns.
/// The baseline family's results do not depend on the CPU (the demo models are made with it).
enum TrainingKernels {
    #if GRUSTREAM_AVX512
        typealias Wide = SIMD16<Float>
    #else
        typealias Wide = SIMD8<Float>
    #endif

    @inline(__always)
    static func multiplyAdd<V: SIMD>(_ acc: inout V, _ a: Float, _ b: V) where V.Scalar == Float {
        #if GRUSTREAM_FMA
            acc.addProduct(V(repeating: a), b)
        #else
            acc += V(repeating: a) * b
        #endif
    }

    /// C[m, n] (= or +=) Σ_k A(m, k) · B[k, n] for m < rows, n < columns, k < depth.
    /// - a: A(m, k) = a[m * aRowStride + k * aColumnStride]
    /// - b: [depth, ldb] row-major; c: [rows, ldc] row-major.
    static func multiply(
        rows: Int, columns: Int, depth: Int,
        a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        // Long products (the weight gradients sum over steps × batch rows) are cut into blocks of `depthBlock`
        // rows of B, so that the block stays in L2 while every row tile of C passes over it.
        let depthBlock = 256
        if depth > depthBlock {
            var k0 = 0
            while k0 < depth {
                multiply(
                    rows: rows, columns: columns, depth: min(depthBlock, depth - k0), a: a + k0 * aColumnStride,
                    aRowStride: aRowStride, aColumnStride: aColumnStride, b: b + k0 * ldb, ldb: ldb, c: c, ldc: ldc,
                    accumulate: accumulate || k0 > 0)
                k0 += depthBlock
            }
            return
        }
        let fullColumns = columns & ~7
        var m0 = 0
        while m0 < rows {
            let tile = min(4, rows - m0)
            let a0 = a + m0 * aRowStride
            let a1 = a0 + (tile > 1 ? aRowStride : 0)
            let a2 = a0 + (tile > 2 ? 2 * aRowStride : 0)
            let a3 = a0 + (tile > 3 ? 3 * aRowStride : 0)
            var n0 = 0
            #if GRUSTREAM_FMA
                let w = Wide.scalarCount
                while n0 + 2 * w <= columns {
                    var c00 = Wide()
                    var c01 = Wide()
                    var c10 = Wide()
                    var c11 = Wide()
                    var c20 = Wide()
                    var c21 = Wide()
                    var c30 = Wide()
                    var c31 = Wide()
                    var bp = UnsafeRawPointer(b + n0)
                    var k = 0
                    while k < depth {
                        let b0 = bp.loadUnaligned(as: Wide.self)
                        let b1 = bp.loadUnaligned(fromByteOffset: w * 4, as: Wide.self)
                        let kc = k * aColumnStride
                        multiplyAdd(&c00, a0[kc], b0)
                        multiplyAdd(&c01, a0[kc], b1)
                        multiplyAdd(&c10, a1[kc], b0)
                        multiplyAdd(&c11, a1[kc], b1)
                        multiplyAdd(&c20, a2[kc], b0)
                        multiplyAdd(&c21, a2[kc], b1)
                        multiplyAdd(&c30, a3[kc], b0)
                        multiplyAdd(&c31, a3[kc], b1)
                        bp += ldb * 4
                        k += 1
                    }
                    store(c00, c + m0 * ldc + n0, accumulate)
                    store(c01, c + m0 * ldc + n0 + w, accumulate)
                    if tile > 1 {
                        store(c10, c + (m0 + 1) * ldc + n0, accumulate)
                        store(c11, c + (m0 + 1) * ldc + n0 + w, accumulate)
                    }
                    if tile > 2 {
                        store(c20, c + (m0 + 2) * ldc + n0, accumulate)
                        store(c21, c + (m0 + 2) * ldc + n0 + w, accumulate)
                    }
                    if tile > 3 {
                        store(c30, c + (m0 + 3) * ldc + n0, accumulate)
                        store(c31, c + (m0 + 3) * ldc + n0 + w, accumulate)
                    }
                    n0 += 2 * w
                }
            #endif
            while n0 < fullColumns {
                var c0 = SIMD8<Float>()
                var c1 = SIMD8<Float>()
                var c2 = SIMD8<Float>()
                var c3 = SIMD8<Float>()
                var bp = b + n0
                var k = 0
                while k < depth {
                    let bv = UnsafeRawPointer(bp).loadUnaligned(as: SIMD8<Float>.self)
                    let kc = k * aColumnStride
                    multiplyAdd(&c0, a0[kc], bv)
                    multiplyAdd(&c1, a1[kc], bv)
                    multiplyAdd(&c2, a2[kc], bv)
                    multiplyAdd(&c3, a3[kc], bv)
                    bp += ldb
                    k += 1
                }
                store(c0, c + m0 * ldc + n0, accumulate)
                if tile > 1 { store(c1, c + (m0 + 1) * ldc + n0, accumulate) }
                if tile > 2 { store(c2, c + (m0 + 2) * ldc + n0, accumulate) }
                if tile > 3 { store(c3, c + (m0 + 3) * ldc + n0, accumulate) }
                n0 += 8
            }
            if fullColumns < columns {
                for r in 0..<tile {
                    let ar = a0 + r * aRowStride
                    for n in fullColumns..<columns {
                        var sum: Float = 0
                        for k in 0..<depth { sum += ar[k * aColumnStride] * b[k * ldb + n] }
                        let out = c + (m0 + r) * ldc + n
                        out.pointee = accumulate ? out.pointee + sum : sum
                    }
                }
            }
            m0 += 4
        }
    }

    @inline(__always)
    private static func store<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>, _ accumulate: Bool)
    where V.Scalar == Float {
        let raw = UnsafeMutableRawPointer(p)
        if accumulate {
            raw.storeBytes(of: raw.loadUnaligned(as: V.self) + v, as: V.self)
        } else {
            raw.storeBytes(of: v, as: V.self)
        }
    }

    /// out[c, r] = m[r, c] for a [rows, columns] matrix.
    static func transpose(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            for c in 0..<columns { out[c * rows + r] = m[r * columns + c] }
        }
    }

    /// sums[n] += Σ_m x[m, n] for a [rows, columns] matrix (bias gradients).
    static func addColumnSums(
        _ x: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows {
            let row = x + r * columns
            for c in 0..<columns { sums[c] += row[c] }
        }
    }

    /// Each row of [rows, columns] += bias [columns].
    static func addBias(_ bias: UnsafePointer<Float>, to x: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        for r in 0..<rows {
            let row = x + r * columns
            for c in 0..<columns { row[c] += bias[c] }
        }
    }
}
