import Foundation
import GrustreamKernels
import GrustreamNeural

/// What `grustream inspect` prints: architecture, every tensor, metadata, size, cost and measured step time.
public struct ModelReport {
    public let text: String

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
        if timingSteps > 0, let runner = try? GRURunner(model: model, mode: model.bidirectional ? .window(1) : nil) {
            let input = [Float](repeating: 0.1, count: model.inputSize)
            var output = [Float](repeating: 0, count: model.outputSize)
            var samples: [Double] = []
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    for _ in 0..<min(200, timingSteps) { runner.step(x, output: y) }  // warm up
                    for _ in 0..<5 {
                        let start = DispatchTime.now().uptimeNanoseconds
                        for _ in 0..<max(1, timingSteps / 5) { runner.step(x, output: y) }
                        samples.append(
                            Double(DispatchTime.now().uptimeNanoseconds - start) / Double(max(1, timingSteps / 5)))
                    }
                }
            }
            let median = samples.sorted()[samples.count / 2]
            lines.append(
                String(
                    format: "step time here: %.2f µs median of 5 runs (%.2f GFLOP/s, %@ mode, %@ build, %@ kernels)",
                    median / 1000, Double(model.flopsPerStep) / median, "\(runner.mode)", Self.buildKind,
                    Kernels.selected.rawValue))
        }
        text = lines.joined(separator: "\n")
    }

    static var buildKind: String {
        #if DEBUG
            "debug"
        #else
            "release"
        #endif
    }
}
