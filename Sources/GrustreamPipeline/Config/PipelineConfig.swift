import Foundation
import GrustreamDSP

/// A whole pipeline file (`pipelines/NAME.toml`) decoded into the option structs of every stage.
/// Every key has a default; unknown keys, wrong types and impossible values are errors naming
/// the file and the key path.
public struct PipelineConfig: Sendable {
    /// Pipeline name (the file name without `.toml`; `demo` for the embedded default).
    public var name: String
    /// Where it was read from (for messages and for resolving relative paths); nil when built in code.
    public var file: URL?
    public var source = SourceOptions()
    /// Whether `[features]` was given (otherwise the model's metadata supplies the features, and `features` keeps
    /// its defaults until the pipeline is resolved with its model).
    public var featuresGiven = false
    /// The raw `[features]` table, kept so the model's feature options can be overlaid by the pipeline's.
    public var featuresTable: ConfigValue?
    public var features = FeatureOptions()
    public var model = ModelOptions()
    public var detector = DetectorOptions()
    /// The raw `[detector]` table, overlaid on the model's calibration when the pipeline is resolved.
    public var detectorTable: ConfigValue?
    public var sinks: [SinkOptions] = [SinkOptions()]
    public var runtime = RuntimeOptions()
    /// `[[models]]`: several models on the one input (empty: the single `[model]`).
    public var models: [ModelEntry] = []
    /// `[gate]`: the voice-activity gate of the `gated` models.
    public var gate: GateOptions?

    public init(name: String) { self.name = name }

    /// The sections a pipeline file may have.
    public static let sections = ["source", "features", "model", "detector", "sink", "runtime", "models", "gate"]

    /// Parse and decode a pipeline file. At most `TOMLParser.maximumBytes` are read, whatever the file is.
    public static func load(_ url: URL) throws -> PipelineConfig {
        let bytes: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            bytes = [UInt8](try handle.read(upToCount: TOMLParser.maximumBytes + 1) ?? Data())
        } catch {
            throw PipelineConfigError("\(url.path): cannot read pipeline file (\(error.localizedDescription))")
        }
        return try parse(bytes, file: url)
    }

    public static func parse(_ text: String, file: URL?, name: String? = nil) throws -> PipelineConfig {
        try parse(Array(text.utf8), file: file, name: name)
    }

    /// Parse and decode pipeline-file bytes: TOML syntax, then every section's keys, types and ranges. Touches no
    /// file (the model is read by `PipelineValidation`).
    package static func parse(_ bytes: [UInt8], file: URL?, name: String? = nil) throws -> PipelineConfig {
        let fileName = file?.path ?? "(built-in pipeline)"
        var config = PipelineConfig(name: name ?? file?.deletingPathExtension().lastPathComponent ?? "pipeline")
        config.file = file
        do {
            let document = try ConfigValue.parseTOML(bytes, file: fileName)
            for (key, value) in document.tableEntries ?? [] {
                switch key {
                case "source": try OptionTable.apply(value, to: &config.source, fields: SourceOptions.fields, path: key)
                case "features":
                    config.featuresGiven = true
                    config.featuresTable = value
                case "model": try OptionTable.apply(value, to: &config.model, fields: ModelOptions.fields, path: key)
                case "detector":
                    try DetectorOptions.apply(value, to: &config.detector, path: key)
                    config.detectorTable = value
                case "sink":
                    guard case .array(let items) = value else {
                        throw OptionField<SinkOptions>.mismatch(key, value, "an array of tables: write [[sink]]")
                    }
                    config.sinks = try items.enumerated().map { index, item in
                        var sink = SinkOptions()
                        try OptionTable.apply(item, to: &sink, fields: SinkOptions.fields, path: "sink[\(index)]")
                        return sink
                    }
                case "runtime":
                    try OptionTable.apply(value, to: &config.runtime, fields: RuntimeOptions.fields, path: key)
                case "models":
                    config.models = try ModelEntry.decodeList(value, path: key)
                case "gate":
                    var gate = GateOptions()
                    try OptionTable.apply(value, to: &gate, fields: GateOptions.fields, path: key)
                    config.gate = gate
                default:
                    throw PipelineConfigError(
                        "\(key): unknown section; allowed: \(sections.map { "[\($0)]" }.joined(separator: ", "))")
                }
            }
            if config.featuresGiven {
                config.features = try FeatureOptions.decode(
                    config.featuresTable, defaultRate: Double(config.source.rate))
            }
            try config.checkModels(sections: Set((document.tableEntries ?? []).map(\.0)))
        } catch let error as PipelineConfigError where !error.description.hasPrefix(fileName) {
            throw PipelineConfigError("\(fileName): \(error.description)")
        }
        return config
    }

    /// A path from the pipeline file, resolved against the file's folder (absolute paths as they are).
    public func resolve(_ path: String) -> URL {
        if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
        guard let file else { return URL(fileURLWithPath: path) }
        return file.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
    }

    /// Every option of every stage, `section.key = value  # meaning`, for `--print-options` and debug logs.
    public func describe() -> String {
        var lines: [String] = []
        lines.append(OptionTable.format(OptionTable.describe(source, fields: SourceOptions.fields), prefix: "source."))
        lines.append(OptionTable.format(features.describeFields(), prefix: "features."))
        lines.append(OptionTable.format(OptionTable.describe(model, fields: ModelOptions.fields), prefix: "model."))
        lines.append(OptionTable.format(detector.describe(), prefix: "detector."))
        for (i, sink) in sinks.enumerated() {
            lines.append(
                OptionTable.format(OptionTable.describe(sink, fields: SinkOptions.fields), prefix: "sink[\(i)]."))
        }
        lines.append(
            OptionTable.format(OptionTable.describe(runtime, fields: RuntimeOptions.fields), prefix: "runtime."))
        return lines.joined(separator: "\n")
    }
}
