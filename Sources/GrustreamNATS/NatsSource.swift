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
public final class NatsSource: FrameSource, @unchecked Sendable {
    public var kind: FrameSourceKind { .producers }
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
        /// The partition of each subject (ledger and consumer names); empty: subject i is partition i.
        public var partitions: [Int] = []
        /// Durable input: the JetStream stream the frames are kept in (nil: core NATS, live).
        public var durable: Durable? = nil

        /// Durable input: frames read from a JetStream stream through one durable pull consumer per partition,
        /// each stream's state kept in a key-value bucket.
        public struct Durable: Sendable {
            /// JetStream stream name, made over `streamSubjects` if missing.
            public var stream: String
            public var streamSubjects: [String]
            /// Consumer name prefix: partition P reads through consumer `<consumer>-p<P>`.
            public var consumer: String
            /// Key-value bucket of the streams' saved state.
            public var bucket: String
            /// Copies of the stream and the bucket in a cluster.
            public var replicas: Int = 1
            /// Messages delivered and not yet acknowledged, per partition, at most.
            public var maximumPending: Int = 100_000
            /// Largest saved state read back.
            public var maximumStateBytes: Int = 1 << 20

            public init(stream: String, streamSubjects: [String], consumer: String, bucket: String) {
                self.stream = stream
                self.streamSubjects = streamSubjects
                self.consumer = consumer
                self.bucket = bucket
            }
        }

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
    private let covered = Atomic<Int>(0)
    /// Durable input: delivered frames per message, what saved state covers, what may be acknowledged.
    public let ledger = NatsDeliveryLedger()
    /// Durable input: the bucket of saved states (set by `open`).
    public private(set) var keyValue: NatsKeyValue?
    private var jetStream: NatsJetStream?
    /// Saved states read when a stream was first seen, until the pipeline takes them.
    private let savedStates = Mutex<[String: Data]>([:])
    /// Every stream opened (durable input waits for room in their rings: `stop` wakes the readers).
    private let openedStreams = Mutex<[SourceStream]>([])

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

    /// Messages skipped whole because saved state already covered them (durable input after a takeover).
    public var coveredMessages: Int { covered.load(ordering: .relaxed) }

    /// The partition number of subscription `index`.
    private func partition(_ index: Int) -> Int { index < options.partitions.count ? options.partitions[index] : index }

    public func open() throws {
        guard connection == nil else { return }
        do {
            let connection = try NatsConnection(servers: options.servers, name: "grustream \(name)")
            if let durable = options.durable {
                let jetStream = try NatsJetStream(connection: connection)
                try jetStream.ensureStream(
                    name: durable.stream, subjects: durable.streamSubjects, replicas: durable.replicas)
                keyValue = try jetStream.keyValue(bucket: durable.bucket, replicas: durable.replicas)
                subscriptions = try options.subjects.enumerated().map { index, subject in
                    try jetStream.pullSubscribe(
                        stream: durable.stream, subject: subject, durable: "\(durable.consumer)-p\(partition(index))",
                        maximumPending: durable.maximumPending)
                }
                self.jetStream = jetStream
            } else {
                subscriptions = try options.subjects.map { subject in
                    let subscription = try connection.subscribe(subject)
                    try subscription.limitPending(messages: options.pendingMessages, bytes: -1)
                    return subscription
                }
            }
            try connection.flush()  // the subscriptions are registered at the server before READY
            self.connection = connection
        } catch {
            // Not an `InputError`: a server that cannot be reached is no fault of the pipeline (exit status 1,
            // which a service manager retries).
            subscriptions = []
            throw NatsError(prefix: name, error)
        }
    }

    public func start(hub: SourceHub) throws {
        guard connection != nil else { throw InputError("\(name): start() before open()") }
        let routerOptions = NatsStreamRouter.Options(
            format: options.format, sampleRate: options.sampleRate, channels: options.channels,
            badFramePolicy: options.badFramePolicy, ringCapacityFrames: options.ringCapacityFrames,
            limits: options.limits, maximumMessageBytes: options.maximumMessageBytes)
        var durableOptions = routerOptions
        durableOptions.overflowPolicy = .waitForSpace
        for (index, subscription) in subscriptions.enumerated() {
            hub.sourceStarted()
            let router = NatsStreamRouter(
                options: options.durable == nil ? routerOptions : durableOptions, hub: hub, registry: registry)
            router.onOpen = { [unowned self] stream in openedStreams.withLock { $0.append(stream) } }
            let partition = partition(index)
            let thread = Thread { [self] in
                if options.durable != nil {
                    readDurable(subscription, partition: partition, router: router, hub: hub)
                } else {
                    read(subscription, router: router, hub: hub)
                }
                router.closeAll()
                hub.sourceEnded()
            }
            thread.name = "nats-source"
            thread.start()
        }
    }

    public func stop() {
        stopping.store(true, ordering: .relaxed)
        for stream in openedStreams.withLock({ $0 }) { stream.ring.cancelWaiting() }
    }

    /// The saved state of `stream` read from the bucket when the stream was first seen (once; nil when none).
    public func takeSavedState(_ stream: String) -> Data? { savedStates.withLock { $0.removeValue(forKey: stream) } }

