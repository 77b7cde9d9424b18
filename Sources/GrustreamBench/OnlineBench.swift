import Foundation
import GrustreamNeural
import GrustreamPipeline

/// Online learning's cost per frame (`[model] online_learning`): a next-value predictor the size of
/// `pipelines/nab.toml`'s (input 2 — a value and its remainder —, GRU 1 × 24, linear head) runs a stream frame by
/// frame in chunks as `StreamProcessor` cuts them, with the stream's `OnlineLearner` taking its steps (Adam on the
/// last `window` frames every `every` frames), or without learning. An item is one frame: the CPU per frame, and so
/// a live stream's share of a core at any rate (rate × time per frame).
public struct OnlineBench {
    /// One learning schedule; `every` 0: no learning.
    public struct Schedule: Sendable {
        public var window: Int
        public var every: Int
        public var id: String { every == 0 ? "online-off" : "online-w\(window)-e\(every)" }
    }

    public static let schedules = [
        Schedule(window: 0, every: 0), Schedule(window: 32, every: 64), Schedule(window: 32, every: 8),
    ]
    public static let input = 2
    public static let hidden = 24
    /// Frames the runner takes at most at once (the processor's batch).
    public static let chunkFrames = 32

    public let clock: BenchClock

    public init(clock: BenchClock) { self.clock = clock }

    /// The predictor: GRUBench's seeded GRU weights with a seeded head, task `predict`.
    static func model() throws -> GRUModel {
        let shape = GRUBench.Shape(input: input, hidden: hidden, layers: 1)
        var tensors = GRUBench.tensors(shape)
        var state: UInt64 = 11
        let head = (0..<(input * hidden)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return 0.2 * Float(Int64(bitPattern: state) >> 40) / Float(1 << 23)
        }
        tensors.append(("linear.weight", Tensor(shape: [input, hidden], scalars: head)))
        tensors.append(("linear.bias", Tensor(shape: [input], scalars: [Float](repeating: 0, count: input))))
        let data = SafetensorsFile.encode(tensors, metadata: ["grustream": #"{"task": "predict"}"#])
        return try GRUModel(file: SafetensorsFile(data: data, name: "generated online-bench predictor"))
    }

    public func measureAll(filter: String?) throws -> [BenchMeasurement] {
        try Self.schedules.filter { filter == nil || $0.id.contains(filter!) }.map(measure)
    }

    public func measure(_ schedule: Schedule) throws -> BenchMeasurement {
        let shared = try Self.model()
        var options = ModelOptions()
        options.onlineLearning = schedule.every > 0
        options.onlineWindowFrames = max(1, schedule.window)
        options.onlineEveryFrames = max(1, schedule.every)
        options.onlineLearningRate = 0.001
        let learner = schedule.every > 0 ? try OnlineLearner(shared: shared, options: options) : nil
        let runner = try GRURunner(model: learner?.model ?? shared)
        // A daily-like cycle with noise, on the scale a predictor is trained on.
        let period = 288
        let frames = 4 * period
        var noise: UInt64 = 5
        let x: [Float] = (0..<frames).flatMap { t -> [Float] in
            noise = noise &* 6364136223846793005 &+ 1442695040888963407
            let value =
                Float(sin(2 * Double.pi * Double(t) / Double(period))) + 0.1 * Float(Int64(bitPattern: noise) >> 40)
                / Float(1 << 23)
            return [value, value - Float(sin(2 * Double.pi * Double(t) / Double(period)))]
        }
        var y = [Float](repeating: 0, count: Self.chunkFrames * shared.outputSize)
        var t = 0
        let timings = x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                clock.measure { n in
                    var left = n
                    while left > 0 {
                        var count = min(left, Self.chunkFrames, frames - t)
                        if let learner { count = min(count, learner.framesToNextEvent) }
                        let rows = UnsafeBufferPointer(rebasing: x[(t * Self.input)..<((t + count) * Self.input)])
                        runner.run(rows, count: count, outputs: y)
                        learner?.append(rows.baseAddress!, count: count, runner: runner)
                        t = t + count == frames ? 0 : t + count
                        left -= count
                    }
                }
            }
        }
        precondition(y.allSatisfy(\.isFinite))
        let what =
            schedule.every == 0
            ? "1×\(Self.hidden) predictor, no online learning"
            : "1×\(Self.hidden) predictor learning online, window \(schedule.window), every \(schedule.every)"
        return BenchMeasurement(
            group: "online", name: schedule.id, description: what, itemsPerIteration: 1,
            samplesNanoseconds: timings.cpu, wallNanoseconds: timings.wall, flopsPerItem: Double(shared.flopsPerStep),
            audioSecondsPerItem: 0)
    }
}
