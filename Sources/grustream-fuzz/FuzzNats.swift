import GrustreamIO
import GrustreamNATS

/// NATS messages as the source's router takes them: a format byte, then messages of a subject (1 length byte)
/// and a payload (2 length bytes, little-endian). Every message is either routed or counted as malformed, and no
/// more streams open than the registry allows.
enum FuzzNats {
    private static let formats: [InputFormat] = [
        .raw(.f32le), .raw(.s16le), .csv(CSVOptions(channels: 2)),
        .csv(CSVOptions(channels: 2, timestampColumn: true, header: .auto)), .jsonLines,
    ]

    static func run(_ bytes: [UInt8]) {
        let input = FuzzInput(bytes, optionBytes: 1)
        let format = formats[Int(input.options[0]) % formats.count]
        let hub = SourceHub()
        let registry = NatsStreamRegistry(limit: 4)
        let options = NatsStreamRouter.Options(
            format: format, sampleRate: 100, channels: 2, badFramePolicy: .skip, ringCapacityFrames: 64,
            limits: InputLimits(sampleLimit: 1e6), maximumMessageBytes: 512)
        let router = NatsStreamRouter(options: options, hub: hub, registry: registry)
        let payload = input.payload
        var offset = 0
        var fed = 0
        while offset < payload.count {
            let subjectLength = Int(payload[offset])
            offset += 1
            let subjectEnd = min(payload.count, offset + subjectLength)
            let subject = String(decoding: payload[offset..<subjectEnd], as: UTF8.self)
            offset = subjectEnd
            var length = 0
            if offset + 2 <= payload.count {
                length = Int(payload[offset]) | Int(payload[offset + 1]) << 8
                offset += 2
            } else {
                offset = payload.count
            }
            let end = min(payload.count, offset + length)
            Array(payload[offset..<end]).withUnsafeBytes { _ = router.receive(subject: subject, payload: $0) }
            offset = end
            fed += 1
        }
        if router.messages + router.malformedMessages != fed {
            fuzzFailure("nats: \(fed) messages, \(router.messages) routed + \(router.malformedMessages) malformed")
        }
        if registry.count > registry.limit { fuzzFailure("nats: \(registry.count) streams beyond \(registry.limit)") }
        router.closeAll()
    }
}
