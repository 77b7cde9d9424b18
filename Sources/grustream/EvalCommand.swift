import ArgumentParser
import Foundation
import GrustreamNeural
import GrustreamRuntime

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model through the inference engine and the real detectors; JSON on stdout.",
        discussion: """
            classify models:
              --data DIR                    clips in label folders: accuracy, per-class precision/recall, confusion matrix
              --recording LONG.wav [--labels-csv K.csv]   streaming through the classify detector: false-reject rate \
            of the keywords listed (label,start,end seconds) and false accepts per hour (every other detection)
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

    func run() throws {
        try runReportingErrors("eval") {
            try userErrorsAsUsage {
                let config = try PipelineLocator.load(pipeline)
                let loaded = try GRUModel.load(URL(fileURLWithPath: model))
                let evaluation = try Evaluation(model: loaded, features: TrainingFeatures(pipeline: config))
                var result: [String: Any] = ["model": model]
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
}
