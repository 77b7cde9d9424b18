import Foundation
import GrustreamDSP
import GrustreamIO
import GrustreamTestSupport
import Testing

@testable import GrustreamNeural
@testable import GrustreamPipeline

/// One huge, NaN or infinite sample must not blind a stream: it is a bad frame (counted), and the detector
/// goes on producing events after it. A hidden state that goes non-finite is reset, counted and reported.
@Suite("numeric health", .serialized)
struct NumericHealthTests {
    static let pipeline = Fixtures.url("pipelines/e2e-classify.toml").path
    /// The sample the bad value replaces: 0.3 s into the 2.48 s recording.
    static let badIndex = 4800

    static func recording() throws -> [Float] { try StreamProcessorTests.recording() }

    /// `SCORES` lines after `t` seconds whose every score is a number (a NaN prints as null).
    static func finiteScores(after t: Double, in events: [NSDictionary]) -> (finite: Int, all: Int) {
        let late = events.filter { ($0["class"] as? String) == "SCORES" && (($0["t"] as? Double) ?? 0) > t }
        let finite = late.filter { event in
            guard let scores = event["scores"] as? NSDictionary else { return false }
            return scores.allValues.allSatisfy { $0 is NSNumber }
        }
        return (finite.count, late.count)
    }

    static func lastStats(_ events: [NSDictionary]) -> NSDictionary? {
        events.last { ($0["class"] as? String) == "STATS" }
    }

    enum BadInput: String, CaseIterable, Sendable {
        case f32Huge = "raw f32 1e15"
        case wavFloatHuge = "float WAV 1e20"
        case wavFloatNaN = "float WAV NaN"
        case wavDoubleInfinity = "64-bit float WAV +Inf"
    }

