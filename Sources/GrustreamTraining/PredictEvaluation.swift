import Foundation
import GrustreamNeural
import GrustreamPipeline

extension Evaluation {
    /// The anomaly detector's options for this model: the pipeline's `[detector]`, with the model's calibration
    /// (`detector.error_mean`, `error_std`, `threshold` in the `grustream` metadata) where the pipeline leaves them unset;
    /// the calibrated threshold is a z-score, so it applies only with `score = "zscore"`.
    public func anomalyOptions(pipeline: AnomalyOptions, thresholdFromPipeline: Bool) -> AnomalyOptions {
        var o = pipeline
        if let calibration = model.grustreamMetadata?["detector"] as? [String: Any] {
            if o.errorStd == 0, let mean = calibration["error_mean"] as? Double,
                let std = calibration["error_std"] as? Double
            {
                o.errorMean = Float(mean)
                o.errorStd = Float(std)
            }
            if !thresholdFromPipeline, o.scale == .zscore, let threshold = calibration["threshold"] as? Double {
                o.threshold = Float(threshold)
            }
        }
        return o
    }

    /// A recording with labelled anomaly spans through the real anomaly detector: ROC AUC of the per-frame score
    /// (a frame is positive when its centre lies in a labelled span), and precision/recall/F1 of the detected
    /// spans (a detected span is correct when it overlaps a labelled one; a labelled span is found when a
    /// detected span overlaps it).
    public func predictSpans(
        recording: String, spans: [(label: String, start: Double, end: Double)], detector options: AnomalyOptions
    ) throws -> [String: Any] {
        let values = features.extract(try features.readSamples(recording))
        let d = model.inputSize
        let frames = values.count / d
        let inputs = normalised(values)
        let out = try outputs(values)
        let detector = try AnomalyDetector(
            inputSize: d, outputSize: model.outputSize, options: options, hopSeconds: features.hopSeconds)
        var scores = [Float](repeating: 0, count: frames)
        let events = detect(detector, inputs: inputs, outputs: out) { t, s in scores[t] = s }
        let hop = features.hopSeconds
        let half = Double(features.options.frameLength) / features.options.sampleRate / 2
        let positives = (0..<frames).map { t in
            let centre = Double(t) * hop + half
            return spans.contains { centre >= $0.start && centre < $0.end }
        }
        let auc = Self.rocAUC(scores: scores, positives: positives)
        let detected = events.map { ($0.start, $0.end, $0.score) }
        let overlaps = { (a: (Double, Double), b: (Double, Double)) in a.0 < b.1 && b.0 < a.1 }
        let correct = detected.filter { e in spans.contains { overlaps((e.0, e.1), ($0.start, $0.end)) } }.count
        var foundByKind: [String: [Int]] = [:]
        var found = 0
        for s in spans {
            let hit = detected.contains { overlaps(($0.0, $0.1), (s.start, s.end)) }
            if hit { found += 1 }
            foundByKind[s.label, default: [0, 0]][0] += hit ? 1 : 0
            foundByKind[s.label, default: [0, 0]][1] += 1
        }
        let precision = detected.isEmpty ? 0 : Double(correct) / Double(detected.count)
        let recall = spans.isEmpty ? 0 : Double(found) / Double(spans.count)
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return [
            "recording": recording, "frames": frames, "roc_auc": auc, "labelled_spans": spans.count,
            "detected_spans": detected.count, "span_precision": precision, "span_recall": recall, "span_f1": f1,
            "found_by_kind": foundByKind.mapValues { "\($0[0])/\($0[1])" }, "threshold": Double(options.threshold),
            "error_mean": Double(options.errorMean), "error_std": Double(options.errorStd),
            "spans": detected.map { ["start": $0.0, "end": $0.1, "peak": Double($0.2)] },
        ]
    }
}
