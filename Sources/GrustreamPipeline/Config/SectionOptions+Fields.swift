import GrustreamIO
import GrustreamNeural

/// The pipeline-file keys of each stage's options: name, field, meaning (with unit) and allowed values.
/// Defaults live in the option structs themselves.
extension SourceOptions {
    public static let fields: [OptionField<SourceOptions>] = [
        .choice("kind", \.kind, "alsa | stdin | file | unix"),
        .string("device", \.device, "ALSA capture device (arecord -D name)"),
        .string("path", \.path, "file or socket path (relative: from the pipeline file)"),
        .integer("rate", \.rate, "sample (or sensor frame) rate, Hz", ConfigLimits.rateHertz),
        .integer("channels", \.channels, "interleaved channels per frame", ConfigLimits.channels),
        .choice("format", \.format, "s16le | s32le | f32le | wav | csv | jsonl"),
        .bool("realtime", \.realtime, "pace file input at its sample rate"),
        .number("period_ms", \.periodMilliseconds, "ALSA period, ms", ConfigLimits.alsaPeriodMilliseconds),
        .number("buffer_ms", \.bufferMilliseconds, "ALSA buffer, ms", ConfigLimits.alsaBufferMilliseconds),
        .bool("retry", \.retry, "retry a failing capture device with backoff instead of exiting"),
        .bool(
            "timestamp_column", \.timestampColumn,
            "CSV: first column is a timestamp (epoch seconds or ISO 8601), carried into events as \"ts\""),
        .custom(
            "header",
            "CSV: first line holds column names: \"auto\" (when none of its fields is a value) | true | false",
            apply: { options, value, path in
                switch value {
                case .bool(let present): options.header = present ? .present : .absent
                case .string("auto"): options.header = .auto
                default: throw OptionField<SourceOptions>.mismatch(path, value, "true, false or \"auto\"")
                }
            },
            render: { $0.header == .auto ? "\"auto\"" : $0.header.rawValue }),
        .choice("bad_frames", \.badFrames, "bad sensor frames: skip | hold (repeat the last good frame)"),
        .number("buffer_seconds", \.bufferSeconds, "capture→processing ring capacity, s", ConfigLimits.bufferSeconds),
        .string("stream", \.stream, "stream name in events (default: the pipeline name)"),
        .number(
            "duration_s", \.durationSeconds, "ALSA: stop after this much audio, s (0: until stopped)",
            ConfigLimits.durationSeconds),
        .string("mode", \.mode, "unix: socket file permissions, octal"),
        .string("group", \.group, "unix: group owning the socket file"),
    ]
}

extension ModelOptions {
    public static let fields: [OptionField<ModelOptions>] = [
        .string("path", \.path, "safetensors model (relative: from the pipeline file)"),
        .custom(
            "mode", "model | carry | window:N (re-run the last N frames from h0 at every frame)",
            apply: { options, value, path in
                guard case .string(let text) = value, let mode = ModelOptions.parseMode(text) else {
                    throw PipelineConfigError(
                        "\(path) = \(value.literal) is not allowed; expected \"model\", \"carry\" or \"window:N\" with 1 ≤ N ≤ \(ConfigLimits.maximumWindowFrames)"
                    )
                }
                options.mode = mode
            },
            render: {
                switch $0.mode {
                case .fromModel: "\"model\""
                case .carry: "\"carry\""
                case .window(let n): "\"window:\(n)\""
                }
            }),
        .choice(
            "output_activation", \.outputActivation, "model | none | sigmoid | softmax, applied before the detector"),
        .custom(
            "labels", "output labels, overriding the model's",
            apply: { options, value, path in
                guard case .array(let items) = value else {
                    throw OptionField<ModelOptions>.mismatch(path, value, "an array of strings")
                }
                options.labels = try items.enumerated().map { index, item in
                    guard case .string(let s) = item else {
                        throw OptionField<ModelOptions>.mismatch("\(path)[\(index)]", item, "a string")
                    }
                    return s
                }
            },
            render: {
                $0.labels.isEmpty
                    ? "[] (from the model)" : "[" + $0.labels.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
            }),
        .custom(
            "ensemble", "more models for the same labels: the detector reads the mean of all posteriors",
            apply: { options, value, path in
                guard case .array(let items) = value else {
                    throw OptionField<ModelOptions>.mismatch(path, value, "an array of model paths")
                }
                guard items.count <= ConfigLimits.maximumEnsembleMembers else {
                    throw PipelineConfigError(
                        "\(path): \(items.count) models; expected at most \(ConfigLimits.maximumEnsembleMembers)")
                }
                options.ensemble = try items.enumerated().map { index, item in
                    guard case .string(let s) = item, !s.isEmpty else {
                        throw OptionField<ModelOptions>.mismatch("\(path)[\(index)]", item, "a model path")
                    }
                    return s
                }
            },
            render: { "[" + $0.ensemble.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }),
        .bool("online_learning", \.onlineLearning, "keep training the predictor on each stream (its own weights)"),
        .number(
            "online_learning_rate", \.onlineLearningRate, "Adam learning rate of online steps",
            ConfigLimits.onlineLearningRate),
        .integer(
            "online_window_frames", \.onlineWindowFrames, "frames of each online step's truncated-BPTT window",
            ConfigLimits.onlineWindowFrames),
        .integer(
            "online_every_frames", \.onlineEveryFrames, "frames between online optimiser steps",
            ConfigLimits.onlineEveryFrames),
    ]

