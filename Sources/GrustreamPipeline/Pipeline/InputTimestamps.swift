/// The input timestamps of one stream's most recent sample frames, by stream frame index: a ring of `capacity`
/// (a power of two) `Double`s, allocated once when the first timestamps arrive. A feature frame looks up its
/// last input row's timestamp when it is published; `capacity` covers every row that can still be waiting.
struct InputTimestamps: ~Copyable {
    /// A power of two.
    let capacity: Int
    private var stamps: UnsafeMutablePointer<Double>?
    /// Stream frame index after the newest timestamp kept.
    private(set) var end = 0

    /// Room for `frames` waiting input frames (rounded up to a power of two, at most 2^23).
    init(waitingFrames frames: Int) {
        capacity = 1 << (Int.bitWidth - min(max(frames, 2) - 1, 1 << 22).leadingZeroBitCount)
    }

    deinit { stamps?.deallocate() }

    var isEmpty: Bool { stamps == nil }

    private mutating func storage() -> UnsafeMutablePointer<Double> {
        if let stamps { return stamps }
        let made = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
        made.initialize(repeating: .nan, count: capacity)
        stamps = made
        return made
    }

    /// Keep `count` timestamps of the frames from stream index `start` (NaN beyond `timestamps`).
    mutating func store(_ timestamps: UnsafeBufferPointer<Double>, from start: Int, count: Int) {
        let stamps = storage()
        let mask = capacity - 1
        for k in 0..<count { stamps[(start + k) & mask] = k < timestamps.count ? timestamps[k] : .nan }
        end = start + count
    }

    /// The timestamp of stream frame `index`, when it was given and is still kept.
    func value(at index: Int) -> Double? {
        guard let stamps, index >= 0, index < end, end - index <= capacity else { return nil }
        let value = stamps[index & (capacity - 1)]
        return value.isFinite ? value : nil
    }

    /// Continue `previous` (a reload): its newest timestamps, as many as fit.
    mutating func continueFrom(_ previous: borrowing InputTimestamps) {
        guard !previous.isEmpty else { return }
        let stamps = storage()
        end = previous.end
        for index in max(0, end - min(capacity, previous.capacity))..<end {
            stamps[index & (capacity - 1)] = previous.value(at: index) ?? .nan
        }
    }
}
