/// precise-runner's `TriggerDetector` (precise_runner/runner.py, 0.3.1), one update per chunk of audio:
///
///     hot = score > 1 − sensitivity
///     if hot or activation < 0:
///         activation += 1
///         fired = activation > trigger_level
///         if fired or (hot and activation < 0): activation = −(8 · 2048) // chunk_bytes   (floor division)
///         return fired
///     elif activation > 0: activation −= 1
///     return false
///
/// So: hot chunks count up, cold chunks count down to 0; the chunk that takes the count above `trigger_level`
/// fires; then a refractory wait of 8 chunks of 2048 bytes (scaled to the chunk size) in which every hot chunk
/// restarts the wait.
public struct PreciseTrigger: Sendable, Equatable {
    public var sensitivity: Double
    public var triggerLevel: Int
    public var chunkBytes: Int
    public private(set) var activation = 0

    public init(sensitivity: Double = 0.5, triggerLevel: Int = 3, chunkBytes: Int = 2048) {
        self.sensitivity = sensitivity
        self.triggerLevel = triggerLevel
        self.chunkBytes = chunkBytes
    }

    /// −(8 · 2048) // chunk_bytes, with Python's floor division.
    public var refractory: Int {
        let n = 8 * 2048
        let q = n / chunkBytes
        return -(q * chunkBytes == n ? q : q + 1)
    }

    /// Whether this chunk's score is hot.
    public func isHot(_ score: Double) -> Bool { score > 1.0 - sensitivity }

    /// One chunk's score; true when it fires.
    public mutating func update(_ score: Double) -> Bool {
        let hot = isHot(score)
        if hot || activation < 0 {
            activation += 1
            let fired = activation > triggerLevel
            if fired || (hot && activation < 0) { activation = refractory }
            return fired
        } else if activation > 0 {
            activation -= 1
        }
        return false
    }

    public mutating func reset() { activation = 0 }

    /// Continue from a saved counter (`PreciseDetector`'s state snapshot).
    mutating func restore(activation: Int) { self.activation = activation }
}
