import ArgumentParser
import Foundation
import GrustreamDaemon
import GrustreamNeural

struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run a GRU model over a feature matrix and write its outputs.",
        discussion: """
            Reads a float32 (or float64/int) .npy [T, input], runs the network frame by frame carrying its hidden state, \
            and writes the head outputs [T, out] (a model without a head: the top layer's hidden states [T, hidden]). \
            --chunk N feeds N frames at a time, carrying state: the result is bit-identical for every N.

            Example:
              grustream infer --model models/kws.safetensors --input mfcc.npy --output posteriors.npy --hidden-out h.npy
            """)

    @Option(help: "safetensors model (PyTorch state_dict layout, or grustream metadata naming the layout).")
    var model: String

    @Option(help: "Input .npy [T, input].")
    var input: String

    @Option(help: "Output .npy [T, out].")
    var output: String

    @Option(help: "Also write the top layer's hidden state at every frame, .npy [T, hidden].")
    var hiddenOut: String?

    @Option(help: "Write the final hidden state, .npy [layers × directions, hidden].")
    var finalOut: String?

    @Option(help: "Initial hidden state .npy [layers × directions, hidden] (default zeros).")
    var h0: String?

    @Option(help: "Feed N frames at a time, carrying state (default: all at once).")
    var chunk: Int?

    @Option(help: "carry | window:N (default: the model's metadata, else carry).")
    var mode: String?

    @Flag(help: "Normalise inputs with the model's norm.mean / norm.std before the GRU.")
    var normalise = false

    func run() throws {
        try runReportingErrors("infer") {
            var inferenceMode: InferenceMode?
            if let mode {
                guard let parsed = InferenceMode(mode) else {
                    throw ValidationError(
                        "--mode \(mode): expected carry or window:N with 1 ≤ N ≤ \(InferenceMode.maximumWindowFrames)")
                }
                inferenceMode = parsed
            }
            let network = try GRUModel.load(URL(fileURLWithPath: model))
            let x = try NPYFile.read(URL(fileURLWithPath: input))
            let initial = try h0.map { try NPYFile.read(URL(fileURLWithPath: $0)) }
            if let chunk, chunk < 1 { throw ValidationError("--chunk \(chunk): expected ≥ 1") }
            let result = try network.infer(
                x, chunk: chunk, h0: initial, mode: inferenceMode, applyNormalisation: normalise)
            try NPYFile.write(result.outputs, to: URL(fileURLWithPath: output))
            if let hiddenOut { try NPYFile.write(result.hidden, to: URL(fileURLWithPath: hiddenOut)) }
            if let finalOut { try NPYFile.write(result.final, to: URL(fileURLWithPath: finalOut)) }
            FileHandle.standardError.write(
                Data(
                    "grustream infer: \(input) \(x.shapeDescription) → \(output) \(result.outputs.shapeDescription) (\(network.summary))\n"
                        .utf8))
        }
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a model file: architecture, tensors, metadata, parameters, FLOPs and step time here.")

    @Argument(help: "safetensors model file.")
    var model: String

    @Option(help: "Steps timed to estimate the step time (0: skip the measurement).")
    var timingSteps = 2000

    @Flag(help: "Print one JSON object (architecture, tensors, metadata, parameters, flops_per_step, step_us).")
    var json = false

    func run() throws {
        try runReportingErrors("inspect") {
            let url = URL(fileURLWithPath: model)
            let file = try SafetensorsFile(contentsOf: url)
            let network = try GRUModel(file: file, name: url.lastPathComponent)
            let report = ModelReport(model: network, file: file, timingSteps: timingSteps)
            if json {
                let data = try JSONSerialization.data(withJSONObject: report.json, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(report.text)
            }
        }
    }
}
