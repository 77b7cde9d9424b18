/// Per-dimension normalisation of the final vectors, in place.
/// - `global`: x ← (x − mean) / std (std missing = 1), arrays from the model file or the pipeline.
/// - `sliding`: causal CMVN over the last W frames including the current one (fewer at the stream start:
///   unlike Kaldi's `apply-cmvn-sliding`, no future frames are used). x ← x − mean, and with
///   `cmvn_variance` x ← (x − mean) / √max(var, floor). Sums are kept in Double and recomputed from the
///   window every W frames, so the result depends only on the frame sequence.
final class Normaliser {
    let mode: NormalisationMode
    let dimension: Int
    private let mean: UnsafeMutableBufferPointer<Float>
    private let inverseStd: UnsafeMutableBufferPointer<Float>
    private let window: Int
    private let normaliseVariance: Bool
    private let varianceFloor: Double
    private let history: UnsafeMutableBufferPointer<Float>
    private let sum: UnsafeMutableBufferPointer<Double>
    private let sumSquares: UnsafeMutableBufferPointer<Double>
    private var seen = 0

    init(options: NormalisationOptions, dimension: Int) {
        mode = options.mode
        self.dimension = dimension
        mean = .copy(mode == .global ? options.mean : [])
        inverseStd = .copy(
            mode == .global
                ? (options.std.isEmpty ? [Float](repeating: 1, count: dimension) : options.std.map { 1 / $0 }) : [])
        window = options.windowFrames
        normaliseVariance = options.normaliseVariance
        varianceFloor = Double(options.varianceFloor)
        let historyCount = mode == .sliding ? window * dimension : 0
        history = .copy([Float](repeating: 0, count: historyCount))
        sum = .allocate(capacity: mode == .sliding ? dimension : 0)
        sumSquares = .allocate(capacity: mode == .sliding ? dimension : 0)
        sum.initialize(repeating: 0)
        sumSquares.initialize(repeating: 0)
    }

    deinit {
        for b in [mean, inverseStd, history] { b.deallocate() }
        sum.deallocate()
        sumSquares.deallocate()
    }

    func reset() {
        seen = 0
        sum.update(repeating: 0)
        sumSquares.update(repeating: 0)
    }

    @inline(__always)
    func apply(_ x: UnsafeMutablePointer<Float>) {
        switch mode {
        case .none:
            return
        case .global:
            for i in 0..<dimension { x[i] = (x[i] - mean[i]) * inverseStd[i] }
        case .sliding:
            slide(x)
        }
    }

    private func slide(_ x: UnsafeMutablePointer<Float>) {
        let d = dimension
        let slot = history.baseAddress! + (seen % window) * d
        if seen >= window {
            for i in 0..<d {
                let old = Double(slot[i])
                sum[i] -= old
                sumSquares[i] -= old * old
            }
        }
        for i in 0..<d {
            slot[i] = x[i]
            let v = Double(x[i])
            sum[i] += v
            sumSquares[i] += v * v
        }
        seen += 1
        let count = min(seen, window)
        if seen % window == 0 { recompute(count) }
        let scale = 1 / Double(count)
        for i in 0..<d {
            let m = sum[i] * scale
            var y = Double(x[i]) - m
            if normaliseVariance {
                let variance = max(sumSquares[i] * scale - m * m, varianceFloor)
                y /= variance.squareRoot()
            }
            x[i] = Float(y)
        }
    }

    /// Exact sums over the frames in the window (bounds the drift of the running sums).
    private func recompute(_ count: Int) {
        let d = dimension
        for i in 0..<d {
            var s = 0.0
            var q = 0.0
            for f in 0..<count {
                let v = Double(history[f * d + i])
                s += v
                q += v * v
            }
            sum[i] = s
            sumSquares[i] = q
        }
    }
}
