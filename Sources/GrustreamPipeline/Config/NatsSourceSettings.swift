/// `[source] kind = "nats"`: where the sensor subjects are and which of them this daemon reads.
public struct NatsSourceSettings: Sendable, Equatable {
    /// `nats://HOST:PORT` of one or more servers of the cluster (the client reconnects to any of them).
    public var servers: [String] = ["nats://127.0.0.1:4222"]
    /// The subject of the sensor streams; its last token names the stream (`sensors.pump1` → `pump1`).
    public var subject: String = "sensors.*"
    /// Partitions this daemon owns: it reads `part.<P>.<subject>` for each (empty: `subject` itself).
    public var partitions: [Int] = []
    /// A larger message is skipped as malformed (counted, reported).
    public var maximumMessageBytes: Int = 65536
    /// Streams open at most; messages of further stream ids are skipped.
    public var maximumStreams: Int = 4096
    /// Durable input: the JetStream stream holding the frames (made if missing); empty: core NATS, live only.
    public var jetStream: String = ""
    /// Durable input: consumer name prefix (`<consumer>-p<P>` per partition).
    public var consumer: String = "grustream"
    /// Durable input: the key-value bucket of the streams' saved state (made if missing).
    public var stateBucket: String = "grustream-state"
    /// Durable input: copies of the stream and bucket in a cluster.
    public var replicas: Int = 1
    /// Durable input: milliseconds between saves of the streams' state (and acknowledgements).
    public var saveIntervalMilliseconds: Int = 1000

    public init() {}

    /// Most servers, partitions, and characters of a subject or server address.
    public static let maximumServers = 16
    public static let maximumPartitions = 1024
    public static let maximumSubjectBytes = 256

    /// The `servers` key of a NATS source or sink.
    static func serversField<Options>(_ servers: WritableKeyPath<Options, [String]>) -> OptionField<Options> {
        .custom(
            "servers", "nats: server URLs, e.g. [\"nats://127.0.0.1:4222\"]",
            apply: { options, value, path in options[keyPath: servers] = try Self.servers(value, path: path) },
            render: { "[" + $0[keyPath: servers].map { "\"\($0)\"" }.joined(separator: ", ") + "]" })
    }

    /// A `servers` value: 1 to `maximumServers` strings `nats://HOST:PORT` (no spaces or commas).
    static func servers(_ value: ConfigValue, path: String) throws -> [String] {
        guard case .array(let items) = value, !items.isEmpty, items.count <= maximumServers else {
            throw OptionField<SourceOptions>.mismatch(
                path, value, "an array of 1 to \(maximumServers) \"nats://HOST:PORT\" strings")
        }
        return try items.enumerated().map { index, item in
            guard case .string(let url) = item, url.hasPrefix("nats://"), url.utf8.count > 7,
                url.utf8.count <= maximumSubjectBytes,
                !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "," })
            else {
                throw OptionField<SourceOptions>.mismatch("\(path)[\(index)]", item, "\"nats://HOST:PORT\"")
            }
            return url
        }
    }
}

/// `[[sink]] kind = "nats"`: events published on `<prefix>.<CLASS>.<stream>`.
public struct NatsSinkSettings: Sendable, Equatable {
    public var servers: [String] = ["nats://127.0.0.1:4222"]
    /// Subject prefix: `grustream.events.ANOMALY.pump1`.
    public var subjectPrefix: String = "grustream.events"

    public init() {}
}

extension SinkOptions {
    static let natsFields: [OptionField<SinkOptions>] = [
        NatsSourceSettings.serversField(\.nats.servers),
        .custom(
            "subject_prefix", "nats: events go to <subject_prefix>.<CLASS>.<stream>",
            apply: { options, value, path in
                guard case .string(let prefix) = value, SourceOptions.isSubject(prefix),
                    !prefix.contains("*"), !prefix.contains(">"), prefix.utf8.count <= 128
                else {
                    throw OptionField<SinkOptions>.mismatch(
                        path, value, "dot-separated subject tokens without wildcards, at most 128 bytes")
                }
                options.nats.subjectPrefix = prefix
            },
            render: { "\"\($0.nats.subjectPrefix)\"" }),
    ]
}

