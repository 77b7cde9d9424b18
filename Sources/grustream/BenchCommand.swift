import ArgumentParser
import Foundation
import GrustreamBench

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure feature extraction and GRU throughput on this machine.",
        discussion: """
            features: Kaldi MFCC/fbank streamed in 10 ms chunks and whole-signal, librosa log-mel/MFCC (frames/s, \
            real-time factor). gru: one stream stepped frame by frame (input 40, hidden 64/128/256, 1 and 2 layers; \
            µs/step, GFLOP/s), chunks of 100 frames (frames/s), 64 streams stepped together (GFLOP/s), and this \
            core's ceilings for any float32 GRU: its multiply-add peak on registers (fma-peak, GFLOP/s) and its L2 \
            read rate over the 2×128 recurrent weights (read-recurrent-*, GB/s). online: a 1×24 next-value predictor \
            (input 2) run frame by frame in chunks, without online learning and learning online (Adam on the last \
            32 frames every 64 or 8 frames): µs per frame, so a live stream's share of a core is rate × that.
            Medians of several rounds; pin to one core for steadier figures (taskset -c 1 grustream bench).
            scripts/bench runs this with --json and compares with the reference libraries in the same run.
            """)

    @Argument(help: "features | gru | online | all")
    var what: String = "all"

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: "Seconds of timing per case (split into --rounds rounds).")
    var seconds: Double = 1.0

    @Option(help: "Timed rounds per case; the median is reported.")
    var rounds: Int = 7

    @Option(
        help: "Input audio (mono WAV) for the feature cases; default: 60 s of generated speech-like audio at 16 kHz.")
    var audio: String?

    @Option(help: "Directory with gru-i40-h128-l2.safetensors etc. (default: weights generated in process).")
    var models: String?

    @Option(help: "Only the cases whose id contains this text (e.g. kaldi-mfcc, step-i40-h128-l2).")
    var filter: String?

    func run() throws {
        try runReportingErrors("bench") {
            guard ["features", "gru", "online", "all"].contains(what) else {
                throw ValidationError("bench \(what): expected features, gru, online or all")
            }
            guard seconds > 0, rounds >= 1 else { throw ValidationError("--seconds must be > 0 and --rounds ≥ 1") }
            let clock = BenchClock(seconds: seconds, rounds: rounds)
            let signal: (samples: [Float], sampleRate: Double, description: String) =
                what == "gru" || what == "online" ? ([], 16000, "none") : try BenchAudio.input(path: audio)
            var results: [BenchMeasurement] = []
            if what == "features" || what == "all" {
                results += try FeatureBench(samples: signal.samples, sampleRate: signal.sampleRate, clock: clock)
                    .measureAll(filter: filter)
            }
            if what == "gru" || what == "all" {
                let dir = models.map { URL(fileURLWithPath: $0) }
                results += try GRUBench(clock: clock, modelDirectory: dir).measureAll(filter: filter)
            }
            if what == "online" || what == "all" {
                results += try OnlineBench(clock: clock).measureAll(filter: filter)
            }
            let report = BenchReport(
                measurements: results,
                environment: BenchReport.environment(input: signal.description, seconds: seconds, rounds: rounds))
            print(json ? report.json : report.table)
        }
    }
}
