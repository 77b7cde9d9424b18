import Foundation
import GrustreamNeural

/// GRU throughput: one stream stepped frame by frame (state carried), chunks of 100 frames, and many streams
/// stepped together. Models are PyTorch-layout GRUs without a head, input 40, hidden 64/128/256, 1 or 2 layers;
/// and LSTMs (`lstm-step-…`, `lstm-chunk100-…`) at the GRUs' hidden sizes and at their parameter counts.
public struct GRUBench {
    /// One network shape.
    public struct Shape: Sendable, Hashable {
        public var input: Int
        public var hidden: Int
        public var layers: Int
        public var cell: RecurrentCell
        public init(input: Int, hidden: Int, layers: Int, cell: RecurrentCell = .gru) {
            self.input = input
            self.hidden = hidden
            self.layers = layers
            self.cell = cell
        }
        public var id: String { "i\(input)-h\(hidden)-l\(layers)" }
        /// File name used by `--models DIR` and by scripts/bench_references.py.
        public var fileName: String { "\(cell.rawValue)-\(id).safetensors" }
    }

    public static let stepShapes: [Shape] = [64, 128, 256].flatMap { h in
        [1, 2].map { Shape(input: 40, hidden: h, layers: $0) }
    }
    /// LSTMs at the hidden sizes of GRU shapes (64, 128; 2 × 128) and at about their parameter counts
    /// (1 × 53 ≈ 1 × 64 GRU: 20 140 vs 20 352; 1 × 108 ≈ 1 × 128: 64 800 vs 65 280; 2 × 110 ≈ 2 × 128: 164 560 vs
    /// 164 352).
    public static let lstmShapes: [Shape] = [(64, 1), (53, 1), (128, 1), (108, 1), (128, 2), (110, 2)].map {
        Shape(input: 40, hidden: $0.0, layers: $0.1, cell: .lstm)
    }
    public static let chunkFrames = 100
    public static let batchStreams = 64
    public static let batchShapes = [
        Shape(input: 40, hidden: 128, layers: 2), Shape(input: 40, hidden: 256, layers: 1),
    ]

    public let clock: BenchClock
    /// Directory with `gru-i40-h128-l2.safetensors` etc. (the reference script's weights); nil = generate.
    public let modelDirectory: URL?

    public init(clock: BenchClock, modelDirectory: URL?) {
        self.clock = clock
        self.modelDirectory = modelDirectory
    }

