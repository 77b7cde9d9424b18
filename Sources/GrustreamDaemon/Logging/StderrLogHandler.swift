import Foundation
import GrustreamPipeline
import Logging

/// swift-log handler writing one line per message to stderr. Under systemd (`JOURNAL_STREAM` set) each line
/// starts with its syslog priority (`<3>` error … `<7>` debug) so journald records the level; otherwise
/// `grustream: level: message`.
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public let syslogPrefixes: Bool

    public init(
        level: Logger.Level, syslogPrefixes: Bool = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil
    ) {
        self.logLevel = level
        self.syslogPrefixes = syslogPrefixes
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let text: String
        if syslogPrefixes {
            text = "<\(Self.priority(event.level))>\(event.message)\n"
        } else {
            text = "grustream: \(event.level): \(event.message)\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// syslog(3) priorities.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// A logger for `grustream` at `level` ("trace" … "critical").
    public static func logger(level: String) throws -> Logger {
        guard let parsed = Logger.Level(rawValue: level) else {
            throw PipelineConfigError(
                "log level \"\(level)\" is not allowed; expected one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        return Logger(label: "grustream") { _ in StderrLogHandler(level: parsed) }
    }
}
