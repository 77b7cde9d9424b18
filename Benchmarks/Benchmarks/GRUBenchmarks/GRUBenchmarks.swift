import Benchmark
import GrustreamNeural
import GrustreamBench

/// The GRU in the steady state (state carried): one iteration = one step of one stream, one chunk of 100 frames,
/// or one step of 64 streams. Malloc counts are per iteration and must be zero.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 1_000_000)

    func model(_ shape: GRUBench.Shape) -> GRUModel {
        let data = SafetensorsFile.encode(GRUBench.tensors(shape), metadata: [:])
        return try! GRUModel(file: SafetensorsFile(data: data, name: shape.fileName))
    }

    for shape in GRUBench.stepShapes {
        Benchmark("GRU step I40 \(shape.layers)x\(shape.hidden), batch 1 (steps)") { benchmark in
            let network = model(shape)
            let runner = try! GRURunner(model: network)
            let frames = GRUBench.frames(count: 100, input: shape.input)
            var output = [Float](repeating: 0, count: network.outputSize)
            frames.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    var t = 0
                    runner.step(UnsafeBufferPointer(rebasing: x[0..<shape.input]), output: y)
                    benchmark.startMeasurement()
                    for _ in benchmark.scaledIterations {
                        runner.step(
                            UnsafeBufferPointer(rebasing: x[(t * shape.input)..<((t + 1) * shape.input)]), output: y)
                        t = t == 99 ? 0 : t + 1
                    }
                    benchmark.stopMeasurement()
                }
            }
            blackHole(output[0])
        }
    }

    let shape = GRUBench.Shape(input: 40, hidden: 128, layers: 2)
    Benchmark(
        "GRU chunks of 100 frames I40 2x128 (chunks)",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one)
    ) { benchmark in
        let network = model(shape)
        let runner = try! GRURunner(model: network)
        let frames = GRUBench.frames(count: 100, input: shape.input)
        var outputs = [Float](repeating: 0, count: 100 * network.outputSize)
        frames.withUnsafeBufferPointer { x in
            outputs.withUnsafeMutableBufferPointer { y in
                runner.run(x, count: 100, outputs: y)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations { runner.run(x, count: 100, outputs: y) }
                benchmark.stopMeasurement()
            }
        }
        blackHole(outputs[0])
    }

    Benchmark(
        "GRU 64 streams I40 2x128 (batch steps)",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .one)
    ) { benchmark in
        let network = model(shape)
        let runner = try! GRUBatchRunner(model: network, streams: 64)
        let frames = GRUBench.frames(count: 64, input: shape.input)
        var outputs = [Float](repeating: 0, count: 64 * network.outputSize)
        frames.withUnsafeBufferPointer { x in
            outputs.withUnsafeMutableBufferPointer { y in
                runner.step(x, outputs: y)
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations { runner.step(x, outputs: y) }
                benchmark.stopMeasurement()
            }
        }
        blackHole(outputs[0])
    }
}