    /// PyTorch `nn.GRU` tensors with PyTorch's init range U(−1/√H, 1/√H), from a fixed seed.
    public static func tensors(_ shape: Shape, seed: UInt64 = 42) -> [(String, Tensor)] {
        var state = seed &+ UInt64(shape.hidden * 10 + shape.layers)
        let bound = 1 / Float(shape.hidden).squareRoot()
        func values(_ n: Int) -> [Float] {
            (0..<n).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return bound * Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
            }
        }
        var out: [(String, Tensor)] = []
        for k in 0..<shape.layers {
            let width = k == 0 ? shape.input : shape.hidden
            let h3 = (shape.cell == .lstm ? 4 : 3) * shape.hidden
            out.append(("gru.weight_ih_l\(k)", Tensor(shape: [h3, width], scalars: values(h3 * width))))
            out.append(("gru.weight_hh_l\(k)", Tensor(shape: [h3, shape.hidden], scalars: values(h3 * shape.hidden))))
            out.append(("gru.bias_ih_l\(k)", Tensor(shape: [h3], scalars: values(h3))))
            out.append(("gru.bias_hh_l\(k)", Tensor(shape: [h3], scalars: values(h3))))
        }
        return out
    }

    public func model(_ shape: Shape) throws -> GRUModel {
        // The reference script writes GRU weights only: LSTM weights are generated here either way.
        if let dir = modelDirectory, shape.cell == .gru {
            return try GRUModel.load(dir.appendingPathComponent(shape.fileName))
        }
        let data = SafetensorsFile.encode(Self.tensors(shape), metadata: [:])
        return try GRUModel(file: SafetensorsFile(data: data, name: "generated " + shape.fileName))
    }

    /// Deterministic input frames [count, input] in about [-2, 2] (normalised MFCC-like levels).
    public static func frames(count: Int, input: Int) -> [Float] {
        var state: UInt64 = 7
        return (0..<(count * input)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return 2 * Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
    }

    /// Frame-by-frame `step`, state carried: µs per step.
    public func measureStep(_ shape: Shape) throws -> BenchMeasurement {
        let model = try model(shape)
        let runner = try GRURunner(model: model)
        let x = Self.frames(count: Self.chunkFrames, input: shape.input)
        var y = [Float](repeating: 0, count: model.outputSize)
        let timings = x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                clock.measure { n in
                    var t = 0
                    for _ in 0..<n {
                        runner.step(
                            UnsafeBufferPointer(rebasing: x[(t * shape.input)..<((t + 1) * shape.input)]), output: y)
                        t = t + 1 == Self.chunkFrames ? 0 : t + 1
                    }
                }
            }
        }
        precondition(y.allSatisfy(\.isFinite))
        return BenchMeasurement(
            group: "gru", name: "\(shape.cell.rawValue)-step-\(shape.id)",
            description: "\(shape.cell == .lstm ? "LSTM " : "")step \(shape.layers)×\(shape.hidden), batch 1",
            itemsPerIteration: 1, samplesNanoseconds: timings.cpu, wallNanoseconds: timings.wall,
            flopsPerItem: Double(model.flopsPerStep),
            audioSecondsPerItem: 0)
    }

    /// `run` over chunks of 100 frames, state carried between chunks: frames per second.
    public func measureChunk(_ shape: Shape) throws -> BenchMeasurement {
        let model = try model(shape)
        let runner = try GRURunner(model: model)
        let x = Self.frames(count: Self.chunkFrames, input: shape.input)
        var y = [Float](repeating: 0, count: Self.chunkFrames * model.outputSize)
        let timings = x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                clock.measure { n in for _ in 0..<n { runner.run(x, count: Self.chunkFrames, outputs: y) } }
            }
        }
        precondition(y.allSatisfy(\.isFinite))
        return BenchMeasurement(
            group: "gru", name: "\(shape.cell.rawValue)-chunk100-\(shape.id)",
            description: "\(shape.cell == .lstm ? "LSTM " : "")chunks of 100 frames \(shape.layers)×\(shape.hidden)",
            itemsPerIteration: Double(Self.chunkFrames), samplesNanoseconds: timings.cpu, wallNanoseconds: timings.wall,
            flopsPerItem: Double(model.flopsPerStep), audioSecondsPerItem: 0)
    }

    /// 64 streams stepped together (`GRUBatchRunner`): an item is one stream-step.
    public func measureBatch(_ shape: Shape, streams: Int = GRUBench.batchStreams) throws -> BenchMeasurement {
        let model = try model(shape)
        let runner = try GRUBatchRunner(model: model, streams: streams)
        let x = Self.frames(count: streams, input: shape.input)
        var y = [Float](repeating: 0, count: streams * model.outputSize)
        let timings = x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                clock.measure { n in for _ in 0..<n { runner.step(x, outputs: y) } }
            }
        }
        precondition(y.allSatisfy(\.isFinite))
        return BenchMeasurement(
            group: "gru", name: "gru-batch\(streams)-\(shape.id)",
            description: "\(streams) streams \(shape.layers)×\(shape.hidden)",
            itemsPerIteration: Double(streams), samplesNanoseconds: timings.cpu, wallNanoseconds: timings.wall,
            flopsPerItem: Double(model.flopsPerStep),
            audioSecondsPerItem: 0)
    }

    /// The arithmetic ceiling: the kernels' multiply-add on registers only (`KernelCeilings`), 1,000 iterations
    /// per item.
    public func measureMultiplyAddPeak() -> BenchMeasurement {
        var sum: Float = 0
        let timings = clock.measure { n in for _ in 0..<n { sum += KernelCeilings.multiplyAdd(iterations: 1000) } }
        precondition(sum.isFinite)
        return BenchMeasurement(
            group: "ceiling", name: "fma-peak",
            description: "multiply-add peak (registers only, the kernels' instruction)",
            itemsPerIteration: 1, samplesNanoseconds: timings.cpu, wallNanoseconds: timings.wall,
            flopsPerItem: Double(1000 * KernelCeilings.flopsPerIteration), audioSecondsPerItem: 0)
    }

    /// The weight-traffic ceiling: reading, again and again, as many bytes as the recurrent matrices of `shape`
    /// (every frame reads them in full; they do not fit in L1). An item is one pass; `bytesPerItem` in the
    /// description, GB/s in the `gflops` field (bytes per ns).
    public func measureRecurrentRead(_ shape: Shape) -> BenchMeasurement {
        let floats = shape.layers * 3 * shape.hidden * shape.hidden
        // Cache-line aligned like the packed weights (an unaligned 64-byte load touches two lines).
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 * floats, alignment: 64)
        defer { raw.deallocate() }
        let buffer = raw.initializeMemory(as: Float.self, repeating: 1e-3)
        var sum: Float = 0
        let timings = clock.measure { n in for _ in 0..<n { sum += KernelCeilings.read(UnsafeBufferPointer(buffer)) } }
        precondition(sum.isFinite)
        return BenchMeasurement(
            group: "ceiling", name: "read-recurrent-\(shape.id)",
            description: "read \(4 * floats / 1000) KB (recurrent weights \(shape.layers)×\(shape.hidden)), GB/s",
            itemsPerIteration: 1, samplesNanoseconds: timings.cpu, wallNanoseconds: timings.wall,
            flopsPerItem: Double(4 * floats), audioSecondsPerItem: 0)
    }

    /// Every case, or those whose name contains `filter`.
    public func measureAll(filter: String? = nil) throws -> [BenchMeasurement] {
        func keep(_ name: String) -> Bool { filter == nil || name.contains(filter!) }
        var out = keep("fma-peak") ? [measureMultiplyAddPeak()] : []
        let readShape = Shape(input: 40, hidden: 128, layers: 2)
        if keep("read-recurrent-\(readShape.id)") { out.append(measureRecurrentRead(readShape)) }
        out += try Self.stepShapes.filter { keep("gru-step-\($0.id)") }.map { try measureStep($0) }
        out += try Self.stepShapes.filter { keep("gru-chunk100-\($0.id)") }.map { try measureChunk($0) }
        out += try Self.batchShapes.filter { keep("gru-batch\(Self.batchStreams)-\($0.id)") }.map {
            try measureBatch($0)
        }
        out += try Self.lstmShapes.filter { keep("lstm-step-\($0.id)") }.map { try measureStep($0) }
        out += try Self.lstmShapes.filter { keep("lstm-chunk100-\($0.id)") }.map { try measureChunk($0) }
        return out
    }
}
