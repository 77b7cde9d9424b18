/// Every sink of a pipeline behind one call: encodes each event once into a reused buffer and hands the line
/// to each publisher. Owned and called by the processing thread; no allocation per event once the buffer has
/// grown (`publish(_:)` builds no `Event` for per-frame scores: use `publishScores`).
public final class PublisherGroup {
    public let publishers: [any EventPublisher]
    private var buffer: [UInt8] = []

    public init(_ publishers: [any EventPublisher]) {
        self.publishers = publishers
        buffer.reserveCapacity(EventEncoder.typicalLineCapacity)
    }

    /// Encode `event` and publish the line to every publisher.
    public func publish(_ event: Event) {
        guard !publishers.isEmpty else { return }
        buffer.removeAll(keepingCapacity: true)
        EventEncoder.encode(event, into: &buffer)
        sendBuffer(kind: event.kind)
    }

    /// Whether some publisher's reader asked for `SCORES` (`EventPublisher.watchesScores`); per frame, no allocation.
    public var scoresWatched: Bool {
        for publisher in publishers where publisher.watchesScores { return true }
        return false
    }

    /// The per-frame `SCORES` line, written straight from the network's output. `onlyWatchers`: to the publishers
    /// whose readers asked for them (the pipeline itself does not publish scores), not to every sink.
    public func publishScores(
        stream: String, t: Double, frame: Int, labels: [String], fields: [String] = [],
        scores: UnsafeBufferPointer<Float>, ts: Double? = nil, model: String? = nil,
        attention: UnsafeBufferPointer<Float>? = nil, time: WallTime = .now(), onlyWatchers: Bool = false
    ) {
        guard !publishers.isEmpty else { return }
        buffer.removeAll(keepingCapacity: true)
        EventEncoder.encodeScores(
            stream: stream, t: t, frame: frame, labels: labels, fields: fields, scores: scores, ts: ts, model: model,
            attention: attention, time: time, into: &buffer)
        guard onlyWatchers else { return sendBuffer(kind: .scores) }
        buffer.withUnsafeBytes { line in
            for publisher in publishers where publisher.watchesScores { publisher.publish(line, kind: .scores) }
        }
    }

    private func sendBuffer(kind: Event.Kind) {
        buffer.withUnsafeBytes { line in
            for publisher in publishers { publisher.publish(line, kind: kind) }
        }
    }

    /// Readers connected to all publishers (for `STATS`).
    public var clientCount: Int { publishers.reduce(0) { $0 + $1.clientCount } }
    /// Readers dropped by all publishers (for `STATS`).
    public var droppedClients: Int { publishers.reduce(0) { $0 + $1.droppedClients } }

    /// The publishers nobody can read any more (`EventPublisher.isGone`), and how many there are in all.
    public func goneCount() -> (gone: Int, all: Int) {
        (publishers.reduce(0) { $0 + ($1.isGone ? 1 : 0) }, publishers.count)
    }

    /// Close every publisher (each drains for its bounded time).
    public func close() { for publisher in publishers { publisher.close() } }
}
