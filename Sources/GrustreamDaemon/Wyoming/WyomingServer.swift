import Glibc
import GrustreamIO
import GrustreamPipeline
import Logging
import Synchronization

/// A Wyoming wake-word server: listens on TCP (`tcp://HOST:PORT`) or a Unix socket (`unix://PATH`), or adopts a
/// listening socket from systemd, and runs one `WyomingSession` per client on its own thread (each client is its
/// own stream with its own state; clients do not wait for each other). At most `maximumClients` at once: one more
/// is sent an `error` and closed. A client that sends nothing for `idleSeconds`, or does not read its answers for
/// `sendTimeoutSeconds`, is closed; a byte stream that breaks the framing is answered by `error` and closed.
public final class WyomingServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var maximumClients = 32
        public var idleSeconds = 300
        public var sendTimeoutSeconds = 10
        public var limits = WyomingFrameReader.Limits()
        public init() {}
    }

    /// Where to listen.
    public enum Address: Sendable, Equatable, CustomStringConvertible {
        case tcp(host: String, port: UInt16)
        case unix(path: String)

        /// `tcp://HOST:PORT` (HOST may be `[IPv6]`, `0.0.0.0`, a name) or `unix://PATH`.
        public init(parsing uri: String) throws(PipelineConfigError) {
            if uri.hasPrefix("unix://") {
                let path = String(uri.dropFirst(7))
                guard !path.isEmpty else { throw PipelineConfigError("--uri \(uri): unix:// needs a socket path") }
                self = .unix(path: path)
                return
            }
            guard uri.hasPrefix("tcp://") else {
                throw PipelineConfigError("--uri \(uri): expected tcp://HOST:PORT or unix://PATH")
            }
            let rest = uri.dropFirst(6)
            guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]), port > 0
            else { throw PipelineConfigError("--uri \(uri): expected tcp://HOST:PORT with a port from 1 to 65535") }
            var host = String(rest[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw PipelineConfigError("--uri \(uri): no host (0.0.0.0 listens everywhere)") }
            self = .tcp(host: host, port: port)
        }

        public var description: String {
            switch self {
            case .tcp(let host, let port): host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
            case .unix(let path): "unix://\(path)"
            }
        }
    }

    public let models: WyomingModels
    public let options: Options
    let logger: Logger
    private let listenFD: Int32
    /// The TCP port actually bound (port 0 asks the system for one), or nil for a Unix socket.
    public let boundPort: UInt16?
    private let socketPath: String?
    private let state = Mutex(ServerState())

    struct ServerState {
        var clients: [Int32] = []
        var stopping = false
        var served = 0
    }

    public init(models: WyomingModels, address: Address, options: Options = Options(), logger: Logger) throws {
        self.models = models
        self.options = options
        self.logger = logger
        switch address {
        case .tcp(let host, let port):
            (listenFD, boundPort) = try Self.listenTCP(host: host, port: port)
            socketPath = nil
        case .unix(let path):
            listenFD = try ListeningSocket.create(path: path, mode: "0660", group: nil, backlog: 64)
            POSIX.makeBlocking(listenFD)
            boundPort = nil
            socketPath = path
        }
    }

    /// Adopt a listening socket passed by systemd (`LISTEN_FDS`).
    public init(models: WyomingModels, listeningFD: Int32, options: Options = Options(), logger: Logger) throws {
        try ListeningSocket.validateAdopted(listeningFD)
        POSIX.makeBlocking(listeningFD)
        self.models = models
        self.options = options
        self.logger = logger
        listenFD = listeningFD
        var address = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listeningFD, $0, &length) }
        }
        boundPort =
            named == 0 && address.sin6_family != sa_family_t(AF_UNIX) ? UInt16(bigEndian: address.sin6_port) : nil
        socketPath = nil
    }

    /// Clients connected now.
    public var clientCount: Int { state.withLock { $0.clients.count } }
    /// Clients served since start.
    public var servedCount: Int { state.withLock { $0.served } }

    private static func listenTCP(host: String, port: UInt16) throws -> (Int32, UInt16) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw PipelineConfigError(
                "tcp://\(host):\(port): cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = errno
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 64) == 0 else {
                lastError = errno
                Glibc.close(fd)
                continue
            }
            var bound = sockaddr_in6()
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            _ = withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            return (fd, UInt16(bigEndian: bound.sin6_port))  // sin_port and sin6_port share their offset
        }
        throw PipelineConfigError(
            "tcp://\(host):\(port): cannot listen: \(POSIX.message(lastError))"
                + (lastError == EADDRINUSE ? " (another server has this port)" : ""))
    }

    /// Accept clients until `stop()`; each runs on its own thread. Returns once every client thread has ended.
    public func run() {
        while true {
            let fd = POSIX.retrying { accept(listenFD, nil, nil) }
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            if fd < 0 {
                if state.withLock({ $0.stopping }) { break }
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(errno) { usleep(100_000) }
                continue
            }
            let admitted = state.withLock { s -> Bool in
                guard !s.stopping, s.clients.count < options.maximumClients else { return false }
                s.clients.append(fd)
                s.served += 1
                return true
            }
            guard admitted else {
                let refusal = WyomingEvent(
                    type: "error",
                    data: [
                        ("text", .string("too many clients (\(options.maximumClients)); try again later")),
                        ("code", .string("too-many-clients")),
                    ]
                ).encoded()
                refusal.withUnsafeBytes { _ = POSIX.writeAll(fd, $0) }
                Glibc.close(fd)
                continue
            }
            setTimeouts(fd)
            let box = Unmanaged.passRetained(ClientJob(server: self, fd: fd)).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { raw in
                    let job = Unmanaged<ClientJob>.fromOpaque(raw!).takeRetainedValue()
                    job.server.serve(job.fd)
                    return nil
                }, box)
            if rc != 0 {
                Unmanaged<ClientJob>.fromOpaque(box).release()
                finish(fd)
            } else {
                pthread_detach(thread)
            }
        }
        Glibc.close(listenFD)
        while state.withLock({ !$0.clients.isEmpty }) { usleep(5_000) }  // each client thread removes itself
    }

    /// From any thread: stop accepting, close every client (their threads end), remove the socket file.
    public func stop() {
        let clients = state.withLock { s -> [Int32] in
            s.stopping = true
            return s.clients
        }
        shutdown(listenFD, Int32(SHUT_RDWR))
        for fd in clients { shutdown(fd, Int32(SHUT_RDWR)) }
        if let socketPath { unlink(socketPath) }
    }

    private final class ClientJob {
        let server: WyomingServer
        let fd: Int32
        init(server: WyomingServer, fd: Int32) {
            self.server = server
            self.fd = fd
        }
    }

    private func setTimeouts(_ fd: Int32) {
        var idle = timeval(tv_sec: options.idleSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, socklen_t(MemoryLayout<timeval>.size))
        var send = timeval(tv_sec: options.sendTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    private func finish(_ fd: Int32) {
        state.withLock { $0.clients.removeAll { $0 == fd } }
        Glibc.close(fd)
    }

    /// One client, on its own thread: read, frame, answer, until it closes, errs or the server stops.
    private func serve(_ fd: Int32) {
        defer { finish(fd) }
        let session = WyomingSession(models: models, name: "wyoming-\(fd)")
        var reader = WyomingFrameReader(limits: options.limits)
        var buffer = [UInt8](repeating: 0, count: 65536)
        logger.debug("wyoming client connected (fd \(fd))")
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in POSIX.retrying { recv(fd, raw.baseAddress!, raw.count, 0) } }
            guard n > 0 else { break }  // closed, idle timeout, or stopped
            let events: [WyomingEvent]
            do {
                events = try reader.feed(buffer[0..<n])
            } catch {
                logger.warning("wyoming client (fd \(fd)): \(error); closing")
                let answer = WyomingEvent(
                    type: "error", data: [("text", .string("\(error)")), ("code", .string("bad-frame"))])
                answer.encoded().withUnsafeBytes { _ = POSIX.writeAll(fd, $0) }
                return
            }
            for event in events {
                for answer in session.handle(event) {
                    if answer.type == "error" {
                        logger.notice("wyoming client (fd \(fd)): \(answer["text"]?.literal ?? "")")
                    }
                    let code = answer.encoded().withUnsafeBytes { POSIX.writeAll(fd, $0) }
                    if code != 0 { return }
                }
            }
        }
        logger.debug("wyoming client closed (fd \(fd)), \(session.streamCount) stream(s)")
    }
}
