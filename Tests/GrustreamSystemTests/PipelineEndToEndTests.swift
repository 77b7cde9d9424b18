import Foundation
import GrustreamIO
import GrustreamKernels
import GrustreamNeural
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Event lines as comparable dictionaries: wall-clock `time` and machine-dependent STATS latencies removed.
func normalisedEvents(_ text: String, dropping kinds: Set<String> = []) -> [NSDictionary] {
    text.split(separator: "\n").compactMap { line in
        guard var object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            return nil
        }
        if let kind = object["class"] as? String, kinds.contains(kind) { return nil }
        object["time"] = nil
        object["latency_p50_us"] = nil
        object["latency_p99_us"] = nil
        return object as NSDictionary
    }
}

/// Relative tolerance of `sameEvents` for numbers, for the kernel family that ran: the one place that settles it.
/// The fixtures are made by the baseline family. FFTW picks SIMD codelets by CPU at run time, so the last bits of a
/// score may differ between machines (1e-5). The FMA families (avx2, avx512) fuse the kernels' multiply-adds, so
/// their scores differ from the fixtures in the last bits too, and Precise's decoder — a steep curve around its
/// threshold — magnifies a 1e-6 raw difference to ~3e-3 in its decoded score (1e-2). Classes, labels and
/// sample-count times stay exact in every family.
func eventNumberTolerance(_ family: KernelFamily = Kernels.selected) -> Double {
    family.fusesMultiplyAdd ? 1e-2 : 1e-5
}

/// Events equal field by field (nested objects too, e.g. `SCORES`' scores); numbers within
/// `eventNumberTolerance(family)` relative.
func sameEvents(_ a: [NSDictionary], _ b: [NSDictionary], family: KernelFamily = Kernels.selected) -> Bool {
    guard a.count == b.count else { return false }
    for (x, y) in zip(a, b) {
        guard Set(x.allKeys.map { "\($0)" }) == Set(y.allKeys.map { "\($0)" }) else { return false }
        for case let key as String in x.allKeys {
            let (u, v) = (x[key]!, y[key]!)
            if let p = u as? NSDictionary, let q = v as? NSDictionary {
                if !sameEvents([p], [q], family: family) { return false }
            } else if let p = u as? Double, let q = v as? Double, !(u is String) {
                if abs(p - q) > eventNumberTolerance(family) * max(abs(p), abs(q), 1e-3) { return false }
            } else if !((u as? NSObject)?.isEqual(v) ?? false) {
                return false
            }
        }
    }
    return true
}

/// The regression pairs (gpsd style): a recording and its expected events, through every kind of source.
@Suite("pipeline end to end", .serialized)
struct PipelineEndToEndTests {
    let pipeline = Fixtures.url("pipelines/e2e-classify.toml").path
    let recording = Fixtures.repositoryRoot.appendingPathComponent("samples/yes-no-up-down.wav")
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("grustream-e2e-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    var expected: [NSDictionary] {
        get throws {
            normalisedEvents(
                try String(contentsOf: Fixtures.url("pipelines/e2e-classify.expected.jsonl"), encoding: .utf8))
        }
    }

    /// Every kernel family this CPU runs, chosen through the environment as a user would.
    @Test(arguments: KernelFamilies.runnable, ["e2e-classify", "e2e-precise"])
    func fileSourceGivesTheRecordedEvents(family: KernelFamily, _ name: String) throws {
        let result = try CommandLineTool.run(
            ["run", Fixtures.url("pipelines/\(name).toml").path, "--log-level", "error"],
            environment: [Kernels.environmentVariable: family.rawValue])
        #expect(result.status == 0, "\(result.stderr)")
        let events = normalisedEvents(result.stdoutText)
        let recorded = normalisedEvents(
            try String(contentsOf: Fixtures.url("pipelines/\(name).expected.jsonl"), encoding: .utf8))
        #expect(events.count == recorded.count)
        #expect(sameEvents(events, recorded, family: family), "\(family): \(result.stdoutText)")
    }

