/// The per-frame vector kernels of `FrameAnalyzer` and `FeatureExtractor`: short loops over `SIMD16<Float>` (one
/// zmm in the AVX-512 family, two ymm in the AVX2 family, four xmm in the baseline family) with a scalar tail.
///
/// Reductions accumulate in a fixed lane order (lane l sums elements ≡ l mod 16, then a fixed pairwise horizontal
/// sum, then the scalar tail in ascending order), so a result depends only on the input values, never on the
/// chunking or on the run: chunked output stays bit-identical. `acc += a * b` (not `addProduct`): it is not
/// contracted to FMA, and `addProduct` is a libm call per lane in the baseline family (objdump shows the `fmaf` calls),
/// so every family computes the same values bit for bit; only the speed differs.
/// Element-wise kernels do exactly the scalar operations of the original loops, in the same order per element.
enum FrameKernels {
    typealias Vector = SIMD16<Float>
    static let lanes = 16

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// The fixed pairwise sum of the 16 lanes: (0..7 + 8..15), then (0..3 + 4..7), (0,1 + 2,3), 0 + 1.
    @inline(__always)
    static func horizontalSum(_ v: Vector) -> Float {
        let a = v.lowHalf + v.highHalf
        let b = a.lowHalf + a.highHalf
        let c = b.lowHalf + b.highHalf
        return c[0] + c[1]
    }

    /// Σ x[i], i < n.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector()
        var i = 0
        while i &+ lanes <= n {
            acc += load(x + i)
            i &+= lanes
        }
        var total = horizontalSum(acc)
        while i < n {
            total += x[i]
            i &+= 1
        }
        return total
    }

    /// Σ (x[i] − offset)², i < n (the element values of `x[i] -= offset`, squared and summed).
    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int, minus offset: Float = 0) -> Float {
        let o = Vector(repeating: offset)
        var acc = Vector()
        var i = 0
        while i &+ lanes <= n {
            let y = load(x + i) - o
            acc += y * y
            i &+= lanes
        }
        var total = horizontalSum(acc)
        while i < n {
            let y = x[i] - offset
            total += y * y
            i &+= 1
        }
        return total
    }

    /// Σ a[i]·b[i], i < n, n a multiple of 16 (rows zero-padded to whole vectors).
    @inline(__always)
    static func paddedDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector()
        var i = 0
        while i < n {
            acc += load(a + i) * load(b + i)
            i &+= lanes
        }
        return horizontalSum(acc)
    }

    /// out[i] = x[i] · scale, i < n.
    @inline(__always)
    static func scaledCopy(
        _ x: UnsafePointer<Float>, _ n: Int, scale: Float, into out: UnsafeMutablePointer<Float>
    ) {
        let s = Vector(repeating: scale)
        var i = 0
        while i &+ lanes <= n {
            store(load(x + i) * s, out + i)
            i &+= lanes
        }
        while i < n {
            out[i] = x[i] * scale
            i &+= 1
        }
    }

    /// out[k] = re² + im² of the interleaved complex bins (re, im) k < bins, or its square root when `magnitude`
    /// (`RealFFT.spectrum`'s arithmetic, element by element).
    static func powerSpectrum(
        _ complex: UnsafePointer<Float>, bins: Int, magnitude: Bool, into out: UnsafeMutablePointer<Float>
    ) {
        if magnitude {
            for k in 0..<bins {
                let (re, im) = (complex[2 &* k], complex[2 &* k &+ 1])
                out[k] = (re * re + im * im).squareRoot()
            }
        } else {
            for k in 0..<bins {
                let (re, im) = (complex[2 &* k], complex[2 &* k &+ 1])
                out[k] = re * re + im * im
            }
        }
    }

    /// out[r] = paddedDot(weights + offsets[r], x + firsts[r], widths[r]) for r < rows: a filter bank or DCT
    /// whose rows are zero-padded to whole vectors (`PaddedRows`).
    static func paddedRows(
        _ weights: UnsafePointer<Float>, offsets: UnsafePointer<Int>, firsts: UnsafePointer<Int>,
        widths: UnsafePointer<Int>, rows: Int, _ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        for r in 0..<rows { out[r] = paddedDot(weights + offsets[r], x + firsts[r], widths[r]) }
    }

    /// The frame as the FFT input, i < n: y[i] = x[i] − mean (DC removal), z[i] = y[i] − p·y[i−1] (pre-emphasis,
    /// z[0] = y[0] − p·y[0]), out[i] = z[i] · window[i]. With p = 0 the pre-emphasis is skipped (out = y · window),
    /// as the scalar code did. Rounding per element is that of the separate in-place passes.
    @inline(__always)
    static func centreEmphasiseWindow(
        _ x: UnsafePointer<Float>, _ n: Int, mean: Float, preemphasis p: Float, window w: UnsafePointer<Float>,
        into out: UnsafeMutablePointer<Float>
    ) {
        guard n > 0 else { return }
        let m = Vector(repeating: mean)
        if p == 0 {
            var i = 0
            while i &+ lanes <= n {
                store((load(x + i) - m) * load(w + i), out + i)
                i &+= lanes
            }
            while i < n {
                out[i] = (x[i] - mean) * w[i]
                i &+= 1
            }
            return
        }
        let y0 = x[0] - mean
        out[0] = (y0 - p * y0) * w[0]
        let pv = Vector(repeating: p)
        var i = 1
        while i &+ lanes <= n {
            let y = load(x + i) - m
            let previous = load(x + (i &- 1)) - m
            store((y - pv * previous) * load(w + i), out + i)
            i &+= lanes
        }
        while i < n {
            out[i] = ((x[i] - mean) - p * (x[i &- 1] - mean)) * w[i]
            i &+= 1
        }
    }
}
