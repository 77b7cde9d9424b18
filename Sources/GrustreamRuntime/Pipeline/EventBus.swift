/// Encodes events once into a reused buffer and hands the line to every publisher.
/// Only the processing thread uses it.
public final class EventBus {
    public private(set) var publishers: [EventPublisher]
    private var buffer: [UInt8] = []
    /// `DETECTION`/`ANOMALY` events published (what `STATS` reports as `events`).
    public private(set) var detections = 0
    /// Whether any subscriber could want `SCORES` (the pipeline asked for them).
    public let scoresEnabled: Bool

    public init(publishers: [EventPublisher], scoresEnabled: Bool) {
        self.publishers = publishers
        self.scoresEnabled = scoresEnabled
        buffer.reserveCapacity(EventEncoder.typicalLineCapacity)
    }

    public func publish(_ event: Event) {
        if event.kind == .detection || event.kind == .anomaly { detections += 1 }
        buffer.removeAll(keepingCapacity: true)
        EventEncoder.encode(event, into: &buffer)
        send(event.kind)
    }

    /// The per-frame `SCORES` line, without building an `Event` (no allocation once the buffer has grown).
    public func publishScores(stream: String, t: Double, frame: Int, labels: [String], scores: UnsafeBufferPointer<Float>) {
        buffer.removeAll(keepingCapacity: true)
        EventEncoder.encodeScores(stream: stream, t: t, frame: frame, labels: labels, scores: scores, into: &buffer)
        send(.scores)
    }

    private func send(_ kind: Event.Kind) {
        buffer.withUnsafeBytes { line in
            for publisher in publishers { publisher.publish(line, kind: kind) }
        }
    }

    /// Subscribers connected now (stdout not counted).
    public var clientCount: Int { publishers.reduce(0) { $0 + ($1 is StdoutPublisher ? 0 : $1.clientCount) } }
    public var droppedClients: Int { publishers.reduce(0) { $0 + ($1 is StdoutPublisher ? 0 : $1.droppedClients) } }

    public func close() { for publisher in publishers { publisher.close() } }
}
