import Foundation
import GrustreamKernels
import GrustreamNeural

/// What `grustream inspect` prints: architecture, every tensor, metadata, size, cost and measured step time.
public struct ModelReport {
    /// The report as `grustream inspect` prints it.
    public let text: String
    /// The same facts for programs (`grustream inspect --json`): architecture, tensors, metadata, parameters,
    /// FLOPs per step, kernels and, when timed, `step_us`.
    public let json: [String: Any]

    public init(model: GRUModel, file: SafetensorsFile, timingSteps: Int) {
        var lines: [String] = []
        lines.append(model.summary)
        lines.append("architecture:")
        lines.append(
            "  cell: \(model.cell.rawValue)"
                + (model.hasCellState ? " (gates i, f, g, o; states h and c)" : " (gates r, z, n)"))
        lines.append(
            "  form: \(model.form.rawValue) (gates \(model.gateActivation.rawValue), candidate \(model.candidateActivation.rawValue))"
        )
        lines.append("  input: \(model.inputSize)")
        lines.append(
            "  layers: \(model.layerCount) × hidden \(model.hiddenSize)\(model.bidirectional ? ", bidirectional" : "")")
        lines.append(
            "  head: \(model.headSize.map { "\($0) outputs, \(model.outputActivation.rawValue)" } ?? "none (output = top hidden state)")"
        )
        switch model.pooling {
        case .last: break
        case .mean: lines.append("  pooling: mean of the window's top-layer outputs")
        case .attention:
            let a = model.attention?.size ?? 0
            lines.append(
                "  pooling: attention over the window, e_t = v · tanh(W h_t + b), softmax, Σ α_t h_t (A = \(a): "
                    + "W [\(a), \(model.topSize)], v [1, \(a)])")
        }
        lines.append("  mode: \(model.mode)")
        if !model.labels.isEmpty { lines.append("  labels: \(model.labels.joined(separator: ", "))") }
        if let norm = model.normalisation {
            lines.append("  input normalisation: norm.mean/norm.std [\(norm.mean.count)]")
        }
        lines.append("tensors:")
        let width = file.tensorNames.map(\.count).max() ?? 0
        for name in file.tensorNames {
            guard let info = file.info(name) else { continue }
            let shape = "[" + info.shape.map(String.init).joined(separator: ", ") + "]"
            lines.append(
                "  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(info.dtype)  \(shape)")
        }
        if !file.metadata.isEmpty {
            lines.append("metadata:")
            for (key, value) in file.metadata.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(key): \(value.count > 400 ? String(value.prefix(400)) + "…" : value)")
            }
        }
        lines.append(
            "parameters: \(model.parameterCount) (\(String(format: "%.1f", Double(model.parameterCount) * 4 / 1024)) KiB as float32)"
        )
        lines.append("FLOPs per step: \(model.flopsPerStep)")
        lines.append(
            "kernels: \(Kernels.selected.summary); this CPU runs "
                + Kernels.runnable.map(\.rawValue).joined(separator: ", ")
                + " (\(Kernels.environmentVariable) picks one)")
        var json: [String: Any] = [
            "cell": model.cell.rawValue, "form": model.form.rawValue,
            "gate_activation": model.gateActivation.rawValue,
            "candidate_activation": model.candidateActivation.rawValue, "input": model.inputSize,
            "layers": model.layerCount, "hidden": model.hiddenSize, "bidirectional": model.bidirectional,
            "mode": "\(model.mode)", "labels": model.labels, "parameters": model.parameterCount,
            "flops_per_step": model.flopsPerStep, "normalisation": model.normalisation != nil,
            "kernels": ["selected": Kernels.selected.rawValue, "runnable": Kernels.runnable.map(\.rawValue)],
            "tensors": file.tensorNames.compactMap { name -> [String: Any]? in
                guard let info = file.info(name) else { return nil }
                return ["name": name, "dtype": "\(info.dtype)", "shape": info.shape]
            },
            "metadata": file.metadata,
        ]
        if let outputs = model.headSize {
            json["head"] = ["outputs": outputs, "activation": model.outputActivation.rawValue]
        }
        if timingSteps > 0, let (median, mode) = Self.medianStepNanoseconds(model, steps: timingSteps) {
            lines.append(
                String(
                    format: "step time here: %.2f µs median of 5 runs (%.2f GFLOP/s, %@ mode, %@ build, %@ kernels)",
                    median / 1000, Double(model.flopsPerStep) / median, mode, Self.buildKind,
                    Kernels.selected.rawValue))
            json["step_us"] = median / 1000
            json["step_mode"] = mode
            json["build"] = Self.buildKind
        }
        self.json = json
        text = lines.joined(separator: "\n")
    }

    /// Median nanoseconds per step over 5 runs of `steps / 5` steps (after a warm-up), and the mode timed.
    static func medianStepNanoseconds(_ model: GRUModel, steps: Int) -> (Double, String)? {
        guard let runner = try? GRURunner(model: model, mode: model.bidirectional ? .window(1) : nil) else {
            return nil
        }
        let input = [Float](repeating: 0.1, count: model.inputSize)
        var output = [Float](repeating: 0, count: model.outputSize)
        var samples: [Double] = []
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for _ in 0..<min(200, steps) { runner.step(x, output: y) }  // warm up
                for _ in 0..<5 {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<max(1, steps / 5) { runner.step(x, output: y) }
                    samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(max(1, steps / 5)))
                }
            }
        }
        return (samples.sorted()[samples.count / 2], "\(runner.mode)")
    }

    static var buildKind: String {
        #if DEBUG
            "debug"
        #else
            "release"
        #endif
    }
}
