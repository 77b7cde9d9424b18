import Foundation
import GrustreamDSP
import GrustreamIO
import GrustreamNeural

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one validation of a pipeline that `grustream check`, start-up and SIGHUP reload all run, so whatever
/// `check` accepts starts and reloads, and whatever it refuses is refused at start and on reload with the same
/// one-line message (exit status 2 from the command line; an `ERROR` event and the old pipeline kept on reload).
public enum PipelineValidation {
    /// A decoded pipeline (command-line overrides applied) with its model: the ranges of every key, the model
    /// against the features, the detector and the feature extractor built once, the source's settings and each
    /// socket's path, mode and group. Reads the model file; `stat`s socket paths and looks groups up; opens no
    /// device and binds no socket.
    public static func validate(_ config: PipelineConfig) throws -> ResolvedPipeline {
        try config.checkLimits()
        try checkSockets(config)
        return try check(ResolvedPipeline(config: config))
    }

    /// The same with a model already loaded (`[model] path` is not read): for a fuzz target, which loads its model
    /// once and then validates every input against it.
    package static func validate(_ config: PipelineConfig, model: GRUModel, modelURL: URL) throws -> ResolvedPipeline {
        try config.checkLimits()
        try checkSockets(config)
        return try check(ResolvedPipeline(config: config, model: model, modelURL: modelURL))
    }

    private static func check(_ resolved: ResolvedPipeline) throws -> ResolvedPipeline {
        let config = resolved.config
        _ = try resolved.makeDetector()
        if config.model.onlineLearning { try checkOnlineLearning(resolved) }
        do { _ = try FeatureExtractor(options: resolved.features) } catch let error as FeatureConfigError {
            throw PipelineConfigError("\(config.file?.path ?? config.name): \(error)")
        }
        return resolved
    }

    /// Each unix socket the pipeline makes (the source's and the sinks'): path length, mode, group, and an existing
    /// path being a socket (a stale socket is replaced at start; any other file is refused).
    static func checkSockets(_ config: PipelineConfig) throws {
        let file = config.file?.path ?? config.name
        if config.source.kind == .unix {
            _ = try socketSettings(
                config, key: "source", path: config.sourceSocketPath(), mode: config.source.mode,
                group: config.source.group)
        }
        for (index, sink) in config.sinks.enumerated() where sink.kind == .clips && sink.path.isEmpty {
            throw PipelineConfigError(
                "\(file): sink[\(index)].path is missing; a clips sink needs the folder to write to")
        }
        for (index, sink) in config.sinks.enumerated() where sink.kind == .unix {
            _ = try socketSettings(
                config, key: "sink[\(index)]", path: config.sinkSocketPath(sink), mode: sink.mode, group: sink.group)
        }
    }

    /// The permissions and group id of a socket the pipeline binds, checked as `checkSockets` describes.
    /// `path`: the socket's path as resolved (`PipelineConfig.sinkSocketPath`, `sourceSocketPath`).
    static func socketSettings(_ config: PipelineConfig, key: String, path: String, mode: String, group: String)
        throws -> (mode: mode_t, group: gid_t?)
    {
        let file = config.file?.path ?? config.name
        let resolved = path
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard !path.isEmpty, resolved.utf8.count < capacity else {
            throw PipelineConfigError(
                "\(file): \(key).path = \"\(path)\" is \(resolved.utf8.count) bytes as a path; a socket path is 1 to \(capacity - 1) bytes"
            )
        }
        guard let permissions = UnixListener.mode(mode) else {
            throw PipelineConfigError(
                "\(file): \(key).mode = \"\(mode)\" is not allowed; expected an octal permission of 3 or 4 digits 0-7, at most 0777, like \"0660\""
            )
        }
        var groupID: gid_t?
        if !group.isEmpty {
            groupID = UnixListener.groupID(named: group).id
            if groupID == nil {
                throw PipelineConfigError(
                    "\(file): \(key).group = \"\(group)\" is no group on this system; create it (groupadd \(group)) or name an existing one"
                )
            }
        }
        var info = stat()
        if lstat(resolved, &info) == 0 && info.st_mode & S_IFMT != S_IFSOCK {
            throw PipelineConfigError(
                "\(file): \(key).path = \"\(path)\": \(resolved) exists and is not a socket; refusing to replace it (choose another path)"
            )
        }
        return (permissions, groupID)
    }
}
