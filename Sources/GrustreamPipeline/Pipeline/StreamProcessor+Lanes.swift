extension StreamProcessor {
    /// This processor and the stream's other models (`[[models]]`), the first model first.
    public var allLanes: [StreamProcessor] { [self] + lanes }

    /// The stream's name in the state file: `STREAM/MODEL` for a model of a `[[models]]` pipeline.
    public var stateKey: String { pipeline.modelName.map { "\(name)/\($0)" } ?? name }

    /// `DETECTION`/`ANOMALY` events of every model of the stream.
    public var eventsOfAllModels: Int { lanes.reduce(events) { $0 + $1.events } }

    /// Frames the stream's gated models skipped while the gate was closed, all models.
    public var gatedFramesOfAllModels: Int { lanes.reduce(gatedFrames) { $0 + $1.gatedFrames } }

    /// The most recent event of every model of the stream.
    public var lastEventOfAllModels: (label: String, t: Double)? {
        lanes.compactMap(\.lastEvent).reduce(lastEvent) { best, event in
            guard let best else { return event }
            return event.t > best.t ? event : best
        }
    }

    /// `THRESHOLD`: of `label` in every model that has it (nil: every model's triggering labels). Checked on every
    /// model first (a fresh detector of its pipeline), so a refusal changes nothing.
    public func setThreshold(_ value: Double, label: String?) throws(PipelineConfigError) {
        let targets = allLanes.filter { label == nil || $0.detector.labels.contains(label!) }
        guard !targets.isEmpty, let label else {
            if targets.isEmpty {
                let known = Set(allLanes.flatMap(\.detector.labels)).sorted()
                throw PipelineConfigError(
                    "unknown label \"\(label ?? "")\"; the models' labels: \(known.joined(separator: ", "))")
            }
            for target in targets { try Self.check(target, value, nil) }
            for target in targets { try target.detector.setThreshold(value, label: nil) }
            return
        }
        for target in targets { try Self.check(target, value, label) }
        for target in targets { try target.detector.setThreshold(value, label: label) }
    }

    private static func check(_ target: StreamProcessor, _ value: Double, _ label: String?) throws(PipelineConfigError)
    {
        if let probe = try? target.pipeline.makeDetector() { try probe.setThreshold(value, label: label) }
    }
}
