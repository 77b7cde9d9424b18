import GrustreamNeural
import GrustreamPipeline

/// One Wyoming client's conversation, apart from its socket: events in, answers out.
///
/// - `describe` → `info` (`WyomingModels.info`); `ping` → `pong`.
/// - `detect` (optional `names`) chooses the wake words reported (none given: all; an unknown name is an `error`).
/// - `audio-start` starts a stream: for every pipeline a `StreamProcessor` with its own hidden and detector state
///   (a chunk without `audio-start` starts one too). `audio-chunk` audio goes through them; each detection of a
///   chosen word is answered at once by `detection` (`name`, `timestamp`: the chunk's `timestamp` when it has one,
///   else the detection's end in milliseconds of stream time). `audio-stop` ends the stream (its last frames are
///   processed) and answers `not-detected` when nothing was detected since `audio-start`.
/// - Audio is converted by `WyomingAudioInput` (any rate, 16/32-bit, any channels → the pipelines' rate, mono);
///   audio it cannot take, or a malformed event, is answered by `error` (`text`, `code`); the connection goes on. Other event types are ignored, as Wyoming servers do.
public final class WyomingSession {
    public struct Refusal: Error, CustomStringConvertible {
        public var code: String
        public var description: String
        init(code: String, _ description: String) {
            self.code = code
            self.description = description
        }
    }

    public let models: WyomingModels
    private let input: WyomingAudioInput
    private var chosen: Set<String>?
    private var streams: [(processor: StreamProcessor, collector: DetectionCollector)] = []
    private var format: WyomingAudioFormat?
    private var detectedSinceStart = false
    private var samples: [Float] = []
    /// Streams started on this connection (each `audio-start`, or a chunk after `audio-stop`).
    public private(set) var streamCount = 0
    /// Name of this client's streams in logs.
    public let name: String

    public init(models: WyomingModels, name: String = "wyoming") {
        self.models = models
        self.input = WyomingAudioInput(rate: models.sampleRate)
        self.name = name
        samples.reserveCapacity(8192)
    }

    /// The answers to one event, in order.
    public func handle(_ event: WyomingEvent) -> [WyomingEvent] {
        do {
            return try answer(event)
        } catch {
            return [
                WyomingEvent(
                    type: "error", data: [("text", .string(error.description)), ("code", .string(error.code))])
            ]
        }
    }

    private func answer(_ event: WyomingEvent) throws(Refusal) -> [WyomingEvent] {
        switch event.type {
        case "describe": return [models.info()]
        case "ping": return [WyomingEvent(type: "pong", data: [("text", event["text"] ?? .null)])]
        case "detect":
            chosen = try names(event)
            return []
        case "audio-start":
            try start(WyomingAudioFormat.from(event))
            return []
        case "audio-chunk":
            let chunkFormat = try WyomingAudioFormat.from(event)
            if streams.isEmpty { try start(chunkFormat) }
            guard chunkFormat == format else {
                throw Refusal(
                    code: "audio-format-changed",
                    "audio-chunk in \(chunkFormat) after audio-start in \(format.map(\.description) ?? "none"); send audio-start for a new format"
                )
            }
            let frameBytes = chunkFormat.width * chunkFormat.channels
            guard event.payload.count % frameBytes == 0 else {
                throw Refusal(
                    code: "bad-audio-chunk",
                    "audio-chunk of \(event.payload.count) bytes is not whole \(frameBytes)-byte sample frames")
            }
            input.convert(event.payload, into: &samples)
            return feed(timestamp: event["timestamp"]?.integer)
        case "audio-stop":
            guard !streams.isEmpty else { return [] }
            input.finish(into: &samples)
            var answers = feed(timestamp: event["timestamp"]?.integer)
            for stream in streams { stream.processor.finish() }
            answers += collect(timestamp: event["timestamp"]?.integer)
            if !detectedSinceStart && format != nil { answers.append(WyomingEvent(type: "not-detected")) }
            streams.removeAll()
            format = nil
            return answers
        default: return []
        }
    }

    private func names(_ event: WyomingEvent) throws(Refusal) -> Set<String>? {
        switch event["names"] {
        case nil, .null?: return nil
        case .array(let items)?:
            var names = Set<String>()
            for item in items {
                guard case .string(let name) = item, models.words.contains(where: { $0.name == name }) else {
                    let known = models.words.map(\.name).joined(separator: ", ")
                    throw Refusal(
                        code: "unknown-wake-word", "detect: \(item.literal) is no wake word here; known: \(known)")
                }
                names.insert(name)
            }
            return names.isEmpty ? nil : names
        case let other?:
            throw Refusal(
                code: "bad-detect", "detect: \"names\" is \(other.literal); expected a list of wake word names")
        }
    }

    private func start(_ newFormat: WyomingAudioFormat) throws(Refusal) {
        if let reason = input.refusal(of: newFormat) { throw Refusal(code: "unsupported-audio-format", reason) }
        do { try input.start(newFormat) } catch { throw Refusal(code: "unsupported-audio-format", error.description) }
        streams.removeAll()
        streamCount += 1
        do {
            for pipeline in models.pipelines {
                let collector = DetectionCollector()
                let processor = try StreamProcessor(
                    name: "\(name)#\(streamCount)", pipeline: pipeline, bus: PublisherGroup([collector]))
                streams.append((processor, collector))
            }
        } catch {
            streams.removeAll()
            throw Refusal(code: "internal-error", "cannot start the stream: \(error)")
        }
        format = newFormat
        detectedSinceStart = false
    }

    private func feed(timestamp: Int?) -> [WyomingEvent] {
        samples.withUnsafeBufferPointer { buffer in
            for stream in streams { stream.processor.accept(buffer) }
        }
        return collect(timestamp: timestamp)
    }

    private func collect(timestamp: Int?) -> [WyomingEvent] {
        var answers: [WyomingEvent] = []
        for (index, stream) in streams.enumerated() {
            for (label, t) in stream.collector.take() {
                guard let word = models.word(pipeline: index, label: label),
                    chosen?.contains(word.name) ?? true
                else { continue }
                detectedSinceStart = true
                let milliseconds = timestamp ?? Int((t * 1000).rounded())
                answers.append(
                    WyomingEvent(
                        type: "detection",
                        data: [("name", .string(word.name)), ("timestamp", .number(Double(milliseconds)))]))
            }
        }
        return answers
    }
}

/// Receives a stream's event lines and keeps its detections (label, stream time) until taken.
final class DetectionCollector: EventPublisher {
    private var detections: [(label: String, t: Double)] = []

    func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind) {
        guard kind == .detection,
            case .object(let members)? = try? JSONParser(bytes: Array(line)).parseDocumentValue()
        else { return }
        guard case .string(let label)? = members.first(where: { $0.0 == "label" })?.1,
            case .number(let t)? = members.first(where: { $0.0 == "t" })?.1
        else { return }
        detections.append((label, t))
    }

    func take() -> [(label: String, t: Double)] {
        defer { detections.removeAll(keepingCapacity: true) }
        return detections
    }

    var clientCount: Int { 1 }
    var droppedClients: Int { 0 }
    func close() {}
}

extension JSONParser {
    /// `parseDocument` on a copy (the line ends with `\n`, which the parser takes as trailing whitespace).
    fileprivate func parseDocumentValue() throws -> Value {
        var parser = self
        return try parser.parseDocument()
    }
}
