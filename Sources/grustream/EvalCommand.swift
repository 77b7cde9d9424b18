import ArgumentParser
import Foundation
import GrustreamDaemon
import GrustreamNeural
import GrustreamPipeline
import GrustreamTraining

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model through the inference engine and the real detectors; JSON on stdout.",
        discussion: """
            classify models:
              --data DIR                    clips in label folders: accuracy, per-class precision/recall, confusion matrix
              --recording LONG.wav [--labels-csv K.csv]   streaming through the classify detector: false-reject rate \
            of the keywords listed (label,start,end seconds) and false accepts per hour (every other detection)
            wake-word models (classify or precise detector):
              --positives DIR --negatives DIR... [--label NAME] [--max-fa-per-hour 2] [--plot FILE.svg]   \
            recall on the word's clips and false activations per hour on negative audio, through the daemon's stream \
            processor (a fresh stream per clip with 1 s of silence after it, fed in 1024-sample chunks; and all \
            negatives concatenated into one stream), with a threshold sweep and the threshold reaching the limit
            predict models:
              --recording REC.csv --spans-csv SPANS.csv   ROC AUC of the per-frame anomaly score and precision/recall/F1 \
            of the detected spans (SPANS.csv: start,end[,kind] seconds)
            Detector options come from the pipeline's [detector]; an anomaly model's calibration (error statistics and \
            threshold, from its metadata) is used unless --threshold is given.
            """)

    @Option(help: "The model (.safetensors).") var model: String
    @Option(help: "The pipeline file (features and detector options).") var pipeline: String
    @Option(help: "Classify: a folder of label folders of clips.") var data: String?
    @Option(help: "A long recording (WAV, CSV, raw as the pipeline's [source]).") var recording: String?
    @Option(help: "Classify streaming: keywords inserted in the recording, label,start,end (seconds).") var labelsCsv:
        String?
    @Option(help: "Predict: labelled anomaly spans, start,end[,kind] (seconds).") var spansCsv: String?
    @Option(help: "Override the detector threshold.") var threshold: Float?
    @Option(help: "Classify clips: clip length in milliseconds.") var clipMs = 1000.0
    @Option(help: "Wake word: a folder of clips of the word (WAV at any rate, searched recursively).") var positives:
        String?
    @Option(
        parsing: .upToNextOption,
        help: "Wake word: folders of negative audio (long recordings or clips, WAV at any rate, recursive).")
    var negatives: [String] = []
    @Option(help: "Wake word: the word's label (default: the model's only label that is not background).")
    var label: String?
    @Option(
        help:
            "Wake word: the operating point is the lowest threshold with at most this many false activations per hour.")
    var maxFaPerHour = 2.0
    @Option(help: "Wake word: write recall against false activations per hour as an SVG plot.") var plot: String?

    func run() throws {
        try runReportingErrors("eval") {
            try userErrorsAsUsage {
                let config = try PipelineLocator.load(pipeline)
                let loaded = try GRUModel.load(URL(fileURLWithPath: model))
                var result: [String: Any] = ["model": model]
                if positives != nil || !negatives.isEmpty {
                    // The daemon's view: the model's own feature options under the pipeline's.
                    result.merge(try wakeWord(config: config, model: loaded)) { $1 }
                    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
                    print(String(decoding: json, as: UTF8.self))
                    return
                }
                let evaluation = try Evaluation(model: loaded, features: TrainingFeatures(pipeline: config))
                let task =
                    (loaded.grustreamMetadata?["task"] as? String) ?? (loaded.labels.isEmpty ? "predict" : "classify")
                result["task"] = task
                if task == "classify" {
                    var options = config.detector.classify
                    if let threshold { options.threshold = threshold }
                    guard data != nil || recording != nil else {
                        throw ValidationError("give --data DIR and/or --recording FILE")
                    }
                    if let data {
                        result["clips"] = try evaluation.classifyClips(
                            root: data, detector: options, clipMilliseconds: clipMs)
                    }
                    if let recording {
                        let spans = try labelsCsv.map { try Evaluation.readSpans($0) } ?? []
                        result["stream"] = try evaluation.classifyStream(
                            recording: recording, keywordSpans: spans, detector: options)
                    }
                } else {
                    guard let recording, let spansCsv else {
                        throw ValidationError("predict models need --recording and --spans-csv")
                    }
                    var options = evaluation.anomalyOptions(
                        pipeline: config.detector.anomaly, thresholdFromPipeline: false)
                    if let threshold { options.threshold = threshold }
                    result["anomaly"] = try evaluation.predictSpans(
                        recording: recording, spans: try Evaluation.readSpans(spansCsv), detector: options)
                }
                let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
                print(String(decoding: json, as: UTF8.self))
            }
        }
    }

    /// `--positives` / `--negatives`: the wake-word evaluation (`WakeWordEvaluation`).
    func wakeWord(config: PipelineConfig, model loaded: GRUModel) throws -> [String: Any] {
        guard let positives, !negatives.isEmpty else {
            throw ValidationError("a wake-word evaluation needs --positives DIR and --negatives DIR...")
        }
        guard maxFaPerHour >= 0 && maxFaPerHour.isFinite else {
            throw ValidationError("--max-fa-per-hour \(maxFaPerHour): expected a number ≥ 0")
        }
        let resolved = try ResolvedPipeline(config: config, model: loaded, modelURL: URL(fileURLWithPath: model))
        var options = WakeWordEvaluation.Options()
        options.maximumFalseActivationsPerHour = maxFaPerHour
        if let threshold { options.thresholds.append(threshold) }
        var evaluation = try WakeWordEvaluation(pipeline: resolved, labelName: label, options: options)
        let positiveFiles = try WakeWordEvaluation.audioFiles(in: positives)
        let negativeFiles = try negatives.flatMap { try WakeWordEvaluation.audioFiles(in: $0) }
        var result = try evaluation.run(positives: positiveFiles, negatives: negativeFiles)
        result["positives_folder"] = positives
        result["negatives_folders"] = negatives
        if let plot {
            let title = "\(URL(fileURLWithPath: model).lastPathComponent): \"\(evaluation.labelName)\""
            let svg = WakeWordPlot.svg(sweep: evaluation.sweep, maximum: maxFaPerHour, title: title)
            do { try svg.write(toFile: plot, atomically: true, encoding: .utf8) } catch {
                throw ValidationError("\(plot): cannot write the plot: \(error.localizedDescription)")
            }
        }
        return result
    }
}
