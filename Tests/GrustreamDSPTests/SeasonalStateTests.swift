import Foundation
import GrustreamDSP
import Testing

/// The decomposition's state as a state file keeps it: a stream split anywhere (during the period search, after
/// it, with a given period) continues exactly, and a saved state that does not fit is refused.
@Suite("trend + seasonal decomposition state")
struct SeasonalStateTests {
    static let series = SeasonalStageTests.series

    static func run(_ extractor: FeatureExtractor, _ range: Range<Int>) -> [Float] {
        var out: [Float] = []
        extractor.accept(Array(series[range])) { out.append(contentsOf: $0) }
        return out
    }

    @Test(arguments: [(0, 200, 150), (0, 200, 500), (0, 200, 200), (24, 0, 333), (0, 200, 0)])
    func aRestoredStreamContinuesExactly(period: Int, search: Int, split: Int) throws {
        var options = SeasonalStageTests.options(period: period, search: search)
        options.seasonal.keepInput = true
        let whole = try FeatureExtractor.extract(Self.series, options: options).values
        let first = try FeatureExtractor(options: options)
        var values = Self.run(first, 0..<split)
        first.finish { values.append(contentsOf: $0) }
        // After `finish` the extractor is ready for a new stream; the state it ended with is what is saved.
        let saved = try #require(first.seasonalSnapshot())
        let second = try FeatureExtractor(options: options)
        try second.restoreSeasonal(saved)
        values += Self.run(second, split..<Self.series.count)
        #expect(values == whole)
        if split >= search && search > 0 {
            // No new search: the period is known from the first frame after the restart.
            let restored = try FeatureExtractor(options: options)
            try restored.restoreSeasonal(saved)
            #expect(restored.seasonalPeriod == SeasonalStageTests.period)
        }
    }

    @Test func theRangeOfTheSearchedRemaindersIsTheirs() throws {
        let search = 200
        let known = try FeatureExtractor.extract(
            Self.series, options: SeasonalStageTests.options(period: SeasonalStageTests.period)
        ).values
        let extractor = try FeatureExtractor(options: SeasonalStageTests.options(search: search))
        _ = Self.run(extractor, 0..<(search - 1))
        #expect(extractor.searchedRemainderRange() == nil)
        _ = Self.run(extractor, (search - 1)..<search)
        let range = try #require(extractor.searchedRemainderRange())
        #expect(range.low == [known[..<search].min()!])
        #expect(range.high == [known[..<search].max()!])
    }

    static func saved(search: Int = 200, split: Int = 500) throws -> [String: [Double]] {
        let extractor = try FeatureExtractor(options: SeasonalStageTests.options(search: search))
        _ = run(extractor, 0..<split)
        return try #require(extractor.seasonalSnapshot())
    }

    static func refuses(_ values: [String: [Double]], _ fragment: String, search: Int = 200) throws {
        let extractor = try FeatureExtractor(options: SeasonalStageTests.options(search: search))
        let before = extractor.seasonalSnapshot()
        do {
            try extractor.restoreSeasonal(values)
            Issue.record("accepted a state that should be refused (\(fragment))")
        } catch {
            #expect("\(error)".contains(fragment), "\(error)")
        }
        #expect(extractor.seasonalSnapshot() == before, "a refused state changes nothing")
    }

    @Test func aStateThatDoesNotFitIsRefused() throws {
        let good = try Self.saved()
        try Self.refuses(good, "search 200 frames", search: 300)
        var s = good
        s["seasonal_counts"]![3] = 1_000  // a period beyond the rings
        try Self.refuses(s, "do not fit together")
        s = good
        s["seasonal_counts"]![5] = 3  // decomposed frames ≠ frames seen
        try Self.refuses(s, "do not fit together")
        s = good
        s["seasonal_counts"]![4] = 2.5
        try Self.refuses(s, "not a count")
        s = good
        s["seasonal_counts"]![4] = -1
        try Self.refuses(s, "not a count")
        s = good
        s["seasonal_counts"]![4] = 1e300
        try Self.refuses(s, "not a count")
        s = good
        s["seasonal_ring"]!.removeLast()
        try Self.refuses(s, "seasonal_ring")
        s = good
        s["seasonal_ring"]![0] = 1e39  // beyond Float
        try Self.refuses(s, "out-of-range")
        s = good
        s["seasonal_estimate"]![0] = .nan
        try Self.refuses(s, "non-finite")
        s = good
        s["seasonal_sums"] = nil
        try Self.refuses(s, "seasonal_sums")
        // Saved during the search: the kept frames must be as many as the frames seen.
        var searching = try Self.saved(split: 120)
        searching["seasonal_kept"]!.removeLast()
        try Self.refuses(searching, "seasonal_kept")
        searching = try Self.saved(split: 120)
        searching["seasonal_counts"]![3] = 24  // a period before the search ended
        try Self.refuses(searching, "do not fit together")
        // No decomposition in the pipeline: nothing to restore into.
        let plain = try FeatureExtractor(options: SeasonalStageTests.options())
        #expect(plain.seasonalSnapshot() == nil)
        #expect(throws: SeasonalStateError.self) { try plain.restoreSeasonal(good) }
    }
}
