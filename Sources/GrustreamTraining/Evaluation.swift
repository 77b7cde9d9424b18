import Foundation
import GrustreamNeural
import GrustreamPipeline

/// `grustream eval`: a trained model run through the inference engine and the real detectors.
public struct Evaluation {
    public let model: GRUModel
    public let features: TrainingFeatures

    public init(model: GRUModel, features: TrainingFeatures) throws {
        guard model.inputSize == features.dimension else {
            throw TrainingError(
                "\(model.name): the model reads \(model.inputSize) features, but \(features.pipeline.file?.path ?? "the pipeline") "
                    + "makes \(features.dimension)")
        }
        self.model = model
        self.features = features
    }

    /// The network's outputs [frames, output] over a whole recording's features, from a fresh state,
    /// with the model's input normalisation (as the daemon runs it); carry mode, or the model's window mode when it pools.
    public func outputs(_ featureValues: [Float]) throws -> [Float] {
        let frames = featureValues.count / model.inputSize
        let runner = try GRURunner(
            model: model, mode: model.pooling == .last ? .carry : model.mode, applyNormalisation: true)
        var out = [Float](repeating: 0, count: frames * model.outputSize)
        featureValues.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { runner.run(x, count: frames, outputs: $0) }
        }
        return out
    }

    /// Feature values normalised with the model's `norm.mean` / `norm.std` (what detectors see as input).
    public func normalised(_ values: [Float]) -> [Float] {
        model.normalisation?.applied(frames: values) ?? values
    }

    /// Run a detector over per-frame inputs/outputs; `score` receives each frame's detector score (the first value;
    /// an anomaly detector's score on its `scale`).
    func detect(
        _ detector: Detector, inputs: [Float], outputs: [Float], score: ((Int, Float) -> Void)? = nil
    ) -> [DetectorEvent] {
        let d = model.inputSize
        let o = model.outputSize
        let frames = inputs.count / d
        let hop = features.hopSeconds
        let frameSeconds = Double(features.options.frameLength) / features.options.sampleRate
        var events: [DetectorEvent] = []
        inputs.withUnsafeBufferPointer { x in
            outputs.withUnsafeBufferPointer { y in
                for t in 0..<frames {
                    let frame = DetectorFrame(
                        index: t, start: Double(t) * hop, end: Double(t) * hop + frameSeconds,
                        input: UnsafeBufferPointer(rebasing: x[(t * d)..<((t + 1) * d)]),
                        output: UnsafeBufferPointer(rebasing: y[(t * o)..<((t + 1) * o)]))
                    detector.process(frame) { if $0.phase == .close { events.append($0) } }
                    if let score {
                        score(t, (detector as? AnomalyDetector)?.scaledScore ?? detector.withScores { $0.first ?? 0 })
                    }
                }
            }
        }
        let endSample = frames > 0 ? (frames - 1) * features.options.hopLength + features.options.frameLength : 0
        detector.finish(endSample: endSample) { if $0.phase == .close { events.append($0) } }
        return events
    }

    /// Rows `label,start,end` (seconds) of a CSV file; a header line is skipped.
    public static func readSpans(_ path: String) throws -> [(label: String, start: Double, end: Double)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw TrainingError("\(path): cannot read") }
        var spans: [(String, Double, Double)] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !fields.isEmpty, !(fields.count == 1 && fields[0].isEmpty) else { continue }
            // start,end[,kind] or label,start,end
            if fields.count >= 2, let s = Double(fields[0]), let e = Double(fields[1]) {
                spans.append((fields.count > 2 ? fields[2] : "anomaly", s, e))
            } else if fields.count >= 3, let s = Double(fields[1]), let e = Double(fields[2]) {
                spans.append((fields[0], s, e))
            } else if n > 0 {
                throw TrainingError(
                    "\(path):\(n + 1): expected start,end or label,start,end in seconds, found \"\(line)\"")
            }
        }
        return spans
    }

    /// Area under the ROC curve of `scores` for `positives` (Mann–Whitney U, ties counted half).
    public static func rocAUC(scores: [Float], positives: [Bool]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        let p = positives.filter { $0 }.count
        let n = positives.count - p
        guard p > 0 && n > 0 else { return .nan }
        let sum = zip(ranks, positives).reduce(0.0) { $0 + ($1.1 ? $1.0 : 0) }
        return (sum - Double(p) * Double(p + 1) / 2) / (Double(p) * Double(n))
    }
}
