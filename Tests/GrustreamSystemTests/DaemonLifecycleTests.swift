import Foundation
import GrustreamPipeline
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built binary as systemd runs it: SIGHUP reloads (good and bad files), the state file across restarts,
/// socket activation through LISTEN_FDS, the notify protocol on the way.
@Suite("daemon: reload, state, activation", .serialized)
struct DaemonLifecycleTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("grustream-daemon-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    /// Run part 1, SIGHUP after `change` rewrote the pipeline, run part 2; returns the result and the recorder.
    func runWithReload(split: Double = 2, change: (URL) throws -> Void) throws -> (
        CommandLineTool.Result, NotifyRecorder
    ) {
        let pipeline = try DaemonPipelines.write(in: temp)
        let (first, second) = try DaemonPipelines.rawAudio(splitAt: split)
        let notify = try NotifyRecorder()
        let process = try SpawnedTool(
            ["run", pipeline.path, "--source", "-", "--format", "s16le", "--log-level", "info"],
            environment: ["NOTIFY_SOCKET": notify.name])
        #expect(notify.wait { $0.hasPrefix("READY=1") } != nil, "no READY=1")
        process.write(first)
        usleep(1_500_000)  // part 1 processed before the reload
        try change(pipeline)
        process.signal(SIGHUP)
        let reloading = notify.wait { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") }
        #expect(reloading != nil, "no RELOADING=1 with MONOTONIC_USEC: \(notify.all.map(\.text))")
        #expect(
            notify.wait(after: (reloading ?? 0) + 1) { $0.hasPrefix("READY=1") } != nil, "no READY=1 after the reload")
        process.write(second)
        let result = process.finish()
        notify.stop()
        return (result, notify)
    }

    @Test func sighupSwapsInAGoodPipelineBetweenFrames() throws {
        let (result, _) = try runWithReload { _ in _ = try DaemonPipelines.write(in: temp, threshold: "0.99") }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("reloaded e2e-classify"), "\(result.stderr)")
        #expect(
            result.stderr.contains("hidden state kept for 1 of 1 stream"), "same model: state carried\n\(result.stderr)"
        )
        let detections = normalisedEvents(result.stdoutText).filter { $0.eventClass == "DETECTION" }
        let expected = try DaemonPipelines.expected.filter { $0.eventClass == "DETECTION" }
        // Before the reload: the old threshold's detections, in order; after it: none (0.99 is out of reach).
        #expect(sameEvents(detections, Array(expected.prefix(detections.count))), "\(result.stdoutText)")
        #expect(detections.count >= expected.filter { $0.streamTime <= 1.0 }.count, "\(result.stdoutText)")
        #expect(detections.allSatisfy { $0.streamTime <= 2.0 + 0.03 }, "\(result.stdoutText)")
    }

    @Test func sighupWithABrokenPipelineKeepsTheOldOneRunning() throws {
        let (result, notify) = try runWithReload { url in
            try (DaemonPipelines.fixtureText() + "\n[detector.bogus\n").write(
                to: url, atomically: true, encoding: .utf8)
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("reload failed, still running the previous pipeline"), "\(result.stderr)")
        let ready = notify.all.map(\.text).filter { $0.hasPrefix("READY=1") }
        #expect(ready.count == 2 && ready[1].contains("STATUS=") && ready[1].contains("reload failed"), "\(ready)")
        let events = normalisedEvents(result.stdoutText)
        let errors = events.filter { $0.eventClass == "ERROR" }
        #expect(
            errors.count == 1 && ((errors.first?["message"] as? String) ?? "").hasPrefix("reload failed: "), "\(errors)"
        )
        // Nothing changed: every event of the regression pair.
        #expect(
            sameEvents(
                events.filter { $0.eventClass == "DETECTION" },
                try DaemonPipelines.expected.filter { $0.eventClass == "DETECTION" }))
    }

    @Test func sighupWithOtherFeaturesAndAnotherShapeResetsTheHiddenStateAndKeepsStreamTime() throws {
        let (result, _) = try runWithReload { url in
            // Kaldi MFCC (13 coefficients) into a 2 × 64 GRU with 4 outputs, instead of fbank 40 into 2 × 128.
            let text = try DaemonPipelines.fixtureText()
                .replacingOccurrences(of: "kind = \"fbank\"", with: "kind = \"mfcc\"")
                .replacingOccurrences(
                    of: "torch_l2_h128/model.safetensors", with: "torch_l2_h64_nobias_softmax/model.safetensors"
                )
                .replacingOccurrences(
                    of:
                        "labels = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\", \"k\", \"_silence_\"]",
                    with: "labels = [\"w\", \"x\", \"y\", \"_silence_\"]")
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("reloaded e2e-classify"), "\(result.stderr)")
        #expect(result.stderr.contains("2×64"), "the new model is in force\n\(result.stderr)")
        #expect(result.stderr.contains("hidden state kept for 0 of 1 stream"), "\(result.stderr)")
        // The stream goes on: stream time keeps counting through the swap, and the new labels appear after it.
        let detections = normalisedEvents(result.stdoutText).filter { $0.eventClass == "DETECTION" }
        let times = detections.map(\.streamTime)
        #expect(times == times.sorted(), "\(times)")
        let newLabels = detections.filter { ["w", "x", "y"].contains($0["label"] as? String ?? "") }
        #expect(!newLabels.isEmpty && newLabels.allSatisfy { $0.streamTime > 1.5 }, "\(result.stdoutText)")
    }

    @Test func stateFileSurvivesRestartsAndBadFilesAreIgnored() throws {
        let state = temp.appendingPathComponent("state/e2e.state")
        let pipeline = try DaemonPipelines.write(in: temp, runtime: "state_file = \"\(state.path)\"\n")
        let expected = try DaemonPipelines.expected.filter { $0.eventClass == "DETECTION" }
        func run() throws -> (CommandLineTool.Result, [NSDictionary]) {
            let result = try CommandLineTool.run(["run", pipeline.path, "--log-level", "info"])
            #expect(result.status == 0, "\(result.stderr)")
            return (result, normalisedEvents(result.stdoutText))
        }
        // First run: fresh state, saved at exit.
        let (first, firstEvents) = try run()
        #expect(first.stderr.contains("no saved state"), "\(first.stderr)")
        #expect(sameEvents(firstEvents.filter { $0.eventClass == "DETECTION" }, expected))
        let saved = try StateFile.read(state)
        #expect(saved.streams.map(\.stream) == ["e2e-classify"])
        #expect(saved.modelHash == (try StateFile.hash(of: Fixtures.url("gru/torch_l2_h128/model.safetensors"))))
        // Second run: restored.
        let (second, _) = try run()
        #expect(second.stderr.contains("e2e-classify: hidden and detector state restored"), "\(second.stderr)")
        // A truncated file: reported (log, ERROR event), ignored: the fresh run's events.
        let bytes = try Data(contentsOf: state)
        try bytes.prefix(bytes.count / 2).write(to: state)
        let (truncated, truncatedEvents) = try run()
        #expect(truncated.stderr.contains("ignored, streams start from the initial state"), "\(truncated.stderr)")
        #expect(
            truncatedEvents.contains {
                $0.eventClass == "ERROR" && (($0["message"] as? String) ?? "").contains(state.path)
            })
        #expect(sameEvents(truncatedEvents.filter { $0.eventClass == "DETECTION" }, expected))
        // Saved for another model: ignored as well.
        var other = saved
        other.modelHash = "0000000000000000"
        try other.write(to: state)
        let (mismatch, mismatchEvents) = try run()
        #expect(mismatch.stderr.contains("saved for another model"), "\(mismatch.stderr)")
        #expect(sameEvents(mismatchEvents.filter { $0.eventClass == "DETECTION" }, expected))
        // And each run saved a good file again.
        #expect(try StateFile.read(state).modelHash == saved.modelHash)
    }

    /// systemd's socket activation, for real: `systemd-socket-activate` (Debian's systemd package) listens, and
    /// on the first connection execs grustream with the socket as fd 3, LISTEN_FDS=1, LISTEN_PID, LISTEN_FDNAMES.
    @Test func socketActivationAdoptsThePassedSocket() throws {
        let activate = ["/usr/bin/systemd-socket-activate", "/bin/systemd-socket-activate"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        let tool = try #require(
            activate, "systemd-socket-activate is missing: install Debian's systemd package to run this test")
        let socket = temp.appendingPathComponent("e2e.sock").path
        let pipeline = Fixtures.url("pipelines/e2e-classify.toml").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = [
            "-l", socket, "--fdname=e2e.sock", CommandLineTool.executable.path, "run", pipeline, "--source", "-",
            "--format", "wav", "--socket", socket, "--log-level", "info",
        ]
        process.currentDirectoryURL = Fixtures.repositoryRoot
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        #expect(waitFor { FileManager.default.fileExists(atPath: socket) }, "systemd-socket-activate did not listen")
        let subscriber = try SpawnedTool(["subscribe", socket])  // the first connection starts grustream
        usleep(700_000)
        try input.fileHandleForWriting.write(contentsOf: Data(contentsOf: DaemonPipelines.recording))
        try input.fileHandleForWriting.close()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("publishing on the socket passed by systemd (e2e.sock, fd 3)"), "\(stderr)")
        let published = normalisedEvents(String(decoding: stdout, as: UTF8.self), dropping: ["STATS"])
        #expect(sameEvents(published, try DaemonPipelines.expected.filter { $0.eventClass != "STATS" }))
        let received = subscriber.finish()
        let lines = normalisedEvents(received.stdoutText, dropping: ["STATS"])
        #expect(lines.first?.eventClass == "VERSION")
        #expect(Array(lines.dropFirst()) == published)
        // An adopted socket belongs to whoever passed it: grustream neither made nor removed the file.
        #expect(FileManager.default.fileExists(atPath: socket))
    }
}
