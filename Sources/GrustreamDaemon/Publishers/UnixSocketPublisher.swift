import Glibc
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline
import Synchronization

/// Fans event lines out to any number of clients of a `SOCK_STREAM` Unix socket, as gpsd does.
///
/// - Every client first receives a `VERSION` line, then the events its filter lets through (a client may send
///   a `WATCH` line at any time, see `WatchRequest`; before that it gets every class except `SCORES`).
/// - `publish` (processing thread) copies the line into a hand-over buffer under a short lock and wakes the
///   publisher's own I/O thread through a pipe; it never waits for a client.
/// - The I/O thread runs a `poll(2)` loop: accepts, reads requests, and sends with non-blocking
///   `send(MSG_NOSIGNAL)`. Each client has a queue bounded by `Options.clientQueueLimitBytes`; a client whose
///   queue would pass it is dropped and counted in `droppedClients`; the others go on.
/// - A request line that cannot be read gets an `ERROR` line back and the client is kept with its previous
///   filter; a request line longer than 4096 bytes gets an `ERROR` line and the client is closed.
/// - `close()` stops accepting, removes the socket file it created, sends what is queued for at most
///   `Options.closeTimeoutSeconds`, then closes every client.
public final class UnixSocketPublisher: EventPublisher, @unchecked Sendable {
    public struct Options: Sendable {
        /// Bytes queued for one client before it counts as too slow and is dropped.
        public var clientQueueLimitBytes = SinkOptions.defaultClientQueueBytes
        /// Seconds `close()` keeps sending queued lines to clients before closing them.
        public var closeTimeoutSeconds = 1.0
        /// Bytes the processing thread may hand over before the I/O thread takes them; beyond it, lines are
        /// dropped (counted in `droppedLines`). Only reached if the I/O thread gets no CPU for a long time.
        public var handoffLimitBytes = 4 * 1024 * 1024
        /// `listen(2)` backlog.
        public var listenBacklog: Int32 = 64
        /// Clients may send runtime commands (`ControlRequest`); false: only `WATCH`, a command gets an `ERROR`.
        public var acceptsControl = true
        public init() {}
    }

    /// The socket file this publisher created (and removes at `close()`); nil for an adopted socket.
    public let path: String?
    /// The `pipeline` field of the `VERSION` line.
    public let pipeline: String
    /// The `stream` field of the lines this publisher writes itself (`VERSION`, `ERROR`).
    public let stream: String
    public let options: Options

    let handoff: Handoff
    private var thread: pthread_t?
    private let closed = Atomic<Bool>(false)

    /// Listen on a new socket file at `path`.
    /// - Parameters:
    ///   - mode: permissions of the socket file, octal (`"0660"`: owner and group may connect).
    ///   - group: the socket file's group (needs to exist; the daemon must be allowed to `chown` to it).
    ///   - pipeline: the pipeline name sent in `VERSION`.
    ///   - stream: the stream name of `VERSION`/`ERROR` lines; the pipeline name when nil.
    /// A socket file left by a crashed run (nobody accepts on it) is replaced; a live one is an error, as is a
    /// path that exists and is not a socket.
    public convenience init(
        path: String, mode: String = "0660", group: String? = nil, pipeline: String, stream: String? = nil,
        options: Options = Options()
    ) throws(PublisherError) {
        let fd = try ListeningSocket.create(path: path, mode: mode, group: group, backlog: options.listenBacklog)
        do {
            try self.init(fd: fd, path: path, pipeline: pipeline, stream: stream, options: options)
        } catch {
            Glibc.close(fd)
            unlink(path)
            throw error
        }
    }

    /// Adopt a socket that is already listening (systemd socket activation: `LISTEN_FDS`). The fd is closed at
    /// `close()`; no file is created or removed.
    public convenience init(
        listeningFD: Int32, pipeline: String, stream: String? = nil, options: Options = Options()
    ) throws(PublisherError) {
        try ListeningSocket.validateAdopted(listeningFD)
        try self.init(fd: listeningFD, path: nil, pipeline: pipeline, stream: stream, options: options)
    }