    /// `"carry"`, `"model"`, `"window:29"`.
    public static func parseMode(_ text: String) -> Mode? {
        switch text {
        case "model": return .fromModel
        case "carry": return .carry
        default:
            guard case .window(let n)? = InferenceMode(text) else { return nil }
            return .window(n)
        }
    }
}

extension ClassifyOptions {
    public static let fields: [OptionField<ClassifyOptions>] = [
        .number("threshold", \.threshold, "smoothed posterior that triggers a detection", .within(0, 1)),
        .custom(
            "thresholds", "per-label thresholds, e.g. { yes = 0.9 }",
            apply: { options, value, path in
                guard let entries = value.tableEntries else {
                    throw OptionField<ClassifyOptions>.mismatch(path, value, "a table of label = threshold")
                }
                for (label, v) in entries {
                    var one: Float = 0
                    switch v {
                    case .float(let d): one = Float(d)
                    case .integer(let i): one = Float(i)
                    default: throw OptionField<ClassifyOptions>.mismatch("\(path).\(label)", v, "a number")
                    }
                    guard one >= 0 && one <= 1 else {
                        throw PipelineConfigError("\(path).\(label) = \(one) is out of range; expected ≥ 0 and ≤ 1")
                    }
                    options.labelThresholds[label] = one
                }
            },
            render: {
                $0.labelThresholds.isEmpty
                    ? "{}"
                    : "{ "
                        + $0.labelThresholds.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(
                            separator: ", ") + " }"
            }),
        .number(
            "smooth_ms", \.smoothMilliseconds, "moving-average window of the posteriors, ms",
            ConfigLimits.smoothMilliseconds),
        .number(
            "refractory_ms", \.refractoryMilliseconds, "quiet time after a detection, per label, ms",
            ConfigLimits.spanMilliseconds),
        .custom(
            "background_labels", "labels that never trigger",
            apply: { options, value, path in
                guard case .array(let items) = value else {
                    throw OptionField<ClassifyOptions>.mismatch(path, value, "an array of strings")
                }
                options.backgroundLabelsGiven = true
                options.backgroundLabels = try items.map {
                    guard case .string(let s) = $0 else {
                        throw OptionField<ClassifyOptions>.mismatch(path, $0, "a string")
                    }
                    return s
                }
            },
            render: { "[" + $0.backgroundLabels.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }),
    ]
}

extension AnomalyOptions {
    public static let fields: [OptionField<AnomalyOptions>] = [
        .choice("target", \.target, "next (the output predicts the next frame) | current (reconstruction)"),
        .choice("score", \.scale, "what threshold applies to: zscore | likelihood | log_likelihood"),
        .number(
            "threshold", \.threshold,
            "score that opens a span: standard deviations of normal log error (zscore), or in (0, 1) (likelihood)",
            .positive),
        .number("hysteresis", \.hysteresis, "a span closes below threshold × hysteresis", .within(0.01, 1)),
        .number(
            "smooth_ms", \.smoothMilliseconds, "EWMA time constant of the score, ms", ConfigLimits.smoothMilliseconds),
        .number("error_mean", \.errorMean, "mean log error on normal data (0 with error_std 0: learn during warm-up)"),
        .number("error_std", \.errorStd, "std of the log error on normal data", .nonNegative),
        .number(
            "warmup_ms", \.warmupMilliseconds, "warm-up to learn the error statistics, ms",
            ConfigLimits.warmupMilliseconds),
        .number(
            "min_span_ms", \.minimumSpanMilliseconds, "shorter spans are not reported (the open event waits), ms",
            ConfigLimits.spanMilliseconds),
        .number(
            "alert_interval_ms", \.alertIntervalMilliseconds, "ANOMALY ongoing events while a span lasts, ms (0: none)",
            .nonNegative),
        .number(
            "likelihood_short_ms", \.likelihoodShortMilliseconds, "window of recent errors the likelihood judges, ms",
            .positive),
        .number(
            "likelihood_long_ms", \.likelihoodLongMilliseconds, "history the recent errors are compared with, ms",
            .positive),
        .bool(
            "likelihood_learn_in_spans", \.likelihoodLearnInSpans,
            "the likelihood's history learns from frames inside open spans too"),
        .bool("range_novelty", \.rangeNovelty, "likelihood 1 when an input leaves the range of all inputs so far"),
        .number(
            "range_tolerance", \.rangeTolerance, "range_novelty: margin as a fraction of the range's width",
            .nonNegative),
        .number(
            "peak_window_ms", \.peakWindowMilliseconds,
            "SCORES peak: the score where it tops the window before it, else 0, ms", .nonNegative),
        .number(
            "likelihood_learn_ms", \.likelihoodLearnMilliseconds, "history needed before the likelihood leaves 0.5, ms",
            .positive),
        .number(
            "likelihood_log_offset", \.likelihoodLogOffset,
            "> 0: the likelihood judges ln(short mean of squared errors + this) (0: the mean itself)", .nonNegative),
    ]
}

