#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A one-way "stop now" flag that capture threads can wait on together with their file descriptors:
/// `fileDescriptor` becomes readable once `stop()` has been called (a self-pipe), so a thread blocked
/// in `poll` on its input and this descriptor wakes up at once. `sleep` is an interruptible pause.
final class StopSignal: @unchecked Sendable {
    private let lock = ConditionLock()
    private var stopped = false
    private let readEnd: Int32
    private let writeEnd: Int32

    init() throws {
        var ends: [Int32] = [-1, -1]
        try POSIX.call("pipe") { pipe(&ends) }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, O_NONBLOCK)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Readable after `stop()`; never read from it (it stays readable).
    var fileDescriptor: Int32 { readEnd }

    var isStopped: Bool { lock.withLock { stopped } }

    func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
        lock.broadcast()
    }

    /// Sleep until the monotonic `deadline` (nanoseconds) or until stopped. True when stopped.
    @discardableResult
    func sleep(untilMonotonic deadline: UInt64) -> Bool {
        lock.withLock {
            while !stopped && MonotonicClock.nanoseconds() < deadline {
                _ = lock.wait(untilMonotonic: deadline)
            }
            return stopped
        }
    }

    /// Sleep for `duration` or until stopped. True when stopped.
    @discardableResult
    func sleep(for duration: Duration) -> Bool {
        sleep(untilMonotonic: MonotonicClock.nanoseconds() + duration.nanoseconds)
    }
}
