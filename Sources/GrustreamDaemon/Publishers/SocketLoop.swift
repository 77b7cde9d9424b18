import Glibc
import GrustreamIO
import GrustreamPipeline

/// The I/O thread of a `UnixSocketPublisher`: one `poll(2)` loop over the wake-up pipe, the listening socket
/// and the clients. Everything here belongs to that thread, except `handoff`.
final class SocketLoop {
    private var listenFD: Int32
    /// The socket file to remove at close, if this process made it (and it is still ours).
    private let socketPath: (String, ListeningSocket.Identity?)?
    private let handoff: Handoff
    private let pipeline: String
    private let stream: String
    private let options: UnixSocketPublisher.Options

    private var clients: [SocketClient] = []
    private var nextClientID = 0
    private var pollSet: [pollfd] = []
    /// The hand-over buffers, swapped with `handoff`'s under its lock (so neither side allocates).
    private var batchBytes: [UInt8] = []
    private var batchLines: [Handoff.Line] = []
    private var scratch = [UInt8](repeating: 0, count: 4096)
    private var encoded: [UInt8] = []
    private var closeDeadline: UInt64?
    /// Out of descriptors (EMFILE...): stop polling the listening socket until then, instead of spinning on it.
    private var acceptPausedUntil: UInt64?

    init(
        listenFD: Int32, socketPath: (String, ListeningSocket.Identity?)?, handoff: Handoff, pipeline: String,
        stream: String, options: UnixSocketPublisher.Options
    ) {
        self.listenFD = listenFD
        self.socketPath = socketPath
        self.handoff = handoff
        self.pipeline = pipeline
        self.stream = stream
        self.options = options
        batchBytes.reserveCapacity(64 * 1024)
        batchLines.reserveCapacity(256)
        encoded.reserveCapacity(1024)
    }

    func run() {
        while true {
            buildPollSet()
            var timeout: Int32 = -1
            if let deadline = closeDeadline {
                let now = MonotonicClock.nanoseconds()
                timeout = now >= deadline ? 0 : Int32(min((deadline - now) / 1_000_000 + 1, 1000))
            }
            if let until = acceptPausedUntil {
                let now = MonotonicClock.nanoseconds()
                if now >= until {
                    acceptPausedUntil = nil
                } else {
                    let wait = Int32((until - now) / 1_000_000 + 1)
                    timeout = timeout < 0 ? wait : min(timeout, wait)
                }
            }
            // Only a sleeping loop needs the pipe: while it works, `publish` just appends (no syscall).
            let closingStarted = closeDeadline != nil
            let linesWaiting = handoff.state.withLock { s -> Bool in
                if !s.lines.isEmpty || (s.closing && !closingStarted) { return true }
                s.wakePending = false
                return false
            }
            if linesWaiting { timeout = 0 }
            let ready = pollSet.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            if ready < 0 && errno != EINTR { break }  // cannot happen with valid fds; leave rather than spin

            if pollSet[0].revents != 0 { drainWakePipe() }
            let clientBase = listenFD >= 0 ? 2 : 1
            // Clients first: pollSet's indices match `clients` until accept() appends.
            for (index, client) in clients.enumerated() {
                serviceInput(client, revents: pollSet[clientBase + index].revents)
            }
            if listenFD >= 0 && pollSet[1].revents != 0 { acceptClients() }
            let closing = takeBatch()
            distributeBatch()
            for client in clients where !isDead(client) && client.queuedBytes > 0 {
                if client.flush() == .failed { markDead(client) }
            }
            for client in clients where client.closeAfterFlush && client.queuedBytes == 0 { markDead(client) }
            if closing && closeDeadline == nil { beginClosing() }
            if closeDeadline != nil {
                for client in clients where client.queuedBytes == 0 { markDead(client) }
            }
            removeDeadClients()
            if let deadline = closeDeadline, clients.isEmpty || MonotonicClock.nanoseconds() >= deadline {
                break
            }
        }
        for client in clients { Glibc.close(client.fd) }
        clients.removeAll()
        if listenFD >= 0 { stopListening() }
        handoff.state.withLock { $0.clientCount = 0 }
        handoff.scoreWatchers.store(0, ordering: .relaxed)
    }

    private func buildPollSet() {
        pollSet.removeAll(keepingCapacity: true)
        pollSet.append(pollfd(fd: handoff.wakePipe.0, events: Int16(POLLIN), revents: 0))
        if listenFD >= 0 {
            let events = acceptPausedUntil == nil ? Int16(POLLIN) : 0
            pollSet.append(pollfd(fd: listenFD, events: events, revents: 0))
        }
        for client in clients {
            var events: Int16 = 0
            if !client.readClosed { events |= Int16(POLLIN) }
            if client.queuedBytes > 0 { events |= Int16(POLLOUT) }
            pollSet.append(pollfd(fd: client.fd, events: events, revents: 0))
        }
    }

    private func drainWakePipe() {
        while POSIX.retrying({ read(handoff.wakePipe.0, &scratch, scratch.count) }) > 0 {}
    }

    // MARK: Clients

    private var deadClients: Set<ObjectIdentifier> = []
    private func isDead(_ client: SocketClient) -> Bool { deadClients.contains(ObjectIdentifier(client)) }
    private func markDead(_ client: SocketClient) { deadClients.insert(ObjectIdentifier(client)) }

    private func removeDeadClients() {
        guard !deadClients.isEmpty else { return }
        clients.removeAll { client in
            guard deadClients.contains(ObjectIdentifier(client)) else { return false }
            Glibc.close(client.fd)
            return true
        }
        deadClients.removeAll(keepingCapacity: true)
        let count = clients.count
        handoff.state.withLock { $0.clientCount = count }
        countScoreWatchers()
    }