    /// The README's first command: `grustream run` with no pipeline runs the embedded demo, from any folder.
    @Test(arguments: [true, false])
    func theEmbeddedDemoDetectsBothHeyMycrofts(fromRepository: Bool) throws {
        let folder = fromRepository ? Fixtures.repositoryRoot : temp
        let result = try CommandLineTool.run(["run"], currentDirectory: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let detections = normalisedEvents(result.stdoutText).filter { ($0["class"] as? String) == "DETECTION" }
        #expect(detections.count == 2, "\(result.stdoutText)")
        #expect(detections.allSatisfy { ($0["label"] as? String) == "hey-mycroft" })
        // "hey mycroft" is spoken at 1.30–2.25 s and 6.00–6.95 s of samples/hey-mycroft-demo.wav.
        let ends = detections.compactMap { $0["end"] as? Double }
        #expect(ends.count == 2 && ends[0] > 1.3 && ends[0] < 2.4 && ends[1] > 6.0 && ends[1] < 7.1, "\(ends)")
    }

    @Test func stdinInRandomChunksGivesTheSameEvents() throws {
        let wav = try Data(contentsOf: recording)
        let process = try SpawnedTool(["run", pipeline, "--source", "-", "--format", "wav", "--log-level", "error"])
        var generator = SystemRandomNumberGenerator()
        var offset = 0
        while offset < wav.count {
            let size = Int.random(in: 1...3000, using: &generator)
            process.write(wav[offset..<min(offset + size, wav.count)])
            offset += size
            if Bool.random(using: &generator) { usleep(UInt32.random(in: 0...300, using: &generator)) }
        }
        let result = process.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(sameEvents(normalisedEvents(result.stdoutText), try expected))
    }

    @Test func alsaCaptureThroughTheFilePluginGivesTheSameEvents() throws {
        let (config, seconds) = try alsaFileCapture(of: recording, in: temp)
        let result = try CommandLineTool.run(
            [
                "run", pipeline, "--source", "alsa:plugcap", "--format", "s16le", "--duration", seconds, "--log-level",
                "error",
            ],
            environment: ["ALSA_CONFIG_PATH": config.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(sameEvents(normalisedEvents(result.stdoutText), try expected), "\(result.stderr)")
    }

    @Test func missingSoundCardIsOneClearLine() throws {
        let config = temp.appendingPathComponent("empty.conf")
        try "".write(to: config, atomically: true, encoding: .utf8)
        let result = try CommandLineTool.run(
            ["run", pipeline, "--source", "alsa:default", "--format", "s16le"],
            environment: ["ALSA_CONFIG_PATH": config.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("alsa:default"), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal") && !result.stderr.contains("crashed"), "\(result.stderr)")
    }

    @Test func socketSubscribersSeeWhatStdoutSees() throws {
        let socket = temp.appendingPathComponent("events.sock").path
        let process = try SpawnedTool([
            "run", pipeline, "--source", "-", "--format", "wav", "--socket", socket, "--log-level", "error",
        ])
        #expect(waitFor { acceptsConnections(socket) }, "socket never accepted a connection")
        let subscribers = try (0..<5).map { _ in try SpawnedTool(["subscribe", socket]) }
        // Every subscriber is connected once it printed the daemon's VERSION line: only then do the events start.
        for subscriber in subscribers {
            #expect(subscriber.waitForOutput { $0.contains("\"class\":\"VERSION\"") }, "a subscriber never connected")
        }
        process.write(try Data(contentsOf: recording))
        let result = process.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let published = normalisedEvents(result.stdoutText, dropping: ["STATS"])
        #expect(published.count == (try expected.count) - 1)
        for subscriber in subscribers {
            let received = subscriber.finish()
            #expect(received.status == 0, "\(received.stderr)")
            let lines = normalisedEvents(received.stdoutText, dropping: ["STATS"])
            #expect((lines.first?["class"] as? String) == "VERSION")
            #expect(Array(lines.dropFirst()) == published)
        }
    }

    @Test func sigtermDrainsWhatWasReadAndExitsCleanly() throws {
        let audio = try AudioFile.read(path: recording.path, container: .wav)
        let oneSecond = WAVEncoder.encodePCM(Array(audio.samples.prefix(16000)), encoding: .s16le)
        let process = try SpawnedTool(["run", pipeline, "--source", "-", "--format", "s16le", "--log-level", "error"])
        process.write(oneSecond)
        usleep(700_000)
        process.signal(SIGTERM)
        let result = process.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let stats = normalisedEvents(result.stdoutText).last
        #expect((stats?["class"] as? String) == "STATS")
        #expect((stats?["frames"] as? Int) == 98, "(16000 − 400) / 160 + 1 frames: \(String(describing: stats))")
    }
}

/// Poll `condition` for up to `seconds`.
func waitFor(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// Whether the Unix socket at `path` accepts a connection now. Its file exists from bind(), but connections are
/// refused until listen() a moment later, so tests wait for this, not for the file.
func acceptsConnections(_ path: String) -> Bool {
    let fd = connectUnix(path)
    guard fd >= 0 else { return false }
    close(fd)
    return true
}

/// An ALSA configuration whose `plugcap` device captures `recording` (16 kHz mono) through the file plugin (the real
/// `snd_pcm_readi`, no sound card), written into `folder`; pass it as `ALSA_CONFIG_PATH`. Returns the
/// configuration and the recording's length in seconds (for `--duration`).
func alsaFileCapture(of recording: URL, in folder: URL) throws -> (config: URL, seconds: String) {
    let audio = try AudioFile.read(path: recording.path, container: .wav)
    let raw = folder.appendingPathComponent("input.raw")
    try WAVEncoder.encodePCM(audio.samples, encoding: .s16le).write(to: raw)
    let config = folder.appendingPathComponent("asound.conf")
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
    return (config, String(Double(audio.frameCount) / 16000))
}
