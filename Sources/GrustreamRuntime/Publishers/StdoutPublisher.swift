import Glibc
import Synchronization

/// Writes every line to standard output with `write(2)` as soon as it is published — no stdio buffer, so
/// `grustream run | jq` shows each event live. Partial writes and `EINTR` are retried. When the reader goes
/// away (`EPIPE`), the publisher counts itself dropped and writes nothing more; the pipeline goes on with its
/// other sinks (`isBroken` tells it). `--no-stdout` means this publisher is simply not created.
public final class StdoutPublisher: EventPublisher, @unchecked Sendable {
    private let fd: Int32
    private let broken = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)

    /// - Parameter fd: the descriptor to write to (standard output unless a test says otherwise); not closed by
    ///   `close()`.
    public init(fd: Int32 = STDOUT_FILENO) {
        _ = Posix.ignoreSIGPIPE
        self.fd = fd
    }

    /// The reader went away (`EPIPE`) or writing failed; nothing is written any more.
    public var isBroken: Bool { broken.load(ordering: .relaxed) }

    public var clientCount: Int { isBroken || closed.load(ordering: .relaxed) ? 0 : 1 }
    public var droppedClients: Int { isBroken ? 1 : 0 }

    public func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind) {
        guard !isBroken, !closed.load(ordering: .relaxed), line.count > 0 else { return }
        if Posix.writeAll(fd, line) != 0 { broken.store(true, ordering: .relaxed) }
    }

    public func close() { closed.store(true, ordering: .relaxed) }
}