    /// `Handoff.scoreWatchers` after a client came, went or changed its filter.
    private func countScoreWatchers() {
        let watching = clients.reduce(0) { $0 + ($1.watch.accepts(.scores) ? 1 : 0) }
        handoff.scoreWatchers.store(watching, ordering: .relaxed)
    }

    private func acceptClients() {
        while true {
            let fd = POSIX.retrying { accept(listenFD, nil, nil) }
            guard fd >= 0 else {  // EAGAIN, or a client that vanished before we got to it
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(errno) {
                    acceptPausedUntil = MonotonicClock.nanoseconds() + 100_000_000
                }
                return
            }
            POSIX.makeNonBlocking(fd)
            let firstSequence = handoff.state.withLock { s -> UInt64 in
                s.clientCount += 1
                return s.nextSequence
            }
            nextClientID += 1
            let client = SocketClient(fd: fd, id: nextClientID, firstSequence: firstSequence)
            clients.append(client)
            encoded.removeAll(keepingCapacity: true)
            EventEncoder.encode(.version(stream: stream, pipeline: pipeline), into: &encoded)
            encoded.withUnsafeBytes { _ = client.enqueue($0, limit: Int.max) }
        }
    }

    private func serviceInput(_ client: SocketClient, revents: Int16) {
        guard !isDead(client) else { return }
        if revents & Int16(POLLIN) != 0 {
            let result = client.receive(scratch: &scratch) { line in handleRequest(line, from: client) }
            switch result {
            case .open: break
            case .endOfInput: client.readClosed = true  // half-closed: it may still read events
            case .failed: markDead(client)
            case .tooLong:
                let message = "request line longer than \(SocketClient.maximumRequestBytes) bytes; closing"
                countBadRequest(message)
                sendError(message, to: client)
                client.readClosed = true
                client.closeAfterFlush = true
            }
        }
        if revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { markDead(client) }
    }

    private func handleRequest(_ line: [UInt8], from client: SocketClient) {
        var line = line[...]
        while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
        while let first = line.first, first == 0x20 || first == 0x09 { line = line.dropFirst() }
        guard !line.isEmpty, !client.closeAfterFlush else { return }
        do throws(PublisherError) {
            switch try SocketRequest.decode(line) {
            case .watch(let watch):
                client.watch = watch
                countScoreWatchers()
            case .control(let request):
                guard options.acceptsControl else {
                    throw PublisherError(
                        "bad request: this socket does not accept commands (its sink has control = false)")
                }
                let wake = try handoff.state.withLock { s throws(PublisherError) -> (@Sendable () -> Void)? in
                    guard s.controls.count < Handoff.maximumPendingControls else {
                        throw PublisherError(
                            "bad request: \(Handoff.maximumPendingControls) commands are waiting; send fewer")
                    }
                    s.controls.append((client.id, request))
                    return s.onControl
                }
                wake?()
            }
        } catch {
            countBadRequest(error.description)
            sendError(error.description, to: client)  // keep the client and its previous filter
        }
    }

    private func countBadRequest(_ message: String) {
        handoff.state.withLock {
            $0.badRequests += 1
            $0.lastBadRequest = message
        }
    }

    private func sendError(_ message: String, to client: SocketClient) {
        encoded.removeAll(keepingCapacity: true)
        EventEncoder.encode(.error(stream: stream, t: 0, message: message), into: &encoded)
        let fits = encoded.withUnsafeBytes { client.enqueue($0, limit: options.clientQueueLimitBytes) }
        if !fits { dropSlow(client) }
    }

    private func dropSlow(_ client: SocketClient) {
        guard !isDead(client) else { return }
        markDead(client)
        handoff.state.withLock { $0.droppedClients += 1 }
    }

    // MARK: Lines

    /// Take what the processing thread handed over; returns whether `close()` was asked for.
    private func takeBatch() -> Bool {
        batchBytes.removeAll(keepingCapacity: true)
        batchLines.removeAll(keepingCapacity: true)
        var firstSequence: UInt64 = 0
        let closing = handoff.state.withLock { s -> Bool in
            swap(&s.bytes, &batchBytes)
            swap(&s.lines, &batchLines)
            firstSequence = s.nextSequence - UInt64(batchLines.count)
            return s.closing
        }
        batchFirstSequence = firstSequence
        return closing
    }

    private var batchFirstSequence: UInt64 = 0

    private func distributeBatch() {
        guard !batchLines.isEmpty else { return }
        let limit = options.clientQueueLimitBytes
        batchBytes.withUnsafeBytes { bytes in
            for client in clients where !isDead(client) && !client.closeAfterFlush {
                var start = 0
                for (offset, line) in batchLines.enumerated() {
                    defer { start = line.end }
                    guard batchFirstSequence + UInt64(offset) >= client.firstSequence,
                        line.client == client.id || (!line.exclusive && client.watch.accepts(line.kind))
                    else { continue }
                    if !client.enqueue(UnsafeRawBufferPointer(rebasing: bytes[start..<line.end]), limit: limit) {
                        dropSlow(client)
                        break
                    }
                }
            }
        }
    }

    // MARK: Closing

    private func beginClosing() {
        closeDeadline = MonotonicClock.nanoseconds() + UInt64(max(0, options.closeTimeoutSeconds) * 1e9)
        stopListening()
    }

    private func stopListening() {
        Glibc.close(listenFD)
        listenFD = -1
        if let (path, identity) = socketPath, identity != nil, ListeningSocket.identity(of: path) == identity {
            unlink(path)  // only our own file: a newer instance may have replaced it
        }
    }
}