    private init(
        fd: Int32, path: String?, pipeline: String, stream: String?, options: Options
    ) throws(PublisherError) {
        _ = POSIX.ignoreSIGPIPE
        self.path = path
        self.pipeline = pipeline
        self.stream = stream ?? pipeline
        self.options = options
        handoff = try Handoff(limitBytes: options.handoffLimitBytes)
        let loop = SocketLoop(
            listenFD: fd, socketPath: path.map { ($0, ListeningSocket.identity(of: $0)) }, handoff: handoff,
            pipeline: pipeline, stream: self.stream, options: options)
        var thread = pthread_t()
        let box = Unmanaged.passRetained(loop).toOpaque()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                let loop = Unmanaged<SocketLoop>.fromOpaque(raw!).takeRetainedValue()
                loop.run()
                return nil
            }, box)
        guard rc == 0 else {
            Unmanaged<SocketLoop>.fromOpaque(box).release()
            throw PublisherError.system(path ?? "fd \(fd)", "cannot start the socket thread", errno: rc)
        }
        self.thread = thread
    }

    deinit { close() }

    public var clientCount: Int { handoff.state.withLock { $0.clientCount } }
    public var droppedClients: Int { handoff.state.withLock { $0.droppedClients } }
    /// Lines not handed over because the I/O thread fell behind by `Options.handoffLimitBytes`.
    public var droppedLines: Int { handoff.state.withLock { $0.droppedLines } }
    /// Request lines refused (not a `WATCH` object, or longer than the request limit), each answered with `ERROR`.
    public var badRequests: Int { handoff.state.withLock { $0.badRequests } }
    /// The error sent for the last refused request line.
    public var lastBadRequest: String? { handoff.state.withLock { $0.lastBadRequest } }

    public func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind) {
        handoff.publish(line, kind: kind)
    }

    /// Commands clients sent since the last call, oldest first, each with the id of the client that sent it
    /// (for `publish(_:kind:client:exclusive:)`). At most `Handoff.maximumPendingControls` wait; a client sending
    /// more while they wait gets an `ERROR`.
    public func takeControls() -> [(client: Int, request: ControlRequest)] {
        handoff.state.withLock { s in
            defer { s.controls.removeAll() }
            return s.controls
        }
    }

    /// Called (on the publisher's I/O thread) when a command arrives, to wake the thread that takes them.
    public func onControl(_ wake: @escaping @Sendable () -> Void) { handoff.state.withLock { $0.onControl = wake } }

    /// Hand over a line for one client: with `exclusive`, to client `client` only (an answer to its command);
    /// without, to every client whose filter takes `kind` and to `client` in any case (an acknowledgement others
    /// may watch).
    public func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind, client: Int, exclusive: Bool) {
        handoff.publish(line, kind: kind, client: client, exclusive: exclusive)
    }

    /// Whether a connected client's filter takes `SCORES` (one atomic load: read per frame).
    public var watchesScores: Bool { handoff.scoreWatchers.load(ordering: .relaxed) > 0 }

    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        handoff.state.withLock { $0.closing = true }
        handoff.wake()
        if let thread { pthread_join(thread, nil) }
    }
}

/// The processing thread's side of the hand-over: a byte buffer of whole lines, their kinds, and a wake-up pipe.
final class Handoff: @unchecked Sendable {
    struct Line {
        var kind: Event.Kind
        /// End offset of the line in `bytes`.
        var end: Int
        /// The client this line answers (0: none): it receives it whatever its filter.
        var client = 0
        /// Only `client` receives it.
        var exclusive = false
    }

    /// Commands waiting for the processing thread, at most.
    static let maximumPendingControls = 64

    struct State {
        var bytes: [UInt8] = []
        var lines: [Line] = []
        /// Sequence number the next published line gets; `lines` hold the ones just before it.
        var nextSequence: UInt64 = 0
        /// The I/O thread is awake or already woken: `publish` need not write to the pipe.
        var wakePending = true
        var closing = false
        var clientCount = 0
        var droppedClients = 0
        var droppedLines = 0
        var badRequests = 0
        var lastBadRequest: String?
        /// Commands received, waiting for `takeControls()`.
        var controls: [(client: Int, request: ControlRequest)] = []
        var onControl: (@Sendable () -> Void)?
    }

    let state = Mutex(State())
    /// Connected clients whose filter takes `SCORES` (kept by the I/O thread, read by the processing thread).
    let scoreWatchers = Atomic<Int>(0)
    let limitBytes: Int
    /// [read end, write end], both non-blocking; closed when the last owner (publisher, I/O thread) lets go,
    /// so a `publish` racing with `close()` never writes to a reused descriptor.
    let wakePipe: (Int32, Int32)

    init(limitBytes: Int) throws(PublisherError) {
        self.limitBytes = limitBytes
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw PublisherError.system("wake-up pipe", "pipe") }
        POSIX.makeNonBlocking(fds[0])
        POSIX.makeNonBlocking(fds[1])
        wakePipe = (fds[0], fds[1])
        state.withLock {
            $0.bytes.reserveCapacity(64 * 1024)
            $0.lines.reserveCapacity(256)
        }
    }

    func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind, client: Int = 0, exclusive: Bool = false) {
        let mustWake = state.withLock { s -> Bool in
            guard !s.closing, s.clientCount > 0, !line.isEmpty else { return false }
            guard s.bytes.count + line.count <= limitBytes else {
                s.droppedLines += 1
                return false
            }
            s.bytes.append(contentsOf: line)
            s.lines.append(Line(kind: kind, end: s.bytes.count, client: client, exclusive: exclusive))
            s.nextSequence += 1
            if s.wakePending { return false }
            s.wakePending = true
            return true
        }
        if mustWake { wake() }
    }

    /// Make the I/O thread's `poll` return (a full pipe already means it will).
    func wake() {
        var byte: UInt8 = 1
        _ = POSIX.retrying { write(wakePipe.1, &byte, 1) }
    }

    deinit {
        Glibc.close(wakePipe.0)
        Glibc.close(wakePipe.1)
    }
}
