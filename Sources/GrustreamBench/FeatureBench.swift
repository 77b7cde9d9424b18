import Foundation
import GrustreamDSP

/// Feature extraction throughput: the streaming extractor fed 10 ms chunks (as a capture loop does) or the whole
/// signal in one call, for the Kaldi presets (MFCC, fbank) and the librosa preset (log-mel, MFCC).
public struct FeatureBench {
    public struct Case: Sendable {
        public var name: String
        public var description: String
        public var convention: FeatureConvention
        public var kind: FeatureKind
        /// Samples per `accept` call; nil = the whole signal at once.
        public var chunkSamples: Int?
    }

    /// The cases measured, in table order. Chunks of 160 samples = 10 ms at 16 kHz.
    public static func cases(sampleRate: Double) -> [Case] {
        func make(_ convention: FeatureConvention, _ kind: FeatureKind, streamed: Bool) -> Case {
            let family = convention == .kaldi ? "kaldi" : "librosa"
            let (id, label) =
                kind == .mfcc ? ("mfcc", "MFCC") : convention == .kaldi ? ("fbank", "fbank") : ("logmel", "log-mel")
            return Case(
                name: "\(family)-\(id)-\(streamed ? "stream-10ms" : "whole")",
                description: "\(family) \(label), \(streamed ? "10 ms chunks" : "whole signal")",
                convention: convention, kind: kind, chunkSamples: streamed ? Int(sampleRate / 100) : nil)
        }
        return [
            make(.kaldi, .mfcc, streamed: true), make(.kaldi, .fbank, streamed: true),
            make(.kaldi, .mfcc, streamed: false), make(.kaldi, .fbank, streamed: false),
            make(.librosa, .fbank, streamed: false), make(.librosa, .mfcc, streamed: false),
            make(.librosa, .fbank, streamed: true), make(.librosa, .mfcc, streamed: true),
        ]
    }

    public let samples: [Float]
    public let sampleRate: Double
    public let clock: BenchClock

    public init(samples: [Float], sampleRate: Double, clock: BenchClock) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.clock = clock
    }

    /// One pass over the whole signal per iteration (then `finish`, which also resets the stream).
    public func measure(_ c: Case) throws -> BenchMeasurement {
        let options = FeatureOptions.preset(c.convention, kind: c.kind, sampleRate: sampleRate)
        let extractor = try FeatureExtractor(options: options)
        var frames = 0
        var checksum: Float = 0
        let chunk = c.chunkSamples ?? samples.count
        let timings = samples.withUnsafeBufferPointer { signal in
            clock.measure { n in
                for _ in 0..<n {
                    var start = 0
                    while start < signal.count {
                        let end = min(start + chunk, signal.count)
                        extractor.accept(UnsafeBufferPointer(rebasing: signal[start..<end])) { out in
                            frames &+= 1
                            checksum += out[0]
                        }
                        start = end
                    }
                    extractor.finish { out in
                        frames &+= 1
                        checksum += out[0]
                    }
                }
            }
        }
        // Frames per pass, counted once more outside the timing (the timed loop only adds to `frames`).
        var perPass = 0
        extractor.accept(samples) { _ in perPass += 1 }
        extractor.finish { _ in perPass += 1 }
        precondition(checksum.isFinite && frames > 0, "feature bench: no frames or non-finite features")
        return BenchMeasurement(
            group: "features", name: c.name, description: c.description, itemsPerIteration: Double(perPass),
            samplesNanoseconds: timings.cpu, wallNanoseconds: timings.wall, flopsPerItem: 0,
            audioSecondsPerItem: Double(samples.count) / sampleRate / Double(perPass))
    }

    /// Every case, or those whose name contains `filter`.
    public func measureAll(filter: String? = nil) throws -> [BenchMeasurement] {
        try Self.cases(sampleRate: sampleRate).filter { filter == nil || $0.name.contains(filter!) }.map {
            try measure($0)
        }
    }
}
