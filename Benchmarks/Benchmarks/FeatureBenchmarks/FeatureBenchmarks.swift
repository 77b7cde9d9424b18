import Benchmark
import GrustreamDSP
import GrustreamBench

/// Streaming feature extraction in the steady state: one iteration = one chunk of `hop` samples into a warmed-up
/// extractor (10 ms = one Kaldi frame; 512 samples = one librosa frame), so throughput = frames/s and the malloc
/// counts are per frame (they must be zero).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 1_000_000)

    let signal = BenchAudio.speechLike(seconds: 60, sampleRate: 16000)
    let cases: [(String, FeatureConvention, FeatureKind)] = [
        ("kaldi MFCC, 10 ms chunks (frames)", .kaldi, .mfcc),
        ("kaldi fbank, 10 ms chunks (frames)", .kaldi, .fbank),
        ("librosa log-mel, hop-size chunks (frames)", .librosa, .fbank),
        ("librosa MFCC, hop-size chunks (frames)", .librosa, .mfcc),
    ]
    for (name, convention, kind) in cases {
        Benchmark(name) { benchmark in
            let options = FeatureOptions.preset(convention, kind: kind, sampleRate: 16000)
            let extractor = try! FeatureExtractor(options: options)
            let hop = options.hopLength
            var frames = 0
            var position = 0
            signal.withUnsafeBufferPointer { samples in
                // Warm up past the first frame and the centre padding.
                extractor.accept(UnsafeBufferPointer(rebasing: samples[0..<options.frameLength])) { _ in frames += 1 }
                position = options.frameLength
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    if position + hop > samples.count { position = options.frameLength }  // wrap: same stream continues
                    extractor.accept(UnsafeBufferPointer(rebasing: samples[position..<(position + hop)])) { out in
                        frames += 1
                        blackHole(out[0])
                    }
                    position += hop
                }
                benchmark.stopMeasurement()
            }
            blackHole(frames)
        }
    }
}
