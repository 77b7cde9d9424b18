import Foundation
import GrustreamIO
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// Several models on one input (`[[models]]`): each model's scores and detections are those of its own
/// single-model pipeline, the features of models that read the same ones are computed once, one ALSA capture
/// serves every model, the gate and the ensemble do what the README says, bad files are one line naming the key.
@Suite("several models on one input", .serialized)
struct MultiModelPipelineTests {
    let root = Fixtures.repositoryRoot
    let recording = Fixtures.repositoryRoot.appendingPathComponent("samples/hey-mycroft-demo.wav")
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("grustream-multi-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    /// Three models, two front ends (Precise's MFCC; Kaldi fbank read by two models), optionally gated.
    func multiPipeline(gated: Bool = false, extra: String = "") -> String {
        let models = root.appendingPathComponent("models").path
        return """
            [source]
            kind = "stdin"
            rate = 16000
            format = "wav"
            buffer_seconds = 30
            \(gated ? "[gate]\nkind = \"energy\"\n" : "")
            [[models]]
            name = "mycroft"
            path = "\(models)/hey-mycroft-gru60.safetensors"
            mode = "window:29"
            detector = { kind = "precise", sensitivity = 0.5, trigger_level = 3, scores = true }

            [[models]]
            name = "amelia"
            path = "\(models)/amelia.safetensors"
            mode = "carry"
            gated = \(gated)
            features = { kind = "fbank", convention = "kaldi", mel_bins = 32 }
            detector = { kind = "classify", threshold = 0.3, smooth_ms = 200, refractory_ms = 1500, scores = true }

            [[models]]
            name = "savant"
            path = "\(models)/hey-savant.safetensors"
            mode = "carry"
            gated = \(gated)
            features = { kind = "fbank", convention = "kaldi", mel_bins = 32 }
            detector = { kind = "classify", threshold = 0.3, smooth_ms = 200, refractory_ms = 1500, scores = true }
            \(extra)
            [runtime]
            stats_interval_s = 0
            """
    }

    /// The same model alone, with the same keys.
    func singlePipeline(_ name: String) -> String {
        let models = root.appendingPathComponent("models").path
        let body: String
        switch name {
        case "mycroft":
            body = """
                [model]
                path = "\(models)/hey-mycroft-gru60.safetensors"
                mode = "window:29"
                [detector]
                kind = "precise"
                sensitivity = 0.5
                trigger_level = 3
                scores = true
                """
        default:
            body = """
                [features]
                kind = "fbank"
                convention = "kaldi"
                mel_bins = 32
                [model]
                path = "\(models)/\(name == "amelia" ? "amelia" : "hey-savant").safetensors"
                mode = "carry"
                [detector]
                kind = "classify"
                threshold = 0.3
                smooth_ms = 200
                refractory_ms = 1500
                scores = true
                """
        }
        return "[source]\nkind = \"stdin\"\nrate = 16000\nformat = \"wav\"\n\(body)\n[runtime]\nstats_interval_s = 0\n"
    }

    func write(_ text: String, _ name: String) throws -> String {
        let url = temp.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func run(_ pipeline: String, input: URL? = nil, extra: [String] = []) throws -> CommandLineTool.Result {
        try CommandLineTool.run(
            ["run", pipeline, "--source", (input ?? recording).path, "--socket", "none", "--log-level", "error"]
                + extra)
    }

    /// Events of one model, without the `model` field (to compare with its single-model pipeline).
    func events(of model: String?, _ text: String) -> [NSDictionary] {
        normalisedEvents(text, dropping: ["STATS"]).filter { ($0["model"] as? String) == model }.map {
            let copy = $0.mutableCopy() as! NSMutableDictionary
            copy["model"] = nil
            copy["stream"] = nil
            return copy
        }
    }

    @Test func eachModelScoresAndDetectsAsItsOwnPipeline() throws {
        let multi = try run(try write(multiPipeline(), "multi.toml"))
        #expect(multi.status == 0, "\(multi.stderr)")
        for name in ["mycroft", "amelia", "savant"] {
            let single = try run(try write(singlePipeline(name), "\(name).toml"))
            #expect(single.status == 0, "\(single.stderr)")
            let alone = events(of: nil, single.stdoutText)
            let together = events(of: name, multi.stdoutText)
            #expect(alone.count > 100, "\(name): \(alone.count) events")
            #expect(together.count == alone.count, "\(name)")
            #expect(sameEvents(together, alone), "\(name)")
        }
        let detections = normalisedEvents(multi.stdoutText).filter { $0.eventClass == "DETECTION" }
        #expect(detections.filter { ($0["model"] as? String) == "mycroft" }.count == 2, "\(multi.stdoutText)")
    }

    @Test func modelsReadingTheSameFeaturesShareOneExtractor() throws {
        let config = try PipelineConfig.load(URL(fileURLWithPath: try write(multiPipeline(), "multi.toml")))
        let pipeline = try ResolvedPipeline(config: config)
        let processor = try StreamProcessor(name: "s", pipeline: pipeline, bus: PublisherGroup([]))
        #expect(processor.allLanes.map { $0.pipeline.modelName } == ["mycroft", "amelia", "savant"])
        #expect(processor.featureGroups.count == 2)
        #expect(processor.featureGroups.map { $0.lanes.count } == [1, 2])
        #expect(processor.allLanes[1].extractor === processor.allLanes[2].extractor)
        #expect(processor.allLanes[0].extractor !== processor.allLanes[1].extractor)
    }

    /// One ALSA capture (the file plugin: the real `snd_pcm_readi`) serves every model: the same events as the file.
    @Test func oneAlsaCaptureServesEveryModel() throws {
        let audio = try AudioFile.read(path: recording.path, container: .wav)
        let raw = temp.appendingPathComponent("input.raw")
        try WAVEncoder.encodePCM(audio.samples, encoding: .s16le).write(to: raw)
        let config = temp.appendingPathComponent("asound.conf")
        try """
        pcm.filecap {
            type file
            slave.pcm { type null }
            file "/dev/null"
            infile "\(raw.path)"
            format "raw"
        }
        pcm.plugcap { type plug  slave { pcm "filecap"  format S16_LE  rate 16000  channels 1 } }
        """.write(to: config, atomically: true, encoding: .utf8)
        let pipeline = try write(multiPipeline(gated: true), "multi.toml")
        let seconds = String(Double(audio.frameCount) / 16000)
        let captured = try CommandLineTool.run(
            [
                "run", pipeline, "--source", "alsa:plugcap", "--format", "s16le", "--duration", seconds,
                "--socket", "none", "--log-level", "error",
            ],
            environment: ["ALSA_CONFIG_PATH": config.path])
        #expect(captured.status == 0, "\(captured.stderr)")
        let file = try run(pipeline)
        #expect(file.status == 0, "\(file.stderr)")
        // The file plugin is read as fast as it is asked: a ring of 30 s keeps every sample of the 7.6 s.
        let stats = normalisedEvents(captured.stdoutText).first { $0.eventClass == "STATS" }
        #expect(stats?["dropped_samples"] as? Int == 0, "\(String(describing: stats))")
        for name in ["mycroft", "amelia", "savant"] {
            let a = events(of: name, captured.stdoutText)
            #expect(a.count > 100 && sameEvents(a, events(of: name, file.stdoutText)), "\(name)")
        }
    }

    /// stdin in random pieces: each model's events (gate decisions, pre-rolls, shared extractors) are those of the
    /// whole file. (How the models' events interleave follows the reads: each model runs its frames in batches.)
    @Test func gatedPipelineDoesNotDependOnHowTheInputIsCut() throws {
        let pipeline = try write(multiPipeline(gated: true), "gated.toml")
        let whole = try run(pipeline)
        let wav = try Data(contentsOf: recording)
        let process = try SpawnedTool(["run", pipeline, "--source", "-", "--socket", "none", "--log-level", "error"])
        var generator = SeededGenerator(seed: 7)
        var offset = 0
        while offset < wav.count {
            let size = Int.random(in: 1...5000, using: &generator)
            process.write(wav[offset..<min(offset + size, wav.count)])
            offset += size
        }
        let pieces = process.finish()
        #expect(pieces.status == 0, "\(pieces.stderr)")
        for name in ["mycroft", "amelia", "savant"] {
            let a = events(of: name, pieces.stdoutText)
            #expect(a.count > 100 && sameEvents(a, events(of: name, whole.stdoutText)), "\(name)")
        }
        #expect(sameEvents(events(of: nil, pieces.stdoutText), events(of: nil, whole.stdoutText)))
    }

    /// Silence, then the recording: the gated models skip their GRU while the gate hears nothing (STATS
    /// `gated_frames`, zero posteriors), and score the words once it opens; the ungated model is unchanged.
    @Test func theGateSkipsTheGatedModelsInSilence() throws {
        let audio = try AudioFile.read(path: recording.path, container: .wav)
        var samples = [Float](repeating: 0, count: 3 * 16000)
        samples += audio.samples
        let input = temp.appendingPathComponent("silence-then-words.wav")
        try WAVEncoder.encode(samples, format: PCMFormat(sampleRate: 16000, channels: 1, encoding: .s16le)).write(
            to: input)
        let gated = try run(try write(multiPipeline(gated: true), "gated.toml"), input: input)
        let open = try run(try write(multiPipeline(), "open.toml"), input: input)
        #expect(gated.status == 0 && open.status == 0, "\(gated.stderr)")
        let stats = normalisedEvents(gated.stdoutText).first { $0.eventClass == "STATS" }
        let skipped = (stats?["gated_frames"] as? Int) ?? 0
        // 3 s of silence: 300 fbank frames for each of the two gated models, at least.
        #expect(skipped >= 600, "\(String(describing: stats))")
        #expect(normalisedEvents(open.stdoutText).first { $0.eventClass == "STATS" }?["gated_frames"] == nil)
        let ameliaScores = normalisedEvents(gated.stdoutText).filter {
            $0.eventClass == "SCORES" && ($0["model"] as? String) == "amelia"
        }
        let silent = ameliaScores.filter { $0.streamTime < 2.9 }
        #expect(silent.count > 250)
        #expect(silent.allSatisfy { (($0["scores"] as? NSDictionary)?["amelia"] as? Double) == 0 })
        #expect(
            ameliaScores.contains {
                $0.streamTime > 3 && ((($0["scores"] as? NSDictionary)?["amelia"] as? Double) ?? 0) > 0
            })
        #expect(sameEvents(events(of: "mycroft", gated.stdoutText), events(of: "mycroft", open.stdoutText)))
    }

    /// An ensemble of one model with itself is that model (the mean of equal posteriors); of the GRU-20 and GRU-60
    /// "hey mycroft" models, the raw score is the mean of the two models' raw scores, each run alone.
    @Test func ensembleAveragesTheModelsPosteriors() throws {
        let models = root.appendingPathComponent("models").path
        func pipeline(_ model: String, ensemble: [String]) -> String {
            """
            [source]
            kind = "stdin"
            format = "wav"
            [model]
            path = "\(models)/\(model)"
            mode = "window:29"
            ensemble = [\(ensemble.map { "\"\(models)/\($0)\"" }.joined(separator: ", "))]
            [detector]
            kind = "precise"
            scores = true
            [runtime]
            stats_interval_s = 0
            """
        }
        func raw(_ text: String) -> [Double] {
            normalisedEvents(text).filter { $0.eventClass == "SCORES" }.compactMap { $0["raw"] as? Double }
        }
        let g20 = try run(try write(pipeline("hey-mycroft-gru20.safetensors", ensemble: []), "g20.toml"))
        let g60 = try run(try write(pipeline("hey-mycroft-gru60.safetensors", ensemble: []), "g60.toml"))
        let twice = try run(
            try write(
                pipeline("hey-mycroft-gru60.safetensors", ensemble: ["hey-mycroft-gru60.safetensors"]), "twice.toml"))
        let both = try run(
            try write(
                pipeline("hey-mycroft-gru60.safetensors", ensemble: ["hey-mycroft-gru20.safetensors"]), "both.toml"))
        for result in [g20, g60, twice, both] { #expect(result.status == 0, "\(result.stderr)") }
        #expect(raw(twice.stdoutText) == raw(g60.stdoutText) && raw(g60.stdoutText).count > 100)
        let (a, b, mean) = (raw(g20.stdoutText), raw(g60.stdoutText), raw(both.stdoutText))
        #expect(mean.count == a.count && a.count == b.count)
        let worst = zip(mean, zip(a, b)).map { abs($0 - ($1.0 + $1.1) / 2) }.max() ?? 1
        #expect(worst <= 1e-6, "largest difference \(worst)")
    }

    static let badFiles: [(edit: String, message: String)] = [
        ("[model]\npath = \"x.safetensors\"\n", "model: a pipeline has either one [model] or several [[models]]"),
        ("[gate]\nmargin_db = -3\n", "gate.margin_db = -3 is out of range"),
        ("[[models]]\npath = \"../models/amelia.safetensors\"\n", "another model has this name"),
        ("[[models]]\nname = \"x\"\n", "models[3].path: no model given"),
        (
            "[[models]]\nname = \"x\"\npath = \"y.safetensors\"\ngated = true\n",
            "models[3].gated = true, but there is no [gate]"
        ),
        (
            "[[models]]\nname = \"x\"\npath = \"y\"\ndetector = { threshold = 2 }\n",
            "models[3].detector.threshold = 2 is out of range"
        ),
        (
            "[[models]]\nname = \"x\"\npath = \"y\"\nfeatures = { mel_bins = 0 }\n",
            "models[3].features.mel_bins = 0 is out of range"
        ),
        ("[[models]]\nname = \"x\"\npath = \"y\"\nbogus = 1\n", "models[3].bogus: unknown key"),
        (
            "[[models]]\nname = \"x\"\npath = \"y\"\nensemble = \"z\"\n",
            "models[3].ensemble = \"z\" is a string; expected an array of model paths"
        ),
        (
            "[[models]]\nname = \"eight\"\npath = \"../models/amelia.safetensors\"\nfeatures = { kind = \"fbank\", sample_rate = 8000, mel_bins = 32 }\n",
            "models[3] (eight): features at 8000 Hz, 1 channel(s), but mycroft's at 16000 Hz"
        ),
        (
            "[runtime]\nstate_file = \"x.state\"\n[[models]]\nname = \"e\"\npath = \"../models/amelia.safetensors\"\nensemble = [\"../models/hey-savant.safetensors\"]\n",
            "runtime.state_file: the hidden states of model.ensemble members are not saved"
        ),
    ]

    /// Bad multi-model files: exit status 2, one line naming the file and the key.
    @Test(arguments: badFiles.indices)
    func badMultiModelFilesAreOneLineNamingTheKey(index: Int) throws {
        let (edit, message) = Self.badFiles[index]
        let text = multiPipeline().replacingOccurrences(of: "[runtime]\nstats_interval_s = 0", with: "") + "\n" + edit
        let pipelinesFolder = root.appendingPathComponent("pipelines")
        let path = pipelinesFolder.appendingPathComponent(".test-multi-\(index)-\(UUID().uuidString).toml")
        try text.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let result = try CommandLineTool.run(["check", path.path])
        #expect(result.status == 2, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(path.path) && result.stderr.contains(message), "\(result.stderr)")
    }
}
