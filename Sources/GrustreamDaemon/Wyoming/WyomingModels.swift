import GrustreamPipeline

/// The wake words a Wyoming server offers: one per pipeline whose detector triggers on one label (a Precise model, a
/// one-word classifier), `PIPELINE:LABEL` for each triggering label of a classifier of several (background labels
/// never trigger). Anomaly pipelines are refused: they detect no words.
public struct WyomingModels: @unchecked Sendable {
    public struct WakeWord: Sendable, Equatable {
        /// What `info` lists, `detect` names and `detection` reports.
        public var name: String
        /// The spoken phrase (the label, `-` and `_` as spaces).
        public var phrase: String
        /// Index into `pipelines`, and the detector label that fires it.
        public var pipeline: Int
        public var label: String
    }

    public let pipelines: [ResolvedPipeline]
    public let words: [WakeWord]
    /// The audio every pipeline reads (they must agree): Hz.
    public let sampleRate: Int
    /// Languages listed for every model in `info`.
    public let languages: [String]

    public init(_ pipelines: [ResolvedPipeline], languages: [String] = ["en"]) throws(PipelineConfigError) {
        guard let first = pipelines.first else { throw PipelineConfigError("wyoming: give at least one --pipeline") }
        var words: [WakeWord] = []
        for (index, pipeline) in pipelines.enumerated() {
            let file = pipeline.config.file?.path ?? pipeline.config.name
            guard pipeline.companions.isEmpty && pipeline.gate == nil else {
                throw PipelineConfigError(
                    "\(file): a pipeline of several models ([[models]]); give the server each model's own pipeline with --pipeline (every pipeline of one server reads the same audio)"
                )
            }
            guard pipeline.detector.kind != .anomaly else {
                throw PipelineConfigError(
                    "\(file): an anomaly pipeline detects no wake word; give a classify or precise one")
            }
            guard pipeline.features.channels == 1 else {
                throw PipelineConfigError(
                    "\(file): the features read \(pipeline.features.channels) channels; a wake word reads mono audio")
            }
            guard Int(pipeline.features.sampleRate) == Int(first.features.sampleRate) else {
                throw PipelineConfigError(
                    "\(file): \(Int(pipeline.features.sampleRate)) Hz, but \(first.config.name) reads \(Int(first.features.sampleRate)) Hz; every pipeline of one server reads the same audio"
                )
            }
            let triggering = pipeline.triggeringLabels
            for label in triggering {
                let name = triggering.count == 1 ? pipeline.config.name : "\(pipeline.config.name):\(label)"
                guard !words.contains(where: { $0.name == name }) else {
                    throw PipelineConfigError(
                        "\(file): two wake words named \"\(name)\"; give the pipelines distinct names")
                }
                let phrase = String(label.map { $0 == "-" || $0 == "_" ? " " : $0 })
                words.append(WakeWord(name: name, phrase: phrase, pipeline: index, label: label))
            }
        }
        self.pipelines = pipelines
        self.words = words
        self.sampleRate = Int(first.features.sampleRate)
        self.languages = languages
    }

    /// The word that `label` of pipeline `pipeline` fires, if any.
    func word(pipeline: Int, label: String) -> WakeWord? {
        words.first { $0.pipeline == pipeline && $0.label == label }
    }

    /// The `info` event answering `describe`: one wake program, "grustream", with every word as a model.
    public func info() -> WyomingEvent {
        let attribution = JSONValue.object([
            ("name", .string("grustream")), ("url", .string("file:///usr/local/share/doc/grustream/README.md")),
        ])
        let models = words.map { word -> JSONValue in
            let pipeline = pipelines[word.pipeline]
            return .object([
                ("name", .string(word.name)), ("attribution", attribution), ("installed", .bool(true)),
                ("description", .string("\(word.phrase) (\(pipeline.model.summary))")),
                ("version", .string(Event.release)), ("languages", .array(languages.map { .string($0) })),
                ("phrase", .string(word.phrase)),
            ])
        }
        let program = JSONValue.object([
            ("name", .string("grustream")), ("attribution", attribution), ("installed", .bool(true)),
            ("description", .string("grustream: streaming features → stateful GRU wake-word detectors")),
            ("version", .string(Event.release)), ("models", .array(models)),
        ])
        return WyomingEvent(
            type: "info",
            data: [
                ("asr", .array([])), ("tts", .array([])), ("handle", .array([])), ("intent", .array([])),
                ("wake", .array([program])), ("mic", .array([])), ("snd", .array([])),
            ])
    }
}
