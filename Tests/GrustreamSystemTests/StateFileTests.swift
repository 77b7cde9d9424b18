import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline

/// `[runtime] state_file`: the file format (round trip, truncation, corruption, another model), atomic writes,
/// and detector snapshots that continue a stream exactly.
@Suite("state file")
struct StateFileTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("grustream-state-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    var sample: StateFile {
        let hidden = Tensor(shape: [2, 3], scalars: [0.1, -0.2, 0.3, 1e-7, -5, .pi])
        let window = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let detector = DetectorSnapshot(
            kind: "classify", values: ["history": [0.1, 1.0 / 3, 1e-300], "frames_seen": [42]])
        return StateFile(
            pipeline: "kws", model: "kws.safetensors", modelHash: "0123456789abcdef",
            streams: [
                StreamStateSnapshot(
                    stream: "kws", gru: GRUState(hidden: hidden), labels: ["yes", "no \"quoted\""], detector: detector),
                StreamStateSnapshot(
                    stream: "mic 2", gru: GRUState(hidden: hidden, window: window), labels: [], detector: nil),
            ])
    }

    @Test func roundTripIsExact() throws {
        let data = sample.encode()
        #expect(try StateFile.decode(data, name: "x") == sample)
        // A safetensors file like any other: the hidden state reads back as a tensor.
        let file = try SafetensorsFile(data: data, name: "x")
        #expect(try file.tensor("s0.hidden") == sample.streams[0].gru.hidden)
    }

    @Test func anLSTMCellStateRoundTripsAndIsChecksummed() throws {
        var file = sample
        let cell = Tensor(shape: [2, 3], scalars: [0.5, -1.5, 2e-6, 3, -0.25, 1.0 / 3])
        file.streams[1].gru.cell = cell
        let data = file.encode()
        let decoded = try StateFile.decode(data, name: "x")
        #expect(decoded == file && decoded.streams[1].gru.cell == cell && decoded.streams[0].gru.cell == nil)
        #expect(try SafetensorsFile(data: data, name: "x").tensor("s1.cell") == cell)
        // c counts in the checksum: the same file with another c is refused.
        var other = file
        other.streams[1].gru.cell = Tensor(shape: [2, 3], scalars: [0.5, -1.5, 2e-6, 3, -0.25, 0.3])
        var meta = try SafetensorsFile(data: data, name: "x").metadata
        meta["checksum"] = try SafetensorsFile(data: other.encode(), name: "x").metadata["checksum"]
        let source = try SafetensorsFile(data: data, name: "x")
        let tensors = try source.tensorNames.map { ($0, try source.tensor($0)) }
        let forged = SafetensorsFile.encode(tensors, metadata: meta)
        #expect(throws: StateFileError.self) { try StateFile.decode(forged, name: "x") }
    }

    @Test func aDecompositionStateRoundTripsAndIsChecked() throws {
        var file = sample
        file.streams[0].seasonal = [
            "seasonal_counts": [0, 200, 1, 24, 500, 500], "seasonal_sums": [1.0 / 3],
            "seasonal_kept": [], "seasonal_ring": [0.1, -2.5e-8], "seasonal_estimate": [1e-300, 7],
        ]
        let data = file.encode()
        #expect(try StateFile.decode(data, name: "x") == file)
        #expect(try StateFile.decode(sample.encode(), name: "x").streams[0].seasonal == nil)
        // A decomposition state that is not an object of lists of numbers is refused with the stream's name.
        let json = StateFile.streamsJSON(file.streams)
        for (bad, fragment) in [
            ("\"seasonal\":[1]", "state is not an object"), ("\"seasonal\":{\"a\":1}", "is not a list"),
            ("\"seasonal\":{\"a\":[\"x\"]}", "holds a non-number"),
        ] {
            let start = json.range(of: "\"seasonal\":{")!.lowerBound
            let end = json[start...].range(of: "]}")!.upperBound
            let corrupt = json.replacingCharacters(in: start..<end, with: bad)
            var meta = try SafetensorsFile(data: data, name: "x").metadata
            meta["streams"] = corrupt
            let tensors = try file.streams.enumerated().flatMap { i, _ -> [(String, Tensor)] in
                [("s\(i).hidden", try SafetensorsFile(data: data, name: "x").tensor("s\(i).hidden"))]
                    + (i == 1 ? [("s1.window", try SafetensorsFile(data: data, name: "x").tensor("s1.window"))] : [])
            }
            meta["checksum"] = StateFile.checksum(streamsJSON: corrupt, tensors: tensors.map(\.1))
            let rewritten = SafetensorsFile.encode(tensors, metadata: meta)
            #expect {
                try StateFile.decode(rewritten, name: "x")
            } throws: { error in
                "\(error)".contains("stream kws: decomposition") && "\(error)".contains(fragment)
            }
        }
    }

    @Test func everyTruncationIsRefused() throws {
        let data = sample.encode()
        for length in stride(from: 0, to: data.count, by: 7) {
            #expect(throws: StateFileError.self, "truncated to \(length) of \(data.count) bytes") {
                try StateFile.decode(data.prefix(length), name: "x")
            }
        }
    }

    @Test func aFlippedBitIsRefused() throws {
        let data = sample.encode()
        var corrupt = data
        corrupt[data.count - 3] ^= 0x10  // in the tensor data
        #expect {
            try StateFile.decode(corrupt, name: "x")
        } throws: { "\($0)".contains("checksum mismatch") }
        var otherFile = SafetensorsFile.encode([("a", Tensor(shape: [1], scalars: [1]))], metadata: [:])
        #expect { try StateFile.decode(otherFile, name: "x") } throws: {
            "\($0)".contains("not a grustream state file")
        }
        otherFile = Data("not even safetensors".utf8)
        #expect(throws: StateFileError.self) { try StateFile.decode(otherFile, name: "x") }
    }

    @Test func writeIsAtomicAndReplaces() throws {
        let url = temp.appendingPathComponent("sub/kws.state")
        try sample.write(to: url)
        var second = sample
        second.streams.removeLast()
        try second.write(to: url)
        #expect(try StateFile.read(url) == second)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
        #expect(leftovers == ["kws.state"], "no temporary file left: \(leftovers)")
        let mode = try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func relativeStateFilesLiveInTheStateDirectory() {
        #expect(
            StateKeeper.location(of: "kws.state", environment: ["STATE_DIRECTORY": "/var/lib/grustream"]).path
                == "/var/lib/grustream/kws.state")
        #expect(StateKeeper.location(of: "kws.state", environment: ["STATE_DIRECTORY": "/a:/b"]).path == "/a/kws.state")
        #expect(StateKeeper.location(of: "kws.state", environment: [:]).path == "/var/lib/grustream/kws.state")
        #expect(StateKeeper.location(of: "/tmp/x.state", environment: ["STATE_DIRECTORY": "/a"]).path == "/tmp/x.state")
    }

    @Test func modelHashTellsFilesApart() throws {
        let a = try StateFile.hash(of: Fixtures.url("gru/torch_l1_h8/model.safetensors"))
        let b = try StateFile.hash(of: Fixtures.url("gru/torch_l2_h128/model.safetensors"))
        #expect(a.count == 16 && a != b)
        #expect(try StateFile.hash(of: Fixtures.url("gru/torch_l1_h8/model.safetensors")) == a)
    }

    /// Frames 0..<split through one detector, its snapshot through a state file into a new detector, the rest
    /// there: the same events as one detector over everything.
    @Test(arguments: ["classify", "anomaly", "precise"])
    func detectorSnapshotsContinueExactly(kind: String) throws {
        let hop = 0.01
        let labels = ["yes", "no", "_silence_"]
        func make() throws -> any SnapshottableDetector {
            if kind == "classify" {
                var options = ClassifyOptions()
                options.threshold = 0.5
                options.smoothMilliseconds = 50
                options.refractoryMilliseconds = 100
                return try ClassifyDetector(labels: labels, options: options, hopSeconds: hop)
            }
            if kind == "precise" {  // 10 ms hops of 160 samples; its 1024-sample chunks straddle the split
                return try PreciseDetector(
                    labels: ["hey"], options: PreciseOptions(),
                    decoder: PreciseThresholdDecoder(meanStds: [(mean: 6, std: 4)], center: 0.2), sampleRate: 16000,
                    hopSamples: 160, frameSamples: 400, initialRawScore: 0.01)
            }
            var options = AnomalyOptions()
            options.warmupMilliseconds = 300
            options.threshold = 2
            return try AnomalyDetector(inputSize: 3, outputSize: 3, options: options, hopSeconds: hop)
        }
        var generator = SeededGenerator(seed: 7)
        let frames = (0..<600).map { i -> (input: [Float], output: [Float]) in
            let burst = (i / 50) % 3 == 1
            let noise = (0..<3).map { _ in Float(generator.next() % 1000) / 1000 }
            let output: [Float] =
                kind == "classify"
                ? [burst ? 0.9 : noise[0] * 0.3, noise[1] * 0.4, 0.2]
                : kind == "precise" ? [burst ? 0.999 : noise[0] * 0.3] : noise.map { $0 * 0.1 }
            let input: [Float] = kind == "classify" ? noise : noise.map { burst && i > 400 ? $0 * 5 : $0 * 0.1 }
            return (input, output)
        }
        func feed(_ detector: any Detector, _ range: Range<Int>, into events: inout [DetectorEvent]) {
            for i in range {
                frames[i].input.withUnsafeBufferPointer { input in
                    frames[i].output.withUnsafeBufferPointer { output in
                        let frame = DetectorFrame(
                            index: i, start: Double(i) * hop, end: Double(i) * hop + 0.025, input: input, output: output
                        )
                        detector.process(frame) { events.append($0) }
                    }
                }
            }
        }
        var whole: [DetectorEvent] = []
        feed(try make(), 0..<600, into: &whole)
        detector: do {
            let first = try make()
            var split: [DetectorEvent] = []
            feed(first, 0..<277, into: &split)
            let state = StateFile(
                pipeline: "p", model: "m", modelHash: "h",
                streams: [
                    StreamStateSnapshot(
                        stream: "s", gru: GRUState(hidden: Tensor(zeros: [1, 1])), labels: first.labels,
                        detector: first.snapshot(nextFrame: 277, nextTime: 2.77))
                ])
            let restored = try StateFile.decode(state.encode(), name: "x")
            let second = try make()
            try second.restore(restored.streams[0].detector!, nextFrame: 277, nextTime: 2.77)
            feed(second, 277..<600, into: &split)
            #expect(!whole.isEmpty, "the test input must trigger events")
            #expect(split == whole)
        }
    }

    @Test func aSnapshotOfAnotherKindOrWindowIsRefused() throws {
        var options = ClassifyOptions()
        options.smoothMilliseconds = 50
        let five = try ClassifyDetector(labels: ["a"], options: options, hopSeconds: 0.01)
        options.smoothMilliseconds = 100
        let ten = try ClassifyDetector(labels: ["a"], options: options, hopSeconds: 0.01)
        #expect(throws: StateFileError.self) {
            try ten.restore(five.snapshot(nextFrame: 0, nextTime: 0), nextFrame: 0, nextTime: 0)
        }
        let anomaly = try AnomalyDetector(inputSize: 1, outputSize: 1, options: AnomalyOptions(), hopSeconds: 0.01)
        #expect(throws: StateFileError.self) {
            try anomaly.restore(five.snapshot(nextFrame: 0, nextTime: 0), nextFrame: 0, nextTime: 0)
        }
        func precise(chunkBytes: Int) throws -> PreciseDetector {
            var options = PreciseOptions()
            options.chunkBytes = chunkBytes
            return try PreciseDetector(
                labels: ["hey"], options: options,
                decoder: PreciseThresholdDecoder(meanStds: [(mean: 6, std: 4)], center: 0.2), sampleRate: 16000,
                hopSamples: 800, frameSamples: 1600, initialRawScore: 0)
        }
        let small = try precise(chunkBytes: 1600)
        #expect(throws: StateFileError.self) {
            try precise(chunkBytes: 2048).restore(
                small.snapshot(nextFrame: 3, nextTime: 0.15), nextFrame: 0, nextTime: 0)
        }
        #expect(throws: StateFileError.self) {
            try small.restore(five.snapshot(nextFrame: 0, nextTime: 0), nextFrame: 0, nextTime: 0)
        }
    }
}
