import Foundation
import GrustreamNeural
import GrustreamPipeline

extension Evaluation {
    /// Clip classification through the real classify detector: a clip's prediction is the label of its first
    /// `DETECTION` (0.5 s of silence is appended so a word at the very end can trigger), otherwise the background
    /// label with the highest mean posterior. Accuracy, per-class precision/recall, confusion matrix.
    public func classifyClips(root: String, detector options: ClassifyOptions, clipMilliseconds: Double = 1000) throws
        -> [String: Any]
    {
        let labels = model.labels
        guard !labels.isEmpty else { throw TrainingError("\(model.name): no labels in the model's metadata") }
        let list = try ClassifyClipList(root: root, keywords: [], modelLabels: labels)
        let rate = features.options.sampleRate
        let clipSamples = Int(clipMilliseconds / 1000 * rate)
        let pad = [Float](repeating: 0, count: Int(0.5 * rate))
        let background = Set(options.backgroundLabels.map { $0.lowercased() })
        let backgroundIndices = labels.indices.filter { background.contains(labels[$0].lowercased()) }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: labels.count), count: labels.count)
        for clip in list.clips {
            var samples = try features.readSamples(clip.path)
            samples =
                samples.count >= clipSamples
                ? Array(samples[0..<clipSamples]) : samples + [Float](repeating: 0, count: clipSamples - samples.count)
            let values = features.extract(samples + pad)
            let out = try outputs(values)
            let detector = try ClassifyDetector(labels: labels, options: options, hopSeconds: features.hopSeconds)
            let events = detect(detector, inputs: normalised(values), outputs: out)
            let predicted: Int
            if let first = events.first {
                predicted = first.label
            } else {
                let frames = out.count / labels.count
                // No detection: a background label other than silence (e.g. _unknown_) when its posterior
                // peaks at ≥ 0.5 somewhere in the clip (the highest such), otherwise the silence label.
                let peak = { (k: Int) in (0..<frames).reduce(Float(0)) { max($0, out[$1 * labels.count + k]) } }
                let isSilence = { (k: Int) in ["_silence_", "silence"].contains(labels[k].lowercased()) }
                let candidates = backgroundIndices.isEmpty ? Array(labels.indices) : backgroundIndices
                let spoken = candidates.filter { !isSilence($0) && peak($0) >= 0.5 }
                if let best = spoken.max(by: { peak($0) < peak($1) }) {
                    predicted = best
                } else {
                    predicted = candidates.first(where: isSilence) ?? candidates.max { peak($0) < peak($1) }!
                }
            }
            confusion[clip.label][predicted] += 1
        }
        let total = confusion.flatMap { $0 }.reduce(0, +)
        let correct = labels.indices.reduce(0) { $0 + confusion[$1][$1] }
        var perClass: [String: Any] = [:]
        for (k, label) in labels.enumerated() {
            let truePositives = confusion[k][k]
            let actual = confusion[k].reduce(0, +)
            let predicted = confusion.reduce(0) { $0 + $1[k] }
            guard actual > 0 || predicted > 0 else { continue }
            perClass[label] = [
                "precision": predicted > 0 ? Double(truePositives) / Double(predicted) : 0,
                "recall": actual > 0 ? Double(truePositives) / Double(actual) : 0, "clips": actual,
            ]
        }
        return [
            "clips": total, "accuracy": Double(correct) / Double(max(total, 1)), "labels": labels,
            "per_class": perClass, "confusion": confusion, "confusion_rows": "true label",
            "confusion_columns": "predicted",
        ]
    }

    /// A long recording through the classify detector. With `keywordSpans` (label,start,end of each inserted
    /// keyword): a detection of the right label ending between the keyword's start and 1.5 s after its end accepts
    /// it; every other detection is a false accept. Reports false-reject rate and false accepts per hour.
    public func classifyStream(
        recording: String, keywordSpans: [(label: String, start: Double, end: Double)],
        detector options: ClassifyOptions
    ) throws -> [String: Any] {
        let labels = model.labels
        let samples = try features.readSamples(recording)
        let hours = Double(samples.count) / features.options.sampleRate / 3600
        let values = features.extract(samples)
        let out = try outputs(values)
        let detector = try ClassifyDetector(labels: labels, options: options, hopSeconds: features.hopSeconds)
        let events = detect(detector, inputs: normalised(values), outputs: out)
        var accepted = [Bool](repeating: false, count: keywordSpans.count)
        var falseAccepts = 0
        var falseByLabel: [String: Int] = [:]
        for event in events {
            let label = labels[event.label]
            if let k = keywordSpans.indices.first(where: {
                !accepted[$0] && keywordSpans[$0].label == label && event.end >= keywordSpans[$0].start
                    && event.end <= keywordSpans[$0].end + 1.5
            }) {
                accepted[k] = true
            } else {
                falseAccepts += 1
                falseByLabel[label, default: 0] += 1
            }
        }
        let keywords = keywordSpans.count
        var result: [String: Any] = [
            "recording": recording, "hours": hours, "detections": events.count, "false_accepts": falseAccepts,
            "false_accepts_per_hour": Double(falseAccepts) / max(hours, 1e-9), "false_accepts_by_label": falseByLabel,
            "threshold": Double(options.threshold), "smooth_ms": options.smoothMilliseconds,
        ]
        if keywords > 0 {
            let hits = accepted.filter { $0 }.count
            result["keywords"] = keywords
            result["accepted"] = hits
            result["false_reject_rate"] = Double(keywords - hits) / Double(keywords)
        }
        return result
    }
}
