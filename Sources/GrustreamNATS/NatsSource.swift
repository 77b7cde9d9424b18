import Foundation
import GrustreamIO
import Synchronization

/// `[source] kind = "nats"`: sensor frames published on NATS subjects `sensors.<id>`; every id is its own stream
/// (named by the id, hidden state of its own downstream), opened with its first good message. With partitions
/// (`partitions = [0, 2]`), the source subscribes to `part.<P>.<subject>` for each partition it owns: the subjects
/// a server-side mapping such as `"sensors.*": "part.{{partition(4,1)}}.sensors.{{wildcard(1)}}"` delivers, so
/// every stream has one home partition and every partition one daemon. Without partitions it subscribes to
/// `subject` itself.
///
/// One reader thread per subscription takes messages from the client library's queue (bounded:
/// `pendingMessages`; a reader that falls behind loses the oldest to the library's slow-consumer rule, counted
/// as dropped) and routes them (`NatsStreamRouter`: bounded sizes, checked ids, a malformed message counted,
/// reported at most every `reportInterval`, and skipped). Live input: a stream's ring drops its oldest frames
/// when the processing thread falls behind.
public final class NatsSource: MultiStreamSource, @unchecked Sendable {
    public struct Options: Sendable {
        /// `nats://HOST:PORT` of one or more servers of the cluster.
        public var servers: [String]
        /// The subjects subscribed to, one reader each.
        public var subjects: [String]
        public var format: InputFormat = .raw(.f32le)
        public var sampleRate: Int = 100
        public var channels: Int = 1
        public var badFramePolicy: BadFramePolicy = .skip
        public var ringCapacityFrames: Int? = nil
        public var limits = InputLimits()
        /// A larger message is skipped as malformed.
        public var maximumMessageBytes = 65536
        /// Streams open at most (all subjects together); messages of further ids are skipped.
        public var maximumStreams = 4096
        /// Messages the client library queues per subscription for its reader.
        public var pendingMessages: Int32 = 65536

        public init(servers: [String], subjects: [String]) {
            self.servers = servers
            self.subjects = subjects
        }
    }

    /// The subjects of `subject` for the partitions owned: `part.<P>.<subject>`; `subject` itself without any.
    public static func subjects(subject: String, partitions: [Int]) -> [String] {
        partitions.isEmpty ? [subject] : partitions.map { "part.\($0).\(subject)" }
    }

    /// Seconds between two reports of malformed messages (each report counts those since the last).
    public static let reportInterval: UInt64 = 10_000_000_000

    public let options: Options
    public var name: String { "nats:\(options.subjects.joined(separator: ","))" }
    private var connection: NatsConnection?
    private var subscriptions: [NatsSubscription] = []
    private let registry: NatsStreamRegistry
    private let stopping = Atomic<Bool>(false)
    private let malformed = Atomic<Int>(0)
    private let received = Atomic<Int>(0)

    public init(options: Options) {
        self.options = options
        registry = NatsStreamRegistry(limit: options.maximumStreams)
    }

    /// Messages skipped whole as malformed, all subscriptions.
    public var malformedMessages: Int { malformed.load(ordering: .relaxed) }
    /// Messages routed to a stream, all subscriptions.
    public var messagesReceived: Int { received.load(ordering: .relaxed) }
    /// Messages the client library dropped because a reader fell behind.
    public var droppedMessages: Int { Int(subscriptions.reduce(0) { $0 + $1.dropped }) }

    public func open() throws {
        guard connection == nil else { return }
        do {
            let connection = try NatsConnection(servers: options.servers, name: "grustream \(name)")
            subscriptions = try options.subjects.map { subject in
                let subscription = try connection.subscribe(subject)
                try subscription.limitPending(messages: options.pendingMessages, bytes: -1)
                return subscription
            }
            try connection.flush()  // the subscriptions are registered at the server before READY
            self.connection = connection
        } catch {
            subscriptions = []
            throw CaptureError("\(name): \(error)")
        }
    }

    public func start(hub: SourceHub) throws {
        guard connection != nil else { throw CaptureError("\(name): start() before open()") }
        let routerOptions = NatsStreamRouter.Options(
            format: options.format, sampleRate: options.sampleRate, channels: options.channels,
            badFramePolicy: options.badFramePolicy, ringCapacityFrames: options.ringCapacityFrames,
            limits: options.limits, maximumMessageBytes: options.maximumMessageBytes)
        for subscription in subscriptions {
            hub.sourceStarted()
            let router = NatsStreamRouter(options: routerOptions, hub: hub, registry: registry)
            let thread = Thread { [self] in
                read(subscription, router: router, hub: hub)
                router.closeAll()
                hub.sourceEnded()
            }
            thread.name = "nats-source"
            thread.start()
        }
    }

    public func stop() { stopping.store(true, ordering: .relaxed) }

    /// A reader thread: messages until `stop()` (checked every 200 ms) or the subscription fails.
    private func read(_ subscription: NatsSubscription, router: NatsStreamRouter, hub: SourceHub) {
        var reported = 0
        var lastReport: UInt64 = 0
        while !stopping.load(ordering: .relaxed) {
            let message: NatsMessage?
            do { message = try subscription.next(timeoutMilliseconds: 200) } catch {
                hub.report(source: name, error: CaptureError("\(name): \(error)"))
                return
            }
            guard let message else { continue }
            let before = router.malformedMessages
            let stream = message.withPayload { router.receive(subject: message.subject, payload: $0) }
            if stream != nil {
                received.add(1, ordering: .relaxed)
                hub.signal()
            } else {
                malformed.add(router.malformedMessages - before, ordering: .relaxed)
                let now = MonotonicClock.nanoseconds()
                if lastReport == 0 || now - lastReport >= Self.reportInterval {
                    let count = router.malformedMessages - reported
                    let last = router.lastMalformed ?? ""
                    hub.report(
                        source: name,
                        error: CaptureError(
                            "\(name): \(count) malformed message\(count == 1 ? "" : "s") skipped, the last: \(last)"))
                    reported = router.malformedMessages
                    lastReport = now
                }
            }
        }
    }
}