extension DetectorOptions {
    /// `kind` is read first; the other keys are those of that kind (plus `scores`, `scores_attention`).
    public static func apply(_ value: ConfigValue, to options: inout DetectorOptions, path: String) throws {
        guard let entries = value.tableEntries else {
            throw OptionField<DetectorOptions>.mismatch(path, value, "a table")
        }
        let kindField: [OptionField<DetectorOptions>] = [.choice("kind", \.kind, "classify | anomaly | precise")]
        if let kind = value["kind"] {
            try OptionTable.apply(.table([("kind", kind)]), to: &options, fields: kindField, path: path)
        }
        let rest = ConfigValue.table(entries.filter { !["kind", "scores", "scores_attention"].contains($0.0) })
        for (key, keyPath) in [("scores", \DetectorOptions.scores), ("scores_attention", \.scoresAttention)] {
            if case .bool(let on)? = value[key] {
                options[keyPath: keyPath] = on
            } else if let s = value[key] {
                throw OptionField<DetectorOptions>.mismatch(path + "." + key, s, "true or false")
            }
        }
        switch options.kind {
        case .classify: try OptionTable.apply(rest, to: &options.classify, fields: ClassifyOptions.fields, path: path)
        case .anomaly: try OptionTable.apply(rest, to: &options.anomaly, fields: AnomalyOptions.fields, path: path)
        case .precise: try OptionTable.apply(rest, to: &options.precise, fields: PreciseOptions.fields, path: path)
        }
    }

    public func describe() -> [(key: String, value: String, help: String)] {
        var rows: [(key: String, value: String, help: String)] = [
            ("kind", "\"\(kind.rawValue)\"", "classify | anomaly | precise"),
            ("scores", String(scores), "publish SCORES per frame"),
            ("scores_attention", String(scoresAttention), "SCORES carry the attention weights of the window"),
        ]
        switch kind {
        case .classify: rows += OptionTable.describe(classify, fields: ClassifyOptions.fields)
        case .anomaly: rows += OptionTable.describe(anomaly, fields: AnomalyOptions.fields)
        case .precise: rows += OptionTable.describe(precise, fields: PreciseOptions.fields)
        }
        return rows
    }
}

extension SinkOptions {
    public static let fields: [OptionField<SinkOptions>] = [
        .choice("kind", \.kind, "stdout | unix | clips"),
        .string("path", \.path, "socket path (kind = unix); folder of the clips (kind = clips)"),
        .string("mode", \.mode, "socket file permissions, octal"),
        .string("group", \.group, "group owning the socket file"),
        .integer(
            "client_queue_bytes", \.clientQueueBytes, "a subscriber with more unsent bytes is dropped",
            ConfigLimits.clientQueueBytes),
        .bool("control", \.control, "clients may pause, resume, reset and set thresholds (false: read-only)"),
        .integer("pre_roll_ms", \.preRollMs, "clips: audio kept before a detection's start", ConfigLimits.clipRollMs),
        .integer("post_roll_ms", \.postRollMs, "clips: audio kept after a detection's end", ConfigLimits.clipRollMs),
        .integer("max_clips", \.maxClips, "clips: the oldest are removed beyond this many", ConfigLimits.maxClips),
        .number(
            "near_miss", \.nearMiss, "clips: also keep spans scoring at least this without a detection (0: off)",
            .within(0, 1)),
        .integer(
            "max_bytes", \.maxBytes, "clips: the oldest are removed beyond this many bytes", ConfigLimits.maxClipBytes),
    ]
}

extension RuntimeOptions {
    public static let fields: [OptionField<RuntimeOptions>] = [
        .number(
            "stats_interval_s", \.statsIntervalSeconds, "seconds between STATS events (0: only at exit)",
            ConfigLimits.intervalSeconds),
        .string("log_level", \.logLevel, "trace | debug | info | notice | warning | error | critical"),
        .string("state_file", \.stateFile, "file under the state directory keeping hidden state across restarts"),
        .number(
            "state_interval_s", \.stateIntervalSeconds, "seconds between saves of the state file (0: only at exit)",
            ConfigLimits.intervalSeconds),
    ]
}