    @Test(arguments: BadInput.allCases)
    func oneBadSampleIsABadFrameAndDetectionGoesOn(_ input: BadInput) throws {
        var samples = try Self.recording()
        let bytes: Data
        var arguments = ["run", Self.pipeline, "--source", "-", "--scores", "--log-level", "error"]
        switch input {
        case .f32Huge:
            samples[Self.badIndex] = 1e15
            bytes = WAVEncoder.encodePCM(samples, encoding: .f32le)
            arguments += ["--format", "f32le", "--rate", "16000"]
        case .wavFloatHuge, .wavFloatNaN:
            samples[Self.badIndex] = input == .wavFloatNaN ? .nan : 1e20
            bytes = WAVEncoder.encode(samples, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .f32le))
            arguments += ["--format", "wav"]
        case .wavDoubleInfinity:
            samples[Self.badIndex] = .infinity
            bytes = WAVEncoder.encode(samples, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .f64le))
            arguments += ["--format", "wav"]
        }
        let result = try CommandLineTool.run(arguments, stdin: bytes)
        #expect(result.status == 0, "\(result.stderr)")
        let events = normalisedEvents(result.stdoutText)
        let scores = Self.finiteScores(after: 0.35, in: events)
        #expect(scores.all > 100 && scores.finite == scores.all, "\(scores.finite) of \(scores.all) finite")
        let detections = events.filter {
            ($0["class"] as? String) == "DETECTION" && (($0["start"] as? Double) ?? 0) > 0.5
        }
        #expect(detections.count >= 5, "\(detections.count) detections after the bad sample")
        let stats = try #require(Self.lastStats(events))
        #expect(stats["bad_frames"] as? Int == 1, "\(stats)")
        #expect(stats["state_resets"] as? Int == 0, "\(stats)")
    }

    /// A sensor value of 1e30 in CSV: beyond the sample limit of the features, a bad frame; the stream goes on.
    @Test func oneHugeSensorValueIsABadFrame() throws {
        let temp = try SensorFixture.folder(prefix: "gs-health")
        defer { try? FileManager.default.removeItem(at: temp) }
        let pipeline = try SensorFixture.writePipeline(
            "sensor.toml", in: temp, source: "kind = \"stdin\"",
            detector: "threshold = 3\nsmooth_ms = 30\nscores = true", runtime: "stats_interval_s = 0")
        var lines = SensorFixture.csv(phase: 0).split(separator: "\n").map(String.init)
        lines[100] = "1e30,0,0"
        let result = try CommandLineTool.run(
            ["run", pipeline, "--log-level", "error"], stdin: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let events = normalisedEvents(result.stdoutText)
        let late = events.filter { ($0["class"] as? String) == "SCORES" && (($0["t"] as? Double) ?? 0) > 1.1 }
        #expect(late.count > 400 && late.allSatisfy { $0["score"] is NSNumber }, "\(late.prefix(3))")
        let anomalies = events.filter { ($0["class"] as? String) == "ANOMALY" }
        #expect(anomalies.contains { (($0["start"] as? Double) ?? 0) > 2.9 }, "the burst at 3 s: \(anomalies)")
        #expect(Self.lastStats(events)?["bad_frames"] as? Int == 1)
    }

    /// Samples that reach the features without a decoder's check (here 1e30, straight into the processor) make
    /// non-finite feature vectors: bad frames, never stepped through the GRU, and the stream recovers.
    @Test func nonFiniteFeatureVectorsAreBadFramesTheGRUNeverSees() throws {
        let recorder = RecordingPublisher()
        let processor = try StreamProcessor(
            name: "s", pipeline: StreamProcessorTests.pipeline(), bus: PublisherGroup([recorder]))
        var samples = try Self.recording()
        samples[Self.badIndex] = 1e30
        samples.withUnsafeBufferPointer { processor.accept($0) }
        processor.finish()
        #expect(processor.badFeatureFrames == 3, "a 25 ms frame every 10 ms holds the sample 3 times")
        #expect(processor.stateResets == 0)
        let events = normalisedEvents(recorder.lines.joined(separator: "\n"))
        let scores = Self.finiteScores(after: 0.35, in: events)
        #expect(scores.all > 100 && scores.finite == scores.all)
        // Frames keep their stream times across the skipped ones: the last frame ends where the recording does.
        let times = events.compactMap { ($0["class"] as? String) == "SCORES" ? $0["t"] as? Double : nil }
        let unskipped = try lines(of: Self.recording()).compactMap { $0["t"] as? Double }
        #expect(times.count == processor.frames && times.count == unskipped.count - 3)
        #expect(times.last == unskipped.last)
    }

    /// A hidden state that has gone non-finite is reset to zeros with an `ERROR` event, once, and counted; the
    /// frames after it are scored from the zero state.
    @Test func aNonFiniteHiddenStateIsResetReportedAndCounted() throws {
        let recorder = RecordingPublisher()
        let processor = try StreamProcessor(
            name: "s", pipeline: StreamProcessorTests.pipeline(), bus: PublisherGroup([recorder]))
        let samples = try Self.recording()
        samples.withUnsafeBufferPointer { all in
            processor.accept(UnsafeBufferPointer(rebasing: all[0..<Self.badIndex]))
            processor.runner.hiddenState[3] = .nan
            processor.accept(UnsafeBufferPointer(rebasing: all[Self.badIndex...]))
        }
        processor.finish()
        #expect(processor.stateResets == 1)
        #expect(processor.runner.hasFiniteState)
        let errors = recorder.lines.filter { $0.contains("\"class\":\"ERROR\"") }
        #expect(errors.count == 1 && errors[0].contains("non-finite hidden state, reset"), "\(errors)")
        let events = normalisedEvents(recorder.lines.joined(separator: "\n"))
        let scores = Self.finiteScores(after: 0.3, in: events)
        #expect(scores.all > 100 && scores.finite == scores.all)
        #expect(events.contains { ($0["class"] as? String) == "DETECTION" && (($0["start"] as? Double) ?? 0) > 0.5 })
    }

    /// Every reset is counted, but a stream whose state keeps going bad publishes one `ERROR` per 10 s.
    @Test func stateResetsAreAllCountedAndTheirErrorsRateLimited() throws {
        let recorder = RecordingPublisher()
        let processor = try StreamProcessor(
            name: "s", pipeline: StreamProcessorTests.pipeline(), bus: PublisherGroup([recorder]))
        let samples = try Self.recording()
        samples.withUnsafeBufferPointer { all in
            var offset = 0
            for cut in [4800, 9600, 14400, all.count] {
                processor.accept(UnsafeBufferPointer(rebasing: all[offset..<cut]))
                if cut < all.count { processor.runner.hiddenState[0] = .infinity }
                offset = cut
            }
        }
        processor.finish()
        #expect(processor.stateResets == 3)
        let errors = recorder.lines.filter { $0.contains("\"class\":\"ERROR\"") }
        #expect(errors.count == 1, "\(errors)")
    }

    /// With `bad_frames = "hold"` a non-finite feature vector is replaced by the last good one: no frame is lost,
    /// every frame keeps its time.
    @Test func holdReplacesANonFiniteFeatureVectorWithTheLastGoodOne() throws {
        var config = try StreamProcessorTests.pipeline().config
        config.source.badFrames = .hold
        let recorder = RecordingPublisher()
        let processor = try StreamProcessor(
            name: "s", pipeline: ResolvedPipeline(config: config), bus: PublisherGroup([recorder]))
        var samples = try Self.recording()
        samples[Self.badIndex] = 1e30
        samples.withUnsafeBufferPointer { processor.accept($0) }
        processor.finish()
        #expect(processor.badFeatureFrames == 3)
        let events = normalisedEvents(recorder.lines.joined(separator: "\n"))
        let times = events.compactMap { ($0["class"] as? String) == "SCORES" ? $0["t"] as? Double : nil }
        #expect(times == (try lines(of: Self.recording()).compactMap { $0["t"] as? Double }))
        #expect(Self.finiteScores(after: 0, in: events).finite == times.count)
    }

    /// The sample limit of the bundled kinds of features: far above full scale for audio, above any plausible
    /// sensor reading, and well below what overflows the spectrum.
    @Test func sampleLimitsFollowTheFeatureMath() throws {
        let audio = try StreamProcessorTests.pipeline().features
        #expect(audio.sampleLimit > 1e6 && audio.sampleLimit < 1e12, "\(audio.sampleLimit)")
        // The bound itself: 16 N² K B² s² stays below Float.max by the headroom.
        let n = Double(audio.frameLength)
        let k = Double(audio.spectrumBins)
        let s = Double(audio.frame.inputScale)
        let largestSum = 16 * n * n * k * pow(Double(audio.sampleLimit) * s, 2)
        #expect(largestSum <= Double(Float.greatestFiniteMagnitude) / FeatureOptions.sampleLimitHeadroom * 1.0001)
    }

    private func lines(of samples: [Float]) throws -> [NSDictionary] {
        let recorder = RecordingPublisher()
        let processor = try StreamProcessor(
            name: "s", pipeline: StreamProcessorTests.pipeline(), bus: PublisherGroup([recorder]))
        samples.withUnsafeBufferPointer { processor.accept($0) }
        processor.finish()
        return normalisedEvents(recorder.lines.joined(separator: "\n")).filter { ($0["class"] as? String) == "SCORES" }
    }
}
