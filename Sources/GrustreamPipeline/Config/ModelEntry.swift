import GrustreamDSP

/// One `[[models]]` entry of a pipeline with several models on one input: a model with its own labels and
/// detector, reading features that are computed once for every model that asks for the same ones.
/// `features` and `detector` are tables laid over the pipeline's `[features]` and `[detector]`.
public struct ModelEntry: Sendable, Equatable {
    /// Name in events (`"model"`) and in messages; empty: the model file's name without `.safetensors`.
    public var name: String = ""
    /// The network and how to run it (the keys of `[model]`).
    public var model = ModelOptions()
    /// Only run while the pipeline's `[gate]` hears voice.
    public var gated = false
    /// This model's `[features]` keys, over the pipeline's.
    public var featuresTable: ConfigValue?
    /// This model's `[detector]` keys, over the pipeline's.
    public var detectorTable: ConfigValue?

    public init() {}

    /// The name events carry: `name`, else the model file's name without its extension.
    public var displayName: String {
        if !name.isEmpty { return name }
        let file = model.path.split(separator: "/").last.map(String.init) ?? model.path
        return file.hasSuffix(".safetensors") ? String(file.dropLast(".safetensors".count)) : file
    }

    public static let fields: [OptionField<ModelEntry>] =
        [
            .string("name", \.name, "name in events (\"model\"); default: the model file's name"),
            .bool("gated", \.gated, "run only while the [gate] hears voice"),
            .custom(
                "features", "feature keys over the pipeline's [features]",
                apply: { entry, value, path in
                    guard value.tableEntries != nil else {
                        throw OptionField<ModelEntry>.mismatch(path, value, "a table")
                    }
                    entry.featuresTable = value
                }, render: { $0.featuresTable.map { $0.literal } ?? "{}" }),
            .custom(
                "detector", "detector keys over the pipeline's [detector]",
                apply: { entry, value, path in
                    var probe = DetectorOptions()
                    try DetectorOptions.apply(value, to: &probe, path: path)
                    entry.detectorTable = value
                }, render: { $0.detectorTable.map { $0.literal } ?? "{}" }),
        ] + ModelOptions.fields.map { $0.lifted(\ModelEntry.model) }
}

/// `[gate]`: a voice-activity gate over the models marked `gated`: while it hears no voice they skip their GRU
/// step and detect nothing. An energy detector on the input samples (10 ms blocks): a block is voice when its level
/// is `margin_db` above the tracked noise floor and above `min_db`; the gate stays open `hold_ms` after the last
/// voice block, and on opening a gated model first runs the `pre_roll_ms` of frames before it from its initial
/// state.
public struct GateOptions: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case energy }
    public var kind: Kind = .energy
    /// dB above the noise floor that make a block voice.
    public var marginDecibels: Double = 10
    /// Level (dBFS) a block must reach to be voice, whatever the floor.
    public var minimumDecibels: Double = -55
    /// How fast the noise floor may rise (dB per second); it falls at once to a quieter 100 ms average level.
    public var floorRiseDecibelsPerSecond: Double = 3
    /// The gate stays open this long after the last voice block (milliseconds).
    public var holdMilliseconds: Double = 500
    /// Frames before the opening that a gated model runs first (milliseconds; at most 1 s).
    public var preRollMilliseconds: Double = 300

    public init() {}

    public static let fields: [OptionField<GateOptions>] = [
        .choice("kind", \.kind, "energy: the input's level against its tracked noise floor"),
        .number(
            "margin_db", \.marginDecibels, "dB above the noise floor that make a 10 ms block voice", .within(0, 100)),
        .number("min_db", \.minimumDecibels, "dBFS a voice block must reach", .within(-150, 0)),
        .number(
            "floor_rise_db_per_s", \.floorRiseDecibelsPerSecond, "how fast the noise floor may rise",
            .positive(upTo: 1000)),
        .number("hold_ms", \.holdMilliseconds, "open this long after the last voice block", .within(0, 60_000)),
        .number(
            "pre_roll_ms", \.preRollMilliseconds, "frames before the opening a gated model runs first",
            .within(0, 1000)),
    ]
}

extension OptionField {
    /// This field of a nested struct, as a field of the struct holding it (same key, same help).
    func lifted<Outer>(_ keyPath: WritableKeyPath<Outer, Root>) -> OptionField<Outer> {
        OptionField<Outer>(key: key, help: help) { outer, value, path in
            try apply(&outer[keyPath: keyPath], value, path)
        } render: {
            render($0[keyPath: keyPath])
        }
    }
}

extension ModelEntry {
    /// `[[models]]`: an array of tables, at most `ConfigLimits.maximumModels`.
    static func decodeList(_ value: ConfigValue, path: String) throws -> [ModelEntry] {
        guard case .array(let items) = value else {
            throw OptionField<ModelEntry>.mismatch(path, value, "an array of tables: write [[models]]")
        }
        guard items.count <= ConfigLimits.maximumModels else {
            throw PipelineConfigError("\(path): \(items.count) models; expected at most \(ConfigLimits.maximumModels)")
        }
        return try items.enumerated().map { index, item in
            var entry = ModelEntry()
            try OptionTable.apply(item, to: &entry, fields: fields, path: "\(path)[\(index)]")
            return entry
        }
    }
}

extension PipelineConfig {
    /// A key table laid over another: the later table's keys win (nil when both are nil).
    static func overlay(_ base: ConfigValue?, _ top: ConfigValue?) -> ConfigValue? {
        guard let top else { return base }
        var entries = base?.tableEntries ?? []
        for (key, value) in top.tableEntries ?? [] {
            entries.removeAll { $0.0 == key }
            entries.append((key, value))
        }
        return .table(entries)
    }

    /// `[[models]]` with `[model]`, `[gate]` and `gated` checked against each other; each model's features (the
    /// pipeline's with its own keys over them) decoded, so a bad key is reported with its path.
    func checkModels(sections: Set<String>) throws {
        guard !models.isEmpty else {
            if gate != nil {
                throw PipelineConfigError("gate: a [gate] needs [[models]] entries with gated = true")
            }
            return
        }
        if sections.contains("model") {
            throw PipelineConfigError(
                "model: a pipeline has either one [model] or several [[models]]; move [model] into a [[models]] entry")
        }
        var seen: Set<String> = []
        for (index, entry) in models.enumerated() {
            let path = "models[\(index)]"
            guard !entry.model.path.isEmpty else {
                throw PipelineConfigError(
                    "\(path).path: no model given; each [[models]] entry needs path = \"….safetensors\"")
            }
            guard seen.insert(entry.displayName).inserted else {
                throw PipelineConfigError(
                    "\(path).name = \"\(entry.displayName)\": another model has this name; give each a different name")
            }
            if entry.gated && gate == nil {
                throw PipelineConfigError("\(path).gated = true, but there is no [gate]; add [gate] kind = \"energy\"")
            }
            if entry.model.onlineLearning {
                throw PipelineConfigError(
                    "\(path).online_learning: online learning runs in single-model pipelines only")
            }
            if let table = entry.featuresTable {
                _ = try FeatureOptions.decode(
                    Self.overlay(featuresTable, table), defaultRate: Double(source.rate), path: "\(path).features")
            }
        }
        if gate != nil && !models.contains(where: \.gated) {
            throw PipelineConfigError("gate: no model is gated; set gated = true on the [[models]] the gate controls")
        }
    }
}
