import Foundation
import GrustreamIO
import GrustreamNATS
import GrustreamPipeline
import Logging

/// Durable NATS input (`[source] jetstream`): each stream's state in the source's key-value bucket, under its
/// stream id, so the daemon that takes a partition over continues every stream from it. A record is the
/// state-file serialisation of the one stream (`StateFile`: hidden state, detector state, decomposition; checked
/// against the model's hash) behind the resume point it covers (`NatsSource.encodeRecord`): the JetStream
/// sequence of the last message covered and how many of its frames. Every `save_interval_ms` the streams with new
/// frames are saved on a private queue, then the messages the saved states cover are acknowledged; a killed
/// daemon's successor gets the rest again and skips what the states cover, so no frame is lost or run twice.
/// The covered input frames are the stream's feature frames × hop: exact for features without a window longer
/// than the hop (`raw`, sensor `bands` with hop = window); a longer window restarts empty after a takeover.
/// Used by the processing thread.
final class NatsStateKeeper {
    let source: NatsSource
    private let keyValue: NatsKeyValue
    private let logger: Logger
    private let hop: Int
    private let pipelineName: String
    private let modelName: String
    private let modelHash: String
    let intervalNanoseconds: UInt64
    private var lastSave: UInt64 = 0
    /// Input frames of each stream covered by the last save handed to the queue.
    private var saved: [String: Int] = [:]
    private let queue = DispatchQueue(label: "grustream.nats-state")
    private let failures = FailureLog()

    /// nil unless the pipeline's source is durable NATS input (after `source.open()`).
    init?(pipeline: ResolvedPipeline, source: FrameSource, logger: Logger) throws {
        guard let nats = source as? NatsSource, nats.options.durable != nil, let keyValue = nats.keyValue else {
            return nil
        }
        self.source = nats
        self.keyValue = keyValue
        self.logger = logger
        hop = max(1, pipeline.features.hopLength)
        pipelineName = pipeline.config.name
        modelName = pipeline.modelURL.lastPathComponent
        modelHash = try StateFile.hash(of: pipeline.modelURL)
        intervalNanoseconds = UInt64(pipeline.config.source.nats.saveIntervalMilliseconds) * 1_000_000
    }

    /// Give a new stream its saved state, if the bucket has one, and its frame sequences. Returns a problem.
    func restore(into processor: StreamProcessor) -> String? {
        let ledger = source.ledger
        let name = processor.name
        processor.frameSequence = { ledger.sequence(name, frame: $0) }
        guard let data = source.takeSavedState(name) else { return nil }
        let place = "\(keyValue.bucket)/\(name)"
        do {
            let file = try StateFile.decode(data, name: place)
            guard file.modelHash == modelHash else {
                return "\(place): saved for another model (\(file.model)); the stream starts from the initial state"
            }
            guard let snapshot = file.streams.first(where: { $0.stream == name }) else {
                return "\(place): holds no state of stream \(name); the stream starts from the initial state"
            }
            try processor.restore(snapshot)
            logger.info("\(name): hidden and detector state restored from \(place)")
            return nil
        } catch {
            return "\(place): \(error); the stream starts from the initial state"
        }
    }

    /// Every `intervalNanoseconds`: `save`.
    func saveIfDue(_ processors: some Sequence<StreamProcessor>, now: UInt64) {
        guard now - lastSave >= intervalNanoseconds else { return }
        lastSave = now
        save(processors, wait: false)
    }

    /// Save the streams with frames not covered yet, then acknowledge what the saves cover. `wait`: before
    /// returning (at exit).
    func save(_ processors: some Sequence<StreamProcessor>, wait: Bool) {
        var records: [(name: String, data: Data, frames: Int)] = []
        for processor in processors where processor.keepsState {
            let frames = processor.frames * hop
            guard frames > saved[processor.name] ?? 0,
                let point = source.ledger.coverage(processor.name, inputFrames: frames)
            else { continue }
            let file = StateFile(
                pipeline: pipelineName, model: modelName, modelHash: modelHash, streams: [processor.snapshot()])
            records.append((processor.name, NatsSource.encodeRecord(point, state: file.encode()), frames))
            saved[processor.name] = frames
        }
        let work: @Sendable () -> Void = { [records, source, keyValue, failures, logger] in
            for record in records {
                do {
                    try keyValue.put(record.name, record.data)
                    source.ledger.markSaved(record.name, inputFrames: record.frames)
                    failures.succeeded()
                } catch {
                    failures.failed("\(error)", logger: logger)
                }
            }
            for (_, reply) in source.ledger.takeAcknowledgeable() {
                do { try source.acknowledge(reply) } catch { failures.failed("acknowledge: \(error)", logger: logger) }
            }
        }
        if wait {
            queue.sync(execute: work)
            try? source.flush()
        } else {
            queue.async(execute: work)
        }
    }
}

/// Logs a failing save once until saving works again (used on the saving queue only).
private final class FailureLog: @unchecked Sendable {
    private var last: String?
    func failed(_ message: String, logger: Logger) {
        if last != message { logger.error("\(message)") }
        last = message
    }
    func succeeded() { last = nil }
}
