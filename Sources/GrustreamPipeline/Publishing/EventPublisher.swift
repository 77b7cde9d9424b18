/// Where encoded event lines go: stdout, a Unix socket's clients, ...
///
/// `publish` is called from the single processing thread with one complete line (`\n` included), for
/// example a slice of the buffer `EventEncoder` wrote into; the bytes are copied before it returns. It must
/// never wait for a reader that is slow (the socket publisher queues and drops slow clients instead).
public protocol EventPublisher: AnyObject {
    /// Hand over one encoded line of class `kind`.
    func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind)
    /// Readers connected now (stdout counts as one until it breaks).
    var clientCount: Int { get }
    /// Readers dropped because they could not keep up (or, for stdout, went away).
    var droppedClients: Int { get }
    /// Send what is queued (for a bounded time), then close. Idempotent; `publish` does nothing afterwards.
    func close()
    /// Nobody can ever read from this sink again (stdout whose reader closed it); a listening socket never is.
    var isGone: Bool { get }
    /// A reader asked for `SCORES` (a socket client's `WATCH`): the pipeline sends them to this publisher even when
    /// `[detector] scores` is off. Read on the processing thread once per frame: must be cheap.
    var watchesScores: Bool { get }
}

extension EventPublisher {
    public var isGone: Bool { false }
    public var watchesScores: Bool { false }

    /// Publish the bytes of `line` (convenience for tests and rare events).
    public func publish(_ line: [UInt8], kind: Event.Kind) {
        line.withUnsafeBytes { publish($0, kind: kind) }
    }

    /// Encode and publish one event (allocates: for rare events, not the per-frame path).
    public func publish(_ event: Event) {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256)
        EventEncoder.encode(event, into: &buffer)
        publish(buffer, kind: event.kind)
    }
}
