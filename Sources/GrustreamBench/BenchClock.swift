import Foundation

/// Repeated timing for `grustream bench`: a body that runs `n` iterations is calibrated so that one round lasts
/// about `seconds / rounds`, warmed up once, then timed `rounds` times. Medians, not means: the machines this runs
/// on are noisy, and a median of rounds ignores spikes. Each round records the process CPU time
/// (CLOCK_PROCESS_CPUTIME_ID, all threads) and the wall time: on a shared machine the wall time counts the time
/// other processes held the core, the CPU time does not, so the CPU time is the figure reported (single-threaded
/// code: CPU time = wall time on an idle core). scripts/bench_references.py times the references the same way.
public struct BenchClock: Sendable {
    /// Total time budget of one measurement, in seconds (warm-up and calibration not included).
    public var seconds: Double
    /// Number of timed rounds; the median round is reported.
    public var rounds: Int

    public init(seconds: Double = 1.0, rounds: Int = 7) {
        self.seconds = seconds
        self.rounds = max(1, rounds)
    }

    /// Nanoseconds of `clock` (CLOCK_MONOTONIC or CLOCK_PROCESS_CPUTIME_ID).
    @inline(__always)
    static func now(_ clock: clockid_t = CLOCK_PROCESS_CPUTIME_ID) -> UInt64 {
        var t = timespec()
        clock_gettime(clock, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// CPU and wall nanoseconds per iteration for each timed round. `body(n)` must run n iterations.
    public func measure(_ body: (Int) -> Void) -> (cpu: [Double], wall: [Double]) {
        let roundNanoseconds = seconds / Double(rounds) * 1e9
        // Calibrate: double n until one call takes ≥ 1/8 of a round (this also warms caches and branch predictors).
        var n = 1
        var elapsed: UInt64 = 0
        while true {
            let start = Self.now()
            body(n)
            elapsed = Self.now() - start
            if Double(elapsed) >= roundNanoseconds / 8 || n >= 1 << 40 { break }
            n *= 2
        }
        let perIteration = max(Double(elapsed) / Double(n), 1)
        let iterations = max(1, Int(roundNanoseconds / perIteration))
        body(iterations)  // warm-up at the measured size
        var cpu: [Double] = []
        var wall: [Double] = []
        for _ in 0..<rounds {
            let startWall = Self.now(CLOCK_MONOTONIC)
            let start = Self.now()
            body(iterations)
            cpu.append(Double(Self.now() - start) / Double(iterations))
            wall.append(Double(Self.now(CLOCK_MONOTONIC) - startWall) / Double(iterations))
        }
        return (cpu, wall)
    }
}

/// The median of a non-empty sample.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let mid = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/// One measured case. Per-item figures derive from the median round (an item is a frame or a GRU step).
public struct BenchMeasurement: Codable, Sendable {
    /// "features", "gru" or "ceiling" (this core's limits, `KernelCeilings`).
    public var group: String
    /// Stable case id, e.g. "kaldi-mfcc-stream-10ms", "gru-step-i40-h128-l2".
    public var name: String
    /// Human description for the table.
    public var description: String
    /// Items (frames or steps) per timed iteration.
    public var itemsPerIteration: Double
    /// CPU nanoseconds per iteration, one value per round (the reported figure).
    public var samplesNanoseconds: [Double]
    /// Wall nanoseconds per iteration, one value per round (includes time other processes held the core).
    public var wallNanoseconds: [Double]
    /// Floating-point operations per item (matrix products only), 0 for features.
    public var flopsPerItem: Double
    /// Seconds of audio per item (hop / sample rate), 0 for GRU cases.
    public var audioSecondsPerItem: Double

    public var medianNanosecondsPerItem: Double { median(samplesNanoseconds) / itemsPerIteration }
    public var itemsPerSecond: Double { 1e9 / medianNanosecondsPerItem }
    /// Microseconds per item (per GRU step, per frame).
    public var microsecondsPerItem: Double { medianNanosecondsPerItem / 1000 }
    /// Compute time / audio time (smaller is faster; 0.001 = a thousand times faster than real time).
    public var realTimeFactor: Double {
        audioSecondsPerItem > 0 ? medianNanosecondsPerItem / 1e9 / audioSecondsPerItem : 0
    }
    /// Median wall time per item ÷ median CPU time per item: ≈ 1 on an idle core, 2 when the core was shared.
    public var wallOverCPU: Double { median(wallNanoseconds) / median(samplesNanoseconds) }
    public var gflops: Double { flopsPerItem > 0 ? flopsPerItem / medianNanosecondsPerItem : 0 }
    /// Relative spread of the rounds: (max − min) / median.
    public var spread: Double {
        let m = median(samplesNanoseconds)
        return m > 0 ? ((samplesNanoseconds.max() ?? m) - (samplesNanoseconds.min() ?? m)) / m : 0
    }
}