extension SourceOptions {
    static let natsFields: [OptionField<SourceOptions>] = [
        NatsSourceSettings.serversField(\.nats.servers),
        .custom(
            "subject", "nats: subject of the sensor streams, last token = stream id",
            apply: { options, value, path in
                guard case .string(let subject) = value, isSubject(subject) else {
                    throw OptionField<SourceOptions>.mismatch(
                        path, value,
                        "a NATS subject of dot-separated tokens (no spaces, at most \(NatsSourceSettings.maximumSubjectBytes) bytes), e.g. \"sensors.*\""
                    )
                }
                options.nats.subject = subject
            },
            render: { "\"\($0.nats.subject)\"" }),
        .custom(
            "partitions", "nats: partitions owned, read as part.<P>.<subject> ([]: the subject itself)",
            apply: { options, value, path in
                let limit = NatsSourceSettings.maximumPartitions
                guard case .array(let items) = value, items.count <= limit else {
                    throw OptionField<SourceOptions>.mismatch(path, value, "an array of at most \(limit) integers")
                }
                var seen = Set<Int>()
                options.nats.partitions = try items.enumerated().map { index, item in
                    guard case .integer(let p) = item, p >= 0, p < limit, seen.insert(p).inserted else {
                        throw OptionField<SourceOptions>.mismatch(
                            "\(path)[\(index)]", item, "a partition number 0…\(limit - 1), each once")
                    }
                    return p
                }
            },
            render: { "[" + $0.nats.partitions.map(String.init).joined(separator: ", ") + "]" }),
        .integer(
            "max_message_bytes", \.nats.maximumMessageBytes, "nats: larger messages are skipped as malformed",
            .within(1, Double(1 << 20))),
        .integer("max_streams", \.nats.maximumStreams, "nats: streams open at most", .within(1, 100_000)),
        .custom(
            "jetstream", "nats: JetStream stream of the frames (durable input; \"\": core NATS, live)",
            apply: { options, value, path in options.nats.jetStream = try name(value, path: path, empty: true) },
            render: { "\"\($0.nats.jetStream)\"" }),
        .custom(
            "consumer", "nats: durable consumer name prefix (<consumer>-p<P>)",
            apply: { options, value, path in options.nats.consumer = try name(value, path: path, empty: false) },
            render: { "\"\($0.nats.consumer)\"" }),
        .custom(
            "state_bucket", "nats: key-value bucket of the streams' saved state",
            apply: { options, value, path in options.nats.stateBucket = try name(value, path: path, empty: false) },
            render: { "\"\($0.nats.stateBucket)\"" }),
        .integer("replicas", \.nats.replicas, "nats: copies of the JetStream stream and bucket", .within(1, 5)),
        .integer(
            "save_interval_ms", \.nats.saveIntervalMilliseconds,
            "nats: ms between saves of the streams' state and acknowledgements", .within(10, 600_000)),
    ]

    static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// A JetStream stream, consumer or bucket name: 1–64 of `A–Z a–z 0–9 _ -`.
    static func name(_ value: ConfigValue, path: String, empty: Bool) throws -> String {
        guard case .string(let text) = value, (empty && text.isEmpty) || (1...64).contains(text.utf8.count),
            text.utf8.allSatisfy(isNameByte)
        else {
            throw OptionField<SourceOptions>.mismatch(path, value, "a name of 1 to 64 of A–Z a–z 0–9 _ -")
        }
        return text
    }

    /// Dot-separated non-empty tokens of printable ASCII without spaces, `*` and `>` only as whole tokens.
    static func isSubject(_ subject: String) -> Bool {
        guard !subject.isEmpty, subject.utf8.count <= NatsSourceSettings.maximumSubjectBytes else { return false }
        for token in subject.split(separator: ".", omittingEmptySubsequences: false) {
            guard !token.isEmpty, token.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return false }
            if (token.contains("*") || token.contains(">")) && token.count != 1 { return false }
        }
        return true
    }
}
