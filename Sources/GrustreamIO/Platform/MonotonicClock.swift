#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The monotonic clock (CLOCK_MONOTONIC), in nanoseconds: pacing, timeouts, backoff, and the processing loop's
/// timers and latencies (one vDSO call and integer arithmetic: no `Duration` 128-bit arithmetic per wake-up).
package enum MonotonicClock {
    package static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