    /// Wait until the server has every acknowledgement sent so far.
    public func flush() throws { try connection?.flush() }

    /// Acknowledge (cumulatively) up to the message whose reply subject is `reply`.
    public func acknowledge(_ reply: String) throws { try connection?.publish(reply, "+ACK") }

    /// The key-value record of a stream's state: `GSR1`, the resume point (sequence, frames: 8 bytes each,
    /// little-endian), then the state bytes.
    public static func encodeRecord(_ point: NatsResumePoint, state: Data) -> Data {
        var data = Data("GSR1".utf8)
        withUnsafeBytes(of: point.sequence.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(max(0, point.frames)).littleEndian) { data.append(contentsOf: $0) }
        data.append(state)
        return data
    }

    /// The resume point and state bytes of a record; nil when it is not one (wrong magic, too short, a frame
    /// count beyond `Int32.max`).
    public static func decodeRecord(_ data: Data) -> (NatsResumePoint, Data)? {
        let bytes = [UInt8](data.prefix(20))
        guard bytes.count == 20, bytes[0..<4].elementsEqual("GSR1".utf8) else { return nil }
        func word(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
        let frames = word(12)
        guard frames <= UInt64(Int32.max) else { return nil }
        return (NatsResumePoint(sequence: word(4), frames: Int(frames)), Data(data.dropFirst(20)))
    }

    /// A durable reader thread: batches from the partition's pull consumer; each stream seen for the first time
    /// gets its saved state and resume point from the bucket; frames saved state covers are skipped; every message
    /// is entered in the ledger (acknowledged once saved state covers it).
    private func readDurable(_ subscription: NatsSubscription, partition: Int, router: NatsStreamRouter, hub: SourceHub)
    {
        var known = Set<String>()
        var lastReport: UInt64 = 0
        var reported = 0
        func report(_ text: String) {
            let now = MonotonicClock.nanoseconds()
            guard lastReport == 0 || now - lastReport >= Self.reportInterval else { return }
            hub.report(source: name, error: InputError("\(name): \(text)"))
            lastReport = now
        }
        while !stopping.load(ordering: .relaxed) {
            let messages: [NatsMessage]
            do { messages = try subscription.fetch(batch: 256, timeoutMilliseconds: 200) } catch {
                report("\(error)")
                usleep(200_000)
                continue
            }
            for message in messages {
                if stopping.load(ordering: .relaxed) { break }
                let subject = message.subject
                let sequence = message.streamSequence ?? 0
                let id = NatsStreamRouter.streamID(subject: subject)
                if let id, known.count < options.maximumStreams, known.insert(id).inserted {
                    loadState(id, report: report)
                }
                let skip = id.map { ledger.framesToSkip($0, sequence: sequence) } ?? 0
                var stream: SourceStream?
                if skip == Int.max {
                    covered.add(1, ordering: .relaxed)
                } else {
                    let before = router.malformedMessages
                    stream = message.withPayload { router.receive(subject: subject, payload: $0, skipFrames: skip) }
                    if stream == nil {
                        malformed.add(router.malformedMessages - before, ordering: .relaxed)
                        if router.malformedMessages - reported > 0, let last = router.lastMalformed {
                            report(
                                "\(router.malformedMessages - reported) malformed message(s) skipped, the last: \(last)"
                            )
                            reported = router.malformedMessages
                        }
                    } else {
                        received.add(1, ordering: .relaxed)
                    }
                }
                ledger.record(
                    partition: partition, sequence: sequence, stream: stream == nil ? nil : id,
                    frames: stream == nil ? 0 : router.lastFrames, reply: message.reply)
            }
            if !messages.isEmpty { hub.signal() }
        }
    }

    /// Read `stream`'s saved state: its resume point to the ledger, its state bytes kept for the pipeline.
    private func loadState(_ stream: String, report: (String) -> Void) {
        guard let keyValue, let durable = options.durable else { return }
        do {
            guard let data = try keyValue.get(stream, maximumBytes: durable.maximumStateBytes + 20) else {
                ledger.setResume(stream, nil)
                return
            }
            guard let (point, state) = Self.decodeRecord(data) else {
                report(
                    "\(durable.bucket)/\(stream): not a saved stream state; the stream starts from the initial state")
                ledger.setResume(stream, nil)
                return
            }
            ledger.setResume(stream, point)
            savedStates.withLock { $0[stream] = state }
        } catch {
            report("\(error); the stream starts from the initial state")
            ledger.setResume(stream, nil)
        }
    }

    /// A reader thread: messages until `stop()` (checked every 200 ms) or the subscription fails.
    private func read(_ subscription: NatsSubscription, router: NatsStreamRouter, hub: SourceHub) {
        var reported = 0
        var lastReport: UInt64 = 0
        while !stopping.load(ordering: .relaxed) {
            let message: NatsMessage?
            do { message = try subscription.next(timeoutMilliseconds: 200) } catch {
                hub.report(source: name, error: InputError("\(name): \(error)"))
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
                        error: InputError(
                            "\(name): \(count) malformed message\(count == 1 ? "" : "s") skipped, the last: \(last)"))
                    reported = router.malformedMessages
                    lastReport = now
                }
            }
        }
    }
}
