import Foundation

/// Processing latencies in log-spaced buckets (about 4% wide, 1 µs … 10 s): percentiles without storing
/// samples or allocating after construction.
public struct LatencyHistogram: Sendable {
    private static let bucketsPerDecade = 60.0
    private var counts = [Int](repeating: 0, count: 7 * 60 + 2)
    public private(set) var count = 0

    public init() {}

    public mutating func record(nanoseconds: UInt64) {
        let microseconds = max(Double(nanoseconds) / 1000, 1)
        let index = min(counts.count - 1, Int((log10(microseconds) * Self.bucketsPerDecade).rounded(.down)))
        counts[index] += 1
        count += 1
    }

    /// The `p`-th percentile (0…100) in microseconds (upper edge of its bucket); 0 when empty.
    public func percentile(_ p: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = Int((Double(count) * p / 100).rounded(.up))
        var seen = 0
        for (index, c) in counts.enumerated() {
            seen += c
            if seen >= max(rank, 1) { return (pow(10, Double(index + 1) / Self.bucketsPerDecade) * 10).rounded() / 10 }
        }
        return 0
    }

    public mutating func reset() {
        for i in counts.indices { counts[i] = 0 }
        count = 0
    }
}
