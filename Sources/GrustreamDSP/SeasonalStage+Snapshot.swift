extension SeasonalStage {
    /// Largest magnitude of a restored frame count: 2^53, where Doubles stop holding every integer.
    static let maximumCount = 9_007_199_254_740_992.0

    /// The whole state as named arrays of numbers (Doubles hold every Float exactly): `seasonal_counts`
    /// [given period, search frames, dimension, period, frames seen, frames decomposed], `seasonal_ring` and
    /// `seasonal_estimate` ([rings' size × dimension]), `seasonal_sums` [dimension] and, while the period is
    /// searched, `seasonal_kept` [frames seen × dimension]. A restored stage continues bit for bit, without a new
    /// period search once the saved one had ended.
    public func snapshot() -> [String: [Double]] {
        let keptFrames = seen < searchFrames ? seen : 0
        return [
            "seasonal_counts": [givenPeriod, searchFrames, dimension, period, seen, decomposed].map(Double.init),
            "seasonal_ring": ring.map(Double.init),
            "seasonal_estimate": Array(seasonal),
            "seasonal_sums": Array(sum),
            "seasonal_kept": kept.prefix(keptFrames * dimension).map(Double.init),
        ]
    }

    /// Put back a state from `snapshot()`. Throws, changing nothing, when it was saved by a stage of another
    /// configuration or does not hold together (hostile or corrupt input: every count and length is checked, every
    /// value must be finite and the frames within Float's range).
    public func restore(_ values: [String: [Double]]) throws {
        func array(_ key: String, count: Int, frames: Bool = false) throws -> [Double] {
            guard let a = values[key] else { throw SeasonalStateError("decomposition state has no \"\(key)\"") }
            guard a.count == count else {
                throw SeasonalStateError(
                    "decomposition state \"\(key)\" has \(a.count) values, expected \(count) for this configuration")
            }
            let limit = frames ? Double(Float.greatestFiniteMagnitude) : Double.greatestFiniteMagnitude
            guard a.allSatisfy({ $0.isFinite && abs($0) <= limit }) else {
                throw SeasonalStateError("decomposition state \"\(key)\" holds a non-finite or out-of-range value")
            }
            return a
        }
        let counts = try array("seasonal_counts", count: 6)
        guard counts.allSatisfy({ $0 >= 0 && $0 <= Self.maximumCount && $0 == $0.rounded() }) else {
            throw SeasonalStateError(
                "decomposition state \"seasonal_counts\" \(counts) holds a value that is not a count")
        }
        let config = [givenPeriod, searchFrames, dimension].map(Double.init)
        guard Array(counts[0..<3]) == config else {
            throw SeasonalStateError(
                "decomposition saved with period \(Int(counts[0])), search \(Int(counts[1])) frames, dimension "
                    + "\(Int(counts[2])); this stage has \(givenPeriod), \(searchFrames), \(dimension)")
        }
        let (savedPeriod, savedSeen, savedDecomposed) = (Int(counts[3]), Int(counts[4]), Int(counts[5]))
        let searching = savedSeen < searchFrames
        let consistent: Bool
        if givenPeriod > 0 {
            consistent = savedPeriod == givenPeriod && savedDecomposed == savedSeen
        } else if searching {
            consistent = savedPeriod == 0 && savedDecomposed == 0
        } else {
            consistent =
                (savedPeriod == 0 && savedDecomposed == 0)
                || (savedPeriod >= 2 && savedPeriod <= capacity && savedDecomposed == savedSeen)
        }
        guard consistent else {
            throw SeasonalStateError(
                "decomposition state: period \(savedPeriod), \(savedSeen) frames seen and \(savedDecomposed) "
                    + "decomposed do not fit together (search of \(searchFrames) frames, rings of \(capacity))")
        }
        let savedRing = try array("seasonal_ring", count: capacity * dimension, frames: true)
        let savedEstimate = try array("seasonal_estimate", count: capacity * dimension)
        let savedSums = try array("seasonal_sums", count: dimension)
        let savedKept = try array("seasonal_kept", count: searching ? savedSeen * dimension : 0, frames: true)
        period = savedPeriod
        seen = savedSeen
        decomposed = savedDecomposed
        for i in 0..<ring.count { ring[i] = Float(savedRing[i]) }
        for i in 0..<seasonal.count { seasonal[i] = savedEstimate[i] }
        for i in 0..<sum.count { sum[i] = savedSums[i] }
        for i in 0..<savedKept.count { kept[i] = Float(savedKept[i]) }
    }
}

/// A saved decomposition state that does not fit the stage (its message says why).
public struct SeasonalStateError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
