/// Streaming deltas (Kaldi `add-deltas`, see `DeltaWindow`): keeps the last 2M+1 base frames (M = order·N),
/// emits frame t once frame t+M has arrived (latency M frames), and at the end of the stream emits the last
/// M frames with the final frame replicated. Output: [base, delta, delta-delta], each `baseDimension` values.
final class DeltaStage {
    let baseDimension: Int
    let order: Int
    /// Lookahead in frames, order · N.
    let latency: Int
    let outputDimension: Int
    private let capacity: Int
    private let ring: UnsafeMutableBufferPointer<Float>
    private let output: UnsafeMutableBufferPointer<Float>
    /// [order][2·o·N+1] regression weights, packed; window o starts at `windowStart[o]`, width 2·(o+1)·N+1.
    private let weights: UnsafeMutableBufferPointer<Float>
    private var windowStart: [Int]
    private let n: Int
    private var received = 0
    private var emitted = 0

    init(baseDimension: Int, order: Int, window n: Int) {
        self.baseDimension = baseDimension
        self.order = order
        self.n = n
        latency = order * n
        outputDimension = baseDimension * (1 + order)
        capacity = 2 * latency + 1
        ring = .copy([Float](repeating: 0, count: capacity * baseDimension))
        output = .copy([Float](repeating: 0, count: outputDimension))
        let windows = DeltaWindow.windows(order: order, n: n)
        windowStart = []
        var packed: [Float] = []
        for w in windows {
            windowStart.append(packed.count)
            packed += w.map { Float($0) }
        }
        weights = .copy(packed)
    }

    deinit {
        ring.deallocate()
        output.deallocate()
        weights.deallocate()
    }

    func reset() {
        received = 0
        emitted = 0
    }

    /// Adds base frame `x` (`baseDimension` values); emits every frame now complete.
    @inline(__always)
    func push(_ x: UnsafePointer<Float>, emit: (UnsafeMutableBufferPointer<Float>) -> Void) {
        if order == 0 {
            for i in 0..<baseDimension { output[i] = x[i] }
            emitted += 1
            received += 1
            emit(output)
            return
        }
        let slot = ring.baseAddress! + (received % capacity) * baseDimension
        for i in 0..<baseDimension { slot[i] = x[i] }
        received += 1
        while emitted + latency < received {
            compute(emitted, last: received - 1)
            emitted += 1
            emit(output)
        }
    }

    /// End of stream: emits the frames still waiting for lookahead, replicating the last frame.
    func finish(emit: (UnsafeMutableBufferPointer<Float>) -> Void) {
        guard order > 0 else { return }
        while emitted < received {
            compute(emitted, last: received - 1)
            emitted += 1
            emit(output)
        }
    }

    private func frame(_ t: Int, last: Int) -> UnsafeMutablePointer<Float> {
        let clamped = min(max(t, 0), last)
        return ring.baseAddress! + (clamped % capacity) * baseDimension
    }

    private func compute(_ t: Int, last: Int) {
        let d = baseDimension
        let out = output.baseAddress!
        let base = frame(t, last: last)
        for i in 0..<d { out[i] = base[i] }
        for o in 1...order {
            let reach = o * n
            let w = weights.baseAddress! + windowStart[o - 1]
            let dst = out + o * d
            for i in 0..<d { dst[i] = 0 }
            for j in 0...(2 * reach) {
                let weight = w[j]
                if weight == 0 { continue }
                let src = frame(t + j - reach, last: last)
                for i in 0..<d { dst[i] += weight * src[i] }
            }
        }
    }
}
