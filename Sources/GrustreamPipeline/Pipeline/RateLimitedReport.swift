/// A recurring problem reported at most once per interval, with how often it happened since the last report
/// (the rest only counted). Times are `MonotonicClock` nanoseconds; nothing is allocated.
package struct RateLimitedReport {
    let intervalNanoseconds: UInt64
    private var lastReport: UInt64?
    private var unreported = 0

    package init(intervalNanoseconds: UInt64) { self.intervalNanoseconds = intervalNanoseconds }

    /// Count `count` occurrences at `now`. When a report is due, returns the occurrences since the last report
    /// (these included) and starts a new interval; otherwise nil.
    package mutating func note(now: UInt64, count: Int = 1) -> Int? {
        unreported += count
        if let lastReport, now >= lastReport, now - lastReport < intervalNanoseconds { return nil }
        lastReport = now
        defer { unreported = 0 }
        return unreported
    }
}
