import Glibc
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline
import Synchronization

/// Writes every line to standard output with `write(2)` as soon as it is published — no stdio buffer, so
/// `grustream run | jq` shows each event live. Partial writes and `EINTR` are retried. When the reader goes
/// away (`EPIPE`, or `isGone` finds the pipe or socket closed by its reader before anything was written), the
/// publisher counts itself dropped and writes nothing more; the pipeline goes on with its other sinks, or stops when
/// there are none (`PipelineRunner`). `--no-stdout` means this publisher is simply not created.
public final class StdoutPublisher: EventPublisher, @unchecked Sendable {
    private let fd: Int32
    private let broken = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)

    /// - Parameter fd: the descriptor to write to (standard output unless a test says otherwise); not closed by
    ///   `close()`.
    public init(fd: Int32 = STDOUT_FILENO) {
        _ = POSIX.ignoreSIGPIPE
        self.fd = fd
    }

    /// The reader went away (`EPIPE`) or writing failed; nothing is written any more.
    public var isBroken: Bool { broken.load(ordering: .relaxed) }

    /// Broken, or the reader has closed its end: `poll` reports `POLLERR` (a pipe) or `POLLHUP` (a socket) on
    /// the descriptor. One non-blocking system call; the runner asks a few times a second, not per event.
    public var isGone: Bool {
        if isBroken { return true }
        var entry = pollfd(fd: fd, events: 0, revents: 0)
        guard poll(&entry, 1, 0) == 1, entry.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 else { return false }
        broken.store(true, ordering: .relaxed)
        return true
    }

    public var clientCount: Int { isBroken || closed.load(ordering: .relaxed) ? 0 : 1 }
    public var droppedClients: Int { isBroken ? 1 : 0 }

    public func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind) {
        guard !isBroken, !closed.load(ordering: .relaxed), line.count > 0 else { return }
        if POSIX.writeAll(fd, line) != 0 { broken.store(true, ordering: .relaxed) }
    }

    public func close() { closed.store(true, ordering: .relaxed) }
}
