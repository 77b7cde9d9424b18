import Foundation
import GrustreamIO
import GrustreamPipeline
import Logging

/// `grustream run`: a pipeline file with the command line's overrides, turned into a running pipeline.
public struct PipelineLaunch: Sendable {
    /// `--source`: `-` (stdin), `alsa:DEVICE`, `unix:PATH`, or a file path.
    public var source: String?
    public var format: SourceOptions.Format?
    public var rate: Int?
    public var channels: Int?
    /// `--socket PATH`: publish on this Unix socket (replaces the pipeline's unix sinks); `--socket none`: no
    /// unix sink at all.
    public var socket: String?
    public var noStdout = false
    public var realtime = false
    /// `--duration`: seconds of input to capture (ALSA).
    public var duration: Double?
    public var scores = false
    public var logLevel: String?

    public init() {}

    /// Apply the overrides to `config` (command line over file).
    public func apply(to config: inout PipelineConfig) throws {
        if let source {
            func absolute(_ path: String) -> String {
                path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            }
            switch try SourceAddress(parsing: source) {
            case .standardInput: config.source.kind = .stdin
            case .alsa(let device):
                config.source.kind = .alsa
                config.source.device = device
            case .unixSocket(let path):
                config.source.kind = .unix
                config.source.path = absolute(path)
            case .file(let path):
                config.source.kind = .file
                config.source.path = absolute(path)
                if format == nil && path.lowercased().hasSuffix(".wav") { config.source.format = .wav }
            }
        }
        if let format { config.source.format = format }
        if let rate { config.source.rate = rate }
        if let channels { config.source.channels = channels }
        if realtime { config.source.realtime = true }
        if let duration { config.source.durationSeconds = duration }
        if scores { config.detector.scores = true }
        if let logLevel { config.runtime.logLevel = logLevel }
        if let socket {
            config.sinks.removeAll { $0.kind == .unix }
        }
        if let socket, socket != "none" {
            var sink = SinkOptions()
            sink.kind = .unix
            sink.path = socket
            config.sinks.append(sink)
        }
        if noStdout { config.sinks.removeAll { $0.kind == .stdout } }
        if scores {
            if var table = config.detectorTable?.tableEntries {
                table.removeAll { $0.0 == "scores" }
                table.append(("scores", .bool(true)))
                config.detectorTable = .table(table)
            } else {
                config.detectorTable = .table([("scores", .bool(true))])
            }
        }
    }

    /// The publishers of the pipeline's sinks; a unix sink adopts a socket passed by systemd when there is one.
    /// A unix sink without `path` listens in `location` (made if missing, see `SocketLocation`).
    public static func makePublishers(
        _ pipeline: ResolvedPipeline, activation: SocketActivation, location: SocketLocation = .current(),
        logger: Logger
    ) throws -> [EventPublisher] {
        var publishers: [EventPublisher] = []
        for sink in pipeline.config.sinks {
            switch sink.kind {
            case .stdout: publishers.append(StdoutPublisher())
            case .clips: continue  // not an event publisher: `PipelineRunner` gives each stream a `ClipRecorder`
            case .unix:
                var options = UnixSocketPublisher.Options()
                options.clientQueueLimitBytes = sink.clientQueueBytes
                options.acceptsControl = sink.control
                let path = pipeline.config.sinkSocketPath(sink, location: location)
                let name = URL(fileURLWithPath: path).lastPathComponent
                if let fd = activation.descriptor(named: name) {
                    logger.info("publishing on the socket passed by systemd (\(name), fd \(fd))")
                    publishers.append(
                        try UnixSocketPublisher(listeningFD: fd, pipeline: pipeline.config.name, options: options))
                } else {
                    if sink.path.isEmpty { try location.prepare() }
                    publishers.append(
                        try UnixSocketPublisher(
                            path: path, mode: sink.mode, group: sink.group.isEmpty ? nil : sink.group,
                            pipeline: pipeline.config.name,
                            options: options))
                    logger.info("publishing on \(path)")
                }
            }
        }
        return publishers
    }
}
