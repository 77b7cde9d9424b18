import Foundation
import GrustreamPipeline

extension PipelineLaunch {
    /// SIGHUP: the pipeline read again, with the same command-line overrides, and checked with its model as a
    /// replacement for `running`. The source, the sinks and the log level stay those of the running pipeline (they
    /// change at the next restart); `notes` names what the file changed there.
    public func reloadPipeline(_ nameOrPath: String, running: PipelineConfig) throws -> (
        ResolvedPipeline, notes: [String]
    ) {
        var config = try PipelineLocator.load(nameOrPath)
        try apply(to: &config)
        let file = config.file?.path ?? config.name
        var notes: [String] = []
        if config.source != running.source {
            notes.append("\(file): [source] changed; it takes effect at the next restart")
        }
        if config.sinks != running.sinks {
            notes.append("\(file): [[sink]] changed; it takes effect at the next restart")
        }
        if config.runtime.logLevel != running.runtime.logLevel {
            notes.append("\(file): runtime.log_level changed; it takes effect at the next restart")
        }
        config.source = running.source
        config.sinks = running.sinks
        config.runtime.logLevel = running.runtime.logLevel
        return (try PipelineValidation.validate(config), notes)
    }
}
