import Foundation
import GrustreamIO
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline
@testable import GrustreamDaemon

/// Keeps every published line, minus the wall-clock `"time"` field.
final class RecordingPublisher: EventPublisher {
    var lines: [String] = []

    func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind) {
        let text = String(decoding: line, as: UTF8.self)
        lines.append(text.replacingOccurrences(of: #""time":"[^"]*","#, with: "", options: .regularExpression))
    }
    var clientCount: Int { 1 }
    var droppedClients: Int { 0 }
    func close() {}
}

@Suite("stream processor")
struct StreamProcessorTests {
    /// The e2e-classify pipeline with a SCORES line per frame.
    static func pipeline() throws -> ResolvedPipeline {
        var config = try PipelineConfig.load(Fixtures.url("pipelines/e2e-classify.toml"))
        var job = PipelineLaunch()
        job.scores = true
        try job.apply(to: &config)
        return try ResolvedPipeline(config: config)
    }

    static func recording() throws -> [Float] {
        try AudioFile.read(
            path: Fixtures.repositoryRoot.appendingPathComponent("samples/yes-no-up-down.wav").path, container: .wav
        ).samples
    }

    /// The pipeline on `samples` (default: its recording), cut as `chunkSizes` says (cycled); every published line.
    func lines(chunkSizes: [Int], samples: [Float]? = nil) throws -> [String] {
        let recorder = RecordingPublisher()
        let processor = try StreamProcessor(name: "s", pipeline: Self.pipeline(), bus: PublisherGroup([recorder]))
        let samples = try samples ?? Self.recording()
        samples.withUnsafeBufferPointer { all in
            var offset = 0
            var k = 0
            while offset < all.count {
                let n = min(chunkSizes[k % chunkSizes.count], all.count - offset)
                processor.accept(UnsafeBufferPointer(rebasing: all[offset..<offset + n]))
                offset += n
                k += 1
            }
        }
        processor.finish()
        return recorder.lines
    }

    /// Frames completed by one read go through the GRU as one layer-major chunk (up to 32 frames), those of a
    /// 10 ms read one by one: the published lines are the same, byte for byte, however the input is cut.
    @Test func batchingFramesThroughTheGRUChangesNoBit() throws {
        let whole = try lines(chunkSizes: [Int.max])
        let frames = whole.filter { $0.contains("\"SCORES\"") }.count
        #expect(frames > 240, "a SCORES line per 10 ms frame of the 2.5 s recording: \(frames)")
        #expect(whole.contains { $0.contains("\"DETECTION\"") })
        var generator = SystemRandomNumberGenerator()
        let random = (0..<200).map { _ in Int.random(in: 1...9000, using: &generator) }
        for sizes in [[160], [1, 7, 333], [5120], random] {
            let cut = try lines(chunkSizes: sizes)
            #expect(
                cut == whole,
                "chunks \(sizes.prefix(5)): \(zip(cut, whole).first { $0 != $1 }.map { "\($0)" } ?? "counts \(cut.count) vs \(whole.count)")"
            )
        }
    }

    /// Several streams whose reads arrive interleaved, in random sizes, through one `StreamBatch` (as the socket
    /// source's producers): each stream's lines are those of the stream processed alone.
    @Test func streamsSteppedTogetherGiveEachStreamsOwnEvents() throws {
        let pipeline = try Self.pipeline()
        let recording = try Self.recording()
        let streams = 5
        // Stream s: the recording rotated by s × 0.37 s, so that the streams differ.
        let inputs = (0..<streams).map { s in
            let shift = s * 5920 % recording.count
            return Array(recording[shift...] + recording[..<shift])
        }
        let recorders = (0..<streams).map { _ in RecordingPublisher() }
        let processors = try (0..<streams).map { s in
            try StreamProcessor(name: "s", pipeline: pipeline, bus: PublisherGroup([recorders[s]]))
        }
        let batch = try StreamBatch(model: pipeline.model, capacity: 2)
        try batch.reserve(streams)
        #expect(batch.capacity >= streams)
        var offsets = [Int](repeating: 0, count: streams)
        var generator = SystemRandomNumberGenerator()
        while offsets.enumerated().contains(where: { $1 < inputs[$0].count }) {
            // A pass: some streams have a read (10 ms to 0.4 s), then the batch runs.
            for s in 0..<streams where offsets[s] < inputs[s].count && Bool.random(using: &generator) {
                let n = min(Int.random(in: 1...6400, using: &generator), inputs[s].count - offsets[s])
                inputs[s].withUnsafeBufferPointer { all in
                    processors[s].extract(UnsafeBufferPointer(rebasing: all[offsets[s]..<offsets[s] + n]))
                }
                offsets[s] += n
            }
            batch.run(processors)
            #expect(processors.allSatisfy { $0.pendingFrames == 0 })
        }
        for processor in processors { processor.finish() }
        for s in 0..<streams {
            let alone = try lines(chunkSizes: [160], samples: inputs[s])
            #expect(recorders[s].lines == alone, "stream \(s): \(recorders[s].lines.count) vs \(alone.count) lines")
        }
    }
}
