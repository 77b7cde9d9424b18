#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `unix:PATH`: sensor producers connect to a Unix stream socket and write frames; every connection is its
/// own stream (own name, own hidden state downstream), opened with its first frame and closed when the
/// producer disconnects. One thread serves every connection with poll(2) (no thread per connection).
///
/// Formats (one per source): raw interleaved samples (`f32le`, `s16le`, ...) with a declared channel count,
/// CSV, JSON Lines (WAV works too: rate from each header). A connection may begin with a name line
/// (`stream pump-3` or `{"stream":"pump-3"}`, see `SocketConnection`); default name `PATH#N`.
/// Stream names are unique: a producer naming a stream another open connection has is refused (see `serve`).
/// Live input: a stream whose ring is full drops its oldest frames (counted), the socket is never blocked.
/// A stale socket file (nobody accepting) is replaced; a live one (another process accepts) is refused.
public final class UnixSocketSource: FrameSource, @unchecked Sendable {
    public var kind: FrameSourceKind { .producers }
    public struct Options: Sendable, Equatable {
        /// Byte format of every connection.
        public var format: InputFormat = .raw(.f32le)
        /// Frames per second (Hz) of the producers (WAV: from each header).
        public var sampleRate: Int = 100
        /// Values per frame for raw and JSON Lines input (CSV: its options).
        public var channels: Int = 1
        public var badFramePolicy: BadFramePolicy = .skip
        /// Ring size per stream in frames (nil: `SourceHub.defaultRingSeconds` at `sampleRate`).
        public var ringCapacityFrames: Int? = nil
        /// More concurrent producers than this are accepted and closed at once (and counted).
        public var maximumConnections: Int = 4096
        /// Permissions of the socket file (nil: leave as the umask makes it).
        public var mode: UInt32? = nil
        /// The sample limit, and the format a WAV header must give.
        public var limits = InputLimits()
        /// Group owning the socket file (nil: the process's).
        public var group: UInt32? = nil

        public init(
            format: InputFormat = .raw(.f32le), sampleRate: Int = 100, channels: Int = 1,
            badFramePolicy: BadFramePolicy = .skip, ringCapacityFrames: Int? = nil
        ) {
            self.format = format
            self.sampleRate = sampleRate
            self.channels = channels
            self.badFramePolicy = badFramePolicy
            self.ringCapacityFrames = ringCapacityFrames
        }
    }

    public let path: String
    public let options: Options
    public var name: String { "unix:\(path)" }
    private let stopSignal: StopSignal
    private var listener: Int32 = -1
    private var started = false
    private let lock = ConditionLock()
    private var refused = 0
    private var accepted = 0
    /// Stream names held by open connections (the poll thread's own).
    private var namesInUse: Set<String> = []

    public init(path: String, options: Options) throws {
        self.path = path
        self.options = options
        do { stopSignal = try StopSignal() } catch let failure as POSIXFailure {
            throw InputError("unix:\(path): cannot create a wake-up pipe: \(POSIX.message(failure.code))")
        }
    }

    deinit {
        if listener >= 0 {
            close(listener)
            unlink(path)
        }
    }

    /// Connections accepted so far / turned away (`maximumConnections` open, a stream name in use, a bad WAV header).
    public var connectionsAccepted: Int { lock.withLock { accepted } }
    public var connectionsRefused: Int { lock.withLock { refused } }

    public func open() throws {
        guard listener < 0 else { return }
        guard options.sampleRate > 0, options.channels > 0 else {
            throw InputError(
                "\(name): sample rate \(options.sampleRate) Hz and \(options.channels) channels, expected both > 0")
        }
        listener = try UnixSocket.listen(path: path, name: name, mode: options.mode, group: options.group)
        UnixSocket.raiseDescriptorLimit(toAtLeast: options.maximumConnections + 64)
    }

    public func start(hub: SourceHub) throws {
        guard listener >= 0 else { throw InputError("\(name): start() before open()") }
        let first = lock.withLock {
            defer { started = true }
            return !started
        }
        guard first else { throw InputError("\(name): started twice") }
        hub.sourceStarted()
        CaptureThread.spawn(name: "unix-source") { [self] in
            do { try run(hub: hub) } catch let error as InputError {
                hub.report(source: name, error: error)
            } catch {
                hub.report(source: name, error: InputError("\(name): \(error)"))
            }
            hub.sourceEnded()
        }
    }

