import Foundation
import GrustreamIO
import GrustreamTestSupport
import Testing

@testable import GrustreamRuntime

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
    /// The e2e-classify pipeline with a SCORES line per frame, on its recording, cut as `chunkSizes` says
    /// (cycled); every published line.
    func lines(chunkSizes: [Int]) throws -> [String] {
        var config = try PipelineConfig.load(Fixtures.url("pipelines/e2e-classify.toml"))
        var job = RunJob()
        job.scores = true
        try job.apply(to: &config)
        let pipeline = try ResolvedPipeline(config: config)
        let recorder = RecordingPublisher()
        let processor = try StreamProcessor(name: "s", pipeline: pipeline, bus: PublisherGroup([recorder]))
        let samples = try AudioFile.read(
            path: Fixtures.repositoryRoot.appendingPathComponent("samples/yes-no-up-down.wav").path, container: .wav
        ).samples
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
}
