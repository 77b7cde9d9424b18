import Foundation
import Logging

/// The run-time side of `[runtime] state_file`: where the file lives, restoring each stream once when it opens,
/// and saving (periodically in the background, and at exit) the streams worth keeping.
/// Only streams with a stable name are kept (`StreamProcessor.keepsState`: a device, a file, stdin, a socket
/// producer that named its stream); a socket producer's per-connection `PATH#N` never is, since the next run gives
/// that name to whichever producer connects first. A stream's state is kept for `retentionSeconds` after it was
/// last open, and at most `maximumSavedStreams` are kept (open streams first, then the most recently closed).
/// Used by the processing thread only; files are written on a private queue.
package final class StateKeeper {
    /// Most streams in a state file (and kept in memory for it); beyond it, the streams idle longest are dropped.
    static let maximumSavedStreams = 1000
    /// How long the state of a stream that is no longer open is kept, in memory and in the file (24 h).
    static let retentionSeconds = 24 * 3600

    let url: URL
    /// Seconds between periodic saves (0: only at exit).
    package let interval: Double
    private let logger: Logger
    private var pipelineName: String
    private var modelName: String
    private(set) var modelHash: String
    /// Snapshots read from the file and not restored yet, by stream (saved again if their stream never opens).
    private var pending: [String: StreamStateSnapshot] = [:]
    /// Snapshots of streams that closed during this run.
    private var closed: [String: StreamStateSnapshot] = [:]
    private let writer = StateWriter()

    /// nil when the pipeline keeps no state. Throws when the state file's folder cannot be written (a
    /// `PipelineConfigError`) or the model file cannot be read for its hash.
    package init?(
        pipeline: ResolvedPipeline, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let file = pipeline.config.runtime.stateFile
        guard !file.isEmpty else { return nil }
        url = Self.location(of: file, environment: environment)
        try StateFile.checkWritable(url)
        interval = pipeline.config.runtime.stateIntervalSeconds
        self.logger = logger
        pipelineName = pipeline.config.name
        modelName = pipeline.modelURL.lastPathComponent
        modelHash = try StateFile.hash(of: pipeline.modelFiles)
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
    package func load(now: WallTime = .now()) -> String? {
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
            let kept = Self.streamsToKeep(open: [], idle: file.streams, now: now)
            pending = Dictionary(kept.map { ($0.stream, $0) }, uniquingKeysWith: { $1 })
            logger.notice("saved state of \(pending.count) stream(s) found in \(url.path)")
            return nil
        } catch {
            return "\(error); ignored, streams start from the initial state"
        }
    }

    /// Give `processor` its saved state, if it keeps state and there is one for its stream. Returns a problem to
    /// report.
    package func restore(into processor: StreamProcessor) -> String? {
        guard processor.keepsState, let snapshot = pending.removeValue(forKey: processor.stateKey) else { return nil }
        do {
            try processor.restore(snapshot)
            logger.notice("\(processor.stateKey): hidden and detector state restored from \(url.path)")
            return nil
        } catch {
            return
                "\(url.path): stream \(processor.stateKey): \(error); ignored, the stream starts from the initial state"
        }
    }

    /// A stream closed: keep its last state for the next saves (streams without a stable name are not kept).
    package func remember(_ processor: StreamProcessor, now: WallTime = .now()) {
        guard processor.keepsState else { return }
        var snapshot = processor.snapshot()
        snapshot.idleSince = now
        closed[snapshot.stream] = snapshot
        if closed.count > Self.maximumSavedStreams {
            let kept = Self.streamsToKeep(open: [], idle: Array(closed.values), now: now)
            closed = Dictionary(kept.map { ($0.stream, $0) }, uniquingKeysWith: { $1 })
        }
    }

    /// After a reload: state saved for another model no longer applies. Returns a problem to report when the
    /// state file can no longer be written.
    package func pipelineChanged(to pipeline: ResolvedPipeline) -> String? {
        pipelineName = pipeline.config.name
        modelName = pipeline.modelURL.lastPathComponent
        if let hash = try? StateFile.hash(of: pipeline.modelFiles), hash != modelHash {
            modelHash = hash
            pending = [:]
            closed = [:]
        }
        do { try StateFile.checkWritable(url) } catch { return "\(error)" }
        return nil
    }

    /// Save the open streams (those that keep state) with the closed and not yet restored ones, within the
    /// retention time and `maximumSavedStreams`. `wait`: write now (at exit); otherwise in the background.
    package func save(open: some Sequence<StreamProcessor>, wait: Bool, now: WallTime = .now()) {
        let openSnapshots = open.filter(\.keepsState).map { processor in
            var snapshot = processor.snapshot()
            snapshot.idleSince = now
            return snapshot
        }
        var idle = pending
        for (name, snapshot) in closed { idle[name] = snapshot }
        let streams = Self.streamsToKeep(open: openSnapshots, idle: Array(idle.values), now: now)
        let keptNames = Set(streams.map(\.stream))
        pending = pending.filter { keptNames.contains($0.key) }
        closed = closed.filter { keptNames.contains($0.key) }
        guard !streams.isEmpty else { return }
        let file = StateFile(pipeline: pipelineName, model: modelName, modelHash: modelHash, streams: streams)
        let work: @Sendable () -> Void = { [writer, url, logger] in writer.write(file, to: url, logger: logger) }
        if wait { writer.queue.sync(execute: work) } else { writer.queue.async(execute: work) }
    }

    /// The snapshots a state file keeps, sorted by stream name: every open stream's, then idle ones (closed or not
    /// yet restored) no older than `retentionSeconds` (a missing time counts as now), most recent first, up to
    /// `maximumSavedStreams` in all. An idle snapshot of a stream that is open again is superseded.
    static func streamsToKeep(
        open: [StreamStateSnapshot], idle: [StreamStateSnapshot], now: WallTime
    ) -> [StreamStateSnapshot] {
        let oldest = now.millisecondsSinceEpoch - Int64(retentionSeconds) * 1000
        let openNames = Set(open.map(\.stream))
        let recent = idle.filter {
            !openNames.contains($0.stream) && ($0.idleSince ?? now).millisecondsSinceEpoch >= oldest
        }
        .sorted { ($0.idleSince ?? now, $1.stream) > ($1.idleSince ?? now, $0.stream) }
        let kept = (open.sorted { $0.stream < $1.stream } + recent).prefix(maximumSavedStreams)
        return kept.sorted { $0.stream < $1.stream }
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
