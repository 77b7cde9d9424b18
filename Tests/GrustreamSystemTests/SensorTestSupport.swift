import Foundation
import GrustreamNeural

/// The sensor setup of the daemon tests: a temporary folder holding a next-frame predictor for 3 raw channels
/// (`predictor.safetensors`), the 100 Hz anomaly pipelines that use it, and the recording they stream.
enum SensorFixture {
    /// A new temporary folder named after `prefix`, with the model written into it.
    static func folder(prefix: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeModel(to: folder.appendingPathComponent("predictor.safetensors"))
        return folder
    }

    /// Writes `name` into `folder`: 3 channels at 100 Hz in `format` from the `[source]` lines `source`, the model,
    /// an anomaly detector (error_mean -6, error_std 1) with the lines `detector` added, and the `[runtime]` lines
    /// `runtime`. Returns its path.
    static func writePipeline(
        _ name: String, in folder: URL, source: String, format: String = "csv", detector: String = "",
        runtime: String
    ) throws -> String {
        let path = folder.appendingPathComponent(name)
        try """
        [source]
        \(source)
        format = "\(format)"
        rate = 100
        channels = 3
        [model]
        path = "predictor.safetensors"
        [detector]
        kind = "anomaly"
        error_mean = -6
        error_std = 1
        \(detector)
        [runtime]
        \(runtime)
        """.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }

    /// A next-frame predictor for 3 raw channels: GRU 3 → 8 → linear 3, fixed pseudo-random weights.
    static func writeModel(to url: URL) throws {
        var seed: UInt64 = 42
        func random(_ count: Int, scale: Float) -> [Float] {
            (0..<count).map { _ in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(seed >> 40) / Float(1 << 24) - 0.5) * 2 * scale
            }
        }
        let tensors: [(String, Tensor)] = [
            ("gru.weight_ih_l0", Tensor(shape: [24, 3], scalars: random(72, scale: 0.5))),
            ("gru.weight_hh_l0", Tensor(shape: [24, 8], scalars: random(192, scale: 0.3))),
            ("gru.bias_ih_l0", Tensor(shape: [24], scalars: random(24, scale: 0.1))),
            ("gru.bias_hh_l0", Tensor(shape: [24], scalars: random(24, scale: 0.1))),
            ("linear.weight", Tensor(shape: [3, 8], scalars: random(24, scale: 0.5))),
            ("linear.bias", Tensor(shape: [3], scalars: random(3, scale: 0.1))),
        ]
        let metadata = #"{"task":"predict","features":{"kind":"raw","channels":3,"sample_rate":100}}"#
        try SafetensorsFile.write(tensors, metadata: ["grustream": metadata], to: url)
    }

    /// 600 frames of a smooth 3-axis signal with a burst of spikes; `phase` makes each producer's data different.
    static func csv(phase: Double) -> String {
        (0..<600).map { i in
            let t = Double(i) / 100
            var v = [sin(2 * .pi * 1.3 * t + phase), cos(2 * .pi * 0.7 * t + phase), 0.2 * sin(2 * .pi * 3 * t)]
            if i >= 300 + Int(phase * 20) && i < 330 + Int(phase * 20) { v = v.map { $0 + 8 * (i % 2 == 0 ? 1 : -1) } }
            return v.map { String(format: "%.5f", $0) }.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
    }
}
