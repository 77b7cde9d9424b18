import GrustreamIO

/// A Unix-socket producer's bytes as the source's connection reads them: the optional name line (`stream NAME`
/// or `{"stream":"NAME"}`), then frames in the source's format, fed whole and in chunks. Both feedings must name
/// the stream alike, count the same bad frames and refuse the same producers.
enum FuzzProducer {
    private static let formats: [InputFormat] = [
        .raw(.f32le), .raw(.s16le), .csv(CSVOptions(channels: 2)),
        .csv(CSVOptions(channels: 2, timestampColumn: true, header: .auto)), .jsonLines, .wav,
    ]

    private struct Outcome: Equatable {
        var name: String?
        var badFrames: Int
        var refused: String?
    }

    static func run(_ bytes: [UInt8]) {
        let input = FuzzInput(bytes, optionBytes: 2)
        let format = formats[Int(input.options[0]) % formats.count]
        let whole = feed(input.payload, format: format, chunk: max(1, input.payload.count))
        let streamed = feed(input.payload, format: format, chunk: input.chunkSize(1))
        if whole != streamed { fuzzFailure("producer \(format): whole \(whole) but streamed \(streamed)") }
    }

    private static func feed(_ payload: [UInt8], format: InputFormat, chunk: Int) -> Outcome {
        let hub = SourceHub()
        var namesInUse: Set<String> = ["taken"]
        let limits = InputLimits(sampleLimit: 1e6, wavChannels: 2, wavSampleRate: 16000)
        let decoder = InputDecoder(format: format, channels: 2, policy: .skip, name: "fuzz.sock#1", limits: limits)
        let connection = SocketConnection(
            fileDescriptor: -1, number: 1, defaultName: "fuzz.sock#1", decoder: decoder,
            claimName: { namesInUse.insert($0).inserted }
        ) { name, named, channels, wavRate in
            hub.openStream(
                name: name, sampleRate: wavRate ?? 16000, channels: channels, capacityFrames: 64,
                overflowPolicy: .dropOldest, hasStableName: named, timestamped: format.carriesTimestamps)
        }
        var refused: String?
        inChunks(payload, of: chunk) { bytes in
            guard refused == nil else { return }
            do { try connection.receive(bytes) } catch { refused = "\(error)" }
        }
        if refused == nil {
            do { try connection.finish() } catch { refused = "\(error)" }
        }
        return Outcome(name: connection.claimedName, badFrames: connection.stream?.badFrames ?? 0, refused: refused)
    }
}
