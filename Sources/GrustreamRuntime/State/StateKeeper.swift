import Foundation
import Logging

/// The run-time side of `[runtime] state_file`: where the file lives, restoring each stream once when it opens,
/// and saving (periodically in the background, and at exit) every stream seen in this run.
/// Used by the processing thread only; files are written on a private queue.
final class StateKeeper {
    let url: URL
    /// Seconds between periodic saves (0: only at exit).
    let interval: Double
    private let logger: Logger
    private var pipelineName: String
    private var modelName: String
    private(set) var modelHash: String
    /// Snapshots read from the file and not restored yet, by stream (saved again if their stream never opens).
    private var pending: [String: StreamStateSnapshot] = [:]
    /// Snapshots of streams that closed during this run.
    private var closed: [String: StreamStateSnapshot] = [:]
    private let writer = StateWriter()

    /// nil when the pipeline keeps no state. Throws when the model file cannot be read for its hash.
    init?(
        pipeline: ResolvedPipeline, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let file = pipeline.config.runtime.stateFile
        guard !file.isEmpty else { return nil }
        url = Self.location(of: file, environment: environment)
        interval = pipeline.config.runtime.stateIntervalSeconds
        self.logger = logger
        pipelineName = pipeline.config.name
        modelName = pipeline.modelURL.lastPathComponent
        modelHash = try StateFile.hash(of: pipeline.modelURL)
    }

    /// An absolute `state_file` as is; a relative one under `$STATE_DIRECTORY` (systemd's `StateDirectory=`; the
    /// first one if several) or else `/var/lib/grustream`.
    static func location(of file: String, environment: [String: String]) -> URL {
        if file.hasPrefix("/") { return URL(fileURLWithPath: file) }
        let folder =
            environment["STATE_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
            ?? "/var/lib/grustream"
        return URL(fileURLWithPath: folder).appendingPathComponent(file)
    }

    /// Read the file. Returns a problem to report (the file is then ignored), nil when it is fine or absent.
    func load() -> String? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            logger.info("no saved state in \(url.path) yet: streams start from the initial state")
            return nil
        }
        do {
            let file = try StateFile.read(url)
            guard file.modelHash == modelHash else {
                return "\(url.path): saved for another model (\(file.model), hash \(file.modelHash)) than \(modelName) "
                    + "(hash \(modelHash)); ignored, streams start from the initial state"
            }
            pending = Dictionary(file.streams.map { ($0.stream, $0) }, uniquingKeysWith: { $1 })
            logger.notice("saved state of \(file.streams.count) stream(s) found in \(url.path)")
            return nil
        } catch {
            return "\(error); ignored, streams start from the initial state"
        }
    }

    /// Give `processor` its saved state, if there is one for its stream. Returns a problem to report.
    func restore(into processor: StreamProcessor) -> String? {
        guard let snapshot = pending.removeValue(forKey: processor.name) else { return nil }
        do {
            try processor.restore(snapshot)
            logger.notice("\(processor.name): hidden and detector state restored from \(url.path)")
            return nil
        } catch {
            return "\(url.path): stream \(processor.name): \(error); ignored, the stream starts from the initial state"
        }
    }

    /// A stream closed: keep its last state for the next save.
    func remember(_ snapshot: StreamStateSnapshot) { closed[snapshot.stream] = snapshot }

    /// After a reload: state saved for another model no longer applies.
    func pipelineChanged(to pipeline: ResolvedPipeline) {
        pipelineName = pipeline.config.name
        modelName = pipeline.modelURL.lastPathComponent
        guard let hash = try? StateFile.hash(of: pipeline.modelURL), hash != modelHash else { return }
        modelHash = hash
        pending = [:]
        closed = [:]
    }

    /// Save the open streams' snapshots with the closed and not yet restored ones. `wait`: write now (at exit);
    /// otherwise in the background.
    func save(open: [StreamStateSnapshot], wait: Bool) {
        var byStream = pending
        for (name, snapshot) in closed { byStream[name] = snapshot }
        for snapshot in open { byStream[snapshot.stream] = snapshot }
        guard !byStream.isEmpty else { return }
        let file = StateFile(
            pipeline: pipelineName, model: modelName, modelHash: modelHash,
            streams: byStream.keys.sorted().map { byStream[$0]! })
        let work: @Sendable () -> Void = { [writer, url, logger] in writer.write(file, to: url, logger: logger) }
        if wait { writer.queue.sync(execute: work) } else { writer.queue.async(execute: work) }
    }
}

/// Writes state files one at a time on its queue; logs a failure once until a write succeeds again.
private final class StateWriter: @unchecked Sendable {
    let queue = DispatchQueue(label: "grustream.state-file")
    /// Touched on `queue` only.
    private var lastError: String?

    func write(_ file: StateFile, to url: URL, logger: Logger) {
        do {
            try file.write(to: url)
            logger.debug("state of \(file.streams.count) stream(s) saved to \(url.path)")
            lastError = nil
        } catch {
            if lastError != "\(error)" { logger.error("\(error)") }
            lastError = "\(error)"
        }
    }
}
