import Foundation
import GrustreamIO
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `[[models]]` pipeline under SIGHUP and with a state file: every model keeps its stream going.
extension MultiModelPipelineTests {
    /// The recording as raw s16le, cut in two at `seconds`.
    func rawHalves(at seconds: Double) throws -> (Data, Data) {
        let audio = try AudioFile.read(path: recording.path, container: .wav)
        let pcm = WAVEncoder.encodePCM(audio.samples, encoding: .s16le)
        let cut = Int(seconds * 16000) * 2
        return (pcm.prefix(cut), pcm.suffix(from: cut))
    }

    /// SIGHUP between the two halves with the file unchanged: each model's events are those of a run without the
    /// reload (hidden states, detector states and the shared extractors carried over).
    @Test func sighupKeepsEveryModelsStreamGoing() throws {
        let pipeline = try write(multiPipeline(gated: true), "reload.toml")
        let (first, second) = try rawHalves(at: 3.3)
        let notify = try NotifyRecorder()
        let process = try SpawnedTool(
            ["run", pipeline, "--source", "-", "--format", "s16le", "--socket", "none", "--log-level", "info"],
            environment: ["NOTIFY_SOCKET": notify.name])
        #expect(notify.wait { $0.hasPrefix("READY=1") } != nil, "no READY=1")
        process.write(first)
        usleep(1_500_000)
        process.signal(SIGHUP)
        let reloading = notify.wait { $0.hasPrefix("RELOADING=1") }
        #expect(notify.wait(after: (reloading ?? 0) + 1) { $0.hasPrefix("READY=1") } != nil, "no READY=1 after it")
        process.write(second)
        let reloaded = process.finish()
        notify.stop()
        #expect(reloaded.status == 0, "\(reloaded.stderr)")
        #expect(reloaded.stderr.contains("reloaded reload"), "\(reloaded.stderr)")
        let straight = try CommandLineTool.run(
            ["run", pipeline, "--source", "-", "--format", "s16le", "--socket", "none", "--log-level", "error"],
            stdin: first + second)
        for name in ["mycroft", "amelia", "savant"] {
            let a = events(of: name, reloaded.stdoutText)
            #expect(a.count > 100 && sameEvents(a, events(of: name, straight.stdoutText)), "\(name)")
        }
    }

    /// `[runtime] state_file`: each model's state is saved under `STREAM/MODEL` and restored at the next start;
    /// a state saved for other models is refused with a line naming them.
    @Test func theStateFileKeepsEveryModel() throws {
        let folder = temp.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let pipeline = try write(
            multiPipeline().replacingOccurrences(
                of: "stats_interval_s = 0", with: "stats_interval_s = 0\nstate_file = \"multi.state\""),
            "state.toml")
        let environment = ["STATE_DIRECTORY": folder.path]
        let arguments = ["run", pipeline, "--source", recording.path, "--socket", "none", "--log-level", "info"]
        let first = try CommandLineTool.run(arguments, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let second = try CommandLineTool.run(arguments, environment: environment)
        #expect(second.status == 0, "\(second.stderr)")
        for name in ["mycroft", "amelia", "savant"] {
            #expect(second.stderr.contains("state/\(name): hidden and detector state restored"), "\(second.stderr)")
        }
        let fewer = try write(
            try String(contentsOfFile: pipeline, encoding: .utf8).replacingOccurrences(
                of: "name = \"savant\"", with: "name = \"savant\"\nensemble = []"
            ).replacingOccurrences(of: "hey-savant.safetensors", with: "amelia.safetensors"), "state.toml")
        let third = try CommandLineTool.run(
            ["run", fewer, "--source", recording.path, "--socket", "none", "--log-level", "info"],
            environment: environment)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stderr.contains("saved for another model"), "\(third.stderr)")
    }

    /// The Wyoming server names one wake word per pipeline: a `[[models]]` pipeline is refused with one line.
    @Test func wyomingRefusesAPipelineOfSeveralModels() throws {
        let pipeline = root.appendingPathComponent("pipelines/wakewords.toml").path
        let result = try CommandLineTool.run(["wyoming", "--pipeline", pipeline, "--uri", "tcp://127.0.0.1:0"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("\(pipeline): a pipeline of several models"), "\(result.stderr)")
    }

    /// A clips sink serves every model: each detection's sidecar names the model file that made it.
    @Test func clipSidecarsNameTheirModel() throws {
        let folder = temp.appendingPathComponent("clips")
        let pipeline = try write(
            multiPipeline(
                extra: "[[sink]]\nkind = \"clips\"\npath = \"\(folder.path)\"\n[[sink]]\nkind = \"stdout\"\n"),
            "clips.toml")
        let result = try run(pipeline)
        #expect(result.status == 0, "\(result.stderr)")
        let detections = normalisedEvents(result.stdoutText).filter { $0.eventClass == "DETECTION" }
        var models: [String: Int] = [:]
        for case let sidecar as String in FileManager.default.enumerator(atPath: folder.path)?.allObjects ?? []
        where sidecar.hasSuffix(".json") {
            let data = try Data(contentsOf: folder.appendingPathComponent(sidecar))
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            models[(object?["model"] as? String) ?? "", default: 0] += 1
        }
        let expected = Dictionary(
            grouping: detections.compactMap { $0["model"] as? String },
            by: {
                $0 == "mycroft"
                    ? "hey-mycroft-gru60.safetensors" : $0 == "amelia" ? "amelia.safetensors" : "hey-savant.safetensors"
            }
        ).mapValues(\.count)
        #expect(detections.count >= 3 && models == expected, "\(models) vs \(expected)")
    }
}