    public func stop() { stopSignal.stop() }

    /// The poll thread. `fds[0]` is the stop signal, `fds[1]` the listener, then one per connection
    /// (`connections[i]` belongs to `fds[i + 2]`).
    private func run(hub: SourceHub) throws {
        var fds = [
            pollfd(fd: stopSignal.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
        ]
        var connections: [SocketConnection] = []
        fds.reserveCapacity(options.maximumConnections + 2)
        connections.reserveCapacity(options.maximumConnections)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer {
            buffer.deallocate()
            for connection in connections {
                close(connection.fileDescriptor)
                if let stream = connection.stream { hub.closeStream(stream) }
            }
            namesInUse.removeAll()
            close(listener)
            unlink(path)
            listener = -1
        }
        var number = 0
        while true {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw InputError("\(name): poll failed: \(POSIX.message(errno))")
            }
            if fds[0].revents != 0 { return }
            var index = 2
            while index < fds.count {
                if fds[index].revents != 0 && !serve(connections[index - 2], buffer: buffer, hub: hub) {
                    let connection = connections[index - 2]
                    close(connection.fileDescriptor)
                    if let stream = connection.stream { hub.closeStream(stream) }
                    if let name = connection.claimedName { namesInUse.remove(name) }
                    fds[index] = fds[fds.count - 1]  // swap-remove; the moved one is looked at next
                    fds.removeLast()
                    connections[index - 2] = connections[connections.count - 1]
                    connections.removeLast()
                    continue
                }
                fds[index].revents = 0
                index += 1
            }
            if fds[1].revents != 0 {
                fds[1].revents = 0
                number = acceptAll(fds: &fds, connections: &connections, number: number, hub: hub)
            }
            hub.signal()
        }
    }

    /// Read what a connection has; false when it is finished (end of input or an error).
    private func serve(_ connection: SocketConnection, buffer: UnsafeMutableRawBufferPointer, hub: SourceHub) -> Bool {
        while true {
            let count = POSIX.retrying { read(connection.fileDescriptor, buffer.baseAddress, buffer.count) }
            if count > 0 {
                do { try connection.receive(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) } catch {
                    // A refused WAV header or a stream name in use: tell the pipeline and the producer, drop it.
                    refuse(connection, error as? InputError ?? InputError("\(name): \(error)"), hub: hub)
                    return false
                }
                if count < buffer.count { return true }
                continue
            }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
            do { try connection.finish() } catch {  // EOF or ECONNRESET: the producer has gone
                hub.report(source: name, error: error as? InputError ?? InputError("\(name): \(error)"))
            }
            return false
        }
    }

    /// A producer the source will not take: the reason to the pipeline (log, `ERROR` event) and, as one line,
    /// to the producer (best effort: the socket is non-blocking); counted in `connectionsRefused`.
    private func refuse(_ connection: SocketConnection, _ error: InputError, hub: SourceHub) {
        hub.report(source: name, error: error)
        let line = Array("error: \(error.description)\n".utf8)
        _ = line.withUnsafeBytes { send(connection.fileDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        lock.withLock { refused += 1 }
    }

    private func acceptAll(
        fds: inout [pollfd], connections: inout [SocketConnection], number: Int, hub: SourceHub
    ) -> Int {
        var number = number
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 { return number }  // EAGAIN (done), or EMFILE and the like: try again on the next event
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            guard connections.count < options.maximumConnections else {
                close(fd)
                lock.withLock { refused += 1 }
                continue
            }
            number += 1
            lock.withLock { accepted += 1 }
            let defaultName = "\(path)#\(number)"
            let decoder = InputDecoder(
                format: options.format, channels: options.channels, policy: options.badFramePolicy, name: defaultName,
                limits: options.limits, sampleRate: options.sampleRate)
            let connection = SocketConnection(
                fileDescriptor: fd, number: number, defaultName: defaultName, decoder: decoder,
                claimName: { [unowned self] name in namesInUse.insert(name).inserted }
            ) { [options] name, named, channels, wavRate in
                hub.openStream(
                    name: name, sampleRate: wavRate ?? options.sampleRate, channels: channels,
                    capacityFrames: options.ringCapacityFrames, overflowPolicy: .dropOldest, hasStableName: named,
                    timestamped: options.format.carriesTimestamps)
            }
            fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            connections.append(connection)
        }
    }
}
