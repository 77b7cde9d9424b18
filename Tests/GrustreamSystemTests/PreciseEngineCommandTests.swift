import Foundation
import GrustreamDSP
import GrustreamNeural
import GrustreamPipeline
import GrustreamTestSupport
import Testing

/// `grustream precise-engine` as precise-runner drives it: raw int16 on stdin, one line per chunk.
@Suite("precise-engine command")
struct PreciseEngineCommandTests {
    static let model = "models/hey-mycroft-gru20.safetensors"

    static func pcm(_ stem: String) throws -> Data {
        try Data(contentsOf: Fixtures.url("precise/\(stem).wav")).dropFirst(44)
    }

    static func lines(_ r: CommandLineTool.Result) -> [String] {
        r.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test func oneDecodedScorePerChunkAsPrecise() throws {
        let audio = try Self.pcm("hey_jane")
        let r = try CommandLineTool.run(["precise-engine", Self.model], stdin: audio)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdoutText.hasSuffix("\n"))
        let lines = Self.lines(r)
        #expect(lines.count == (audio.count + 2047) / 2048)
        let expected = try Fixtures.tensor("precise/hey_jane_gru20_chunk_scores.npy")
        for (i, line) in lines.enumerated() {
            let value = try #require(Double(line), "line \(i): \(line)")
            #expect(abs(value - Double(expected.scalars[2 * i + 1])) < 1e-3, "line \(i): \(line)")
        }
    }

    @Test func rawScoresAndChunkSizeArgument() throws {
        let audio = try Self.pcm("hey_mycroft_test")
        let r = try CommandLineTool.run(["precise-engine", "--raw", Self.model, "4096"], stdin: audio)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = Self.lines(r)
        #expect(lines.count == (audio.count + 4095) / 4096)
        let frames = try Fixtures.tensor("precise/hey_mycroft_test_gru20_frame_scores.npy").scalars
        // After k chunks of 2048 samples, the newest complete frame is ⌊(2048k − 1600) / 800⌋.
        for (k, line) in lines.enumerated() {
            let samples = min((k + 1) * 2048, audio.count / 2)
            let frame = (samples - 1600) / 800
            let value = try #require(Float(line))
            if samples >= 1600 { #expect(abs(value - frames[frame]) < 1e-4, "chunk \(k): \(line) vs \(frames[frame])") }
        }
        #expect(lines.contains { $0.hasPrefix("0.9999") })
    }

    @Test func emptyInputPrintsNothing() throws {
        let r = try CommandLineTool.run(["precise-engine", Self.model], stdin: Data())
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r.stderr)")
    }

    @Test func badUsageIsOneLineAndStatus2() throws {
        for (arguments, fragment) in [
            (["precise-engine", "no-such-model.safetensors"], "no-such-model"),
            (["precise-engine", Self.model, "0"], "CHUNK_BYTES"),
            (["precise-engine", "Tests/Fixtures/gru/torch_l1_h8/model.safetensors"], "window"),
        ] {
            let r = try CommandLineTool.run(arguments, stdin: Data())
            #expect(r.status == 2, "\(arguments): \(r.status) \(r.stderr)")
            #expect(
                r.stderr.contains(fragment) && r.stderr.split(separator: "\n").count == 1, "\(arguments): \(r.stderr)")
        }
    }

    /// Precise's engine refuses a terminal on stdin; `script` gives the command a pseudo-terminal.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func refusesATerminal() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let command = "\(CommandLineTool.executable.path) precise-engine \(Self.model)"
        process.arguments = ["-qec", command, "/dev/null"]
        process.currentDirectoryURL = Fixtures.repositoryRoot
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2, "\(text)")
        #expect(text.contains("stdin is a terminal"), "\(text)")
    }

    @Test func pipelineFileParses() throws {
        let url = Fixtures.repositoryRoot.appendingPathComponent("pipelines/hey-mycroft.toml")
        let config = try PipelineConfig.load(url)
        #expect(config.source.kind == .alsa && config.detector.kind == .precise)
        #expect(config.detector.precise.sensitivity == 0.5 && config.detector.precise.triggerLevel == 3)
        #expect(config.features.frameLength == 1600 && config.features.dimension == 13)
        let model = try PreciseModel.load(config.resolve(config.model.path))
        let (a, b) = (model.features, config.features)
        let sizesA: [Int] = [a.frameLength, a.hopLength, a.fftLength, a.dimension]
        let sizesB: [Int] = [b.frameLength, b.hopLength, b.fftLength, b.dimension]
        #expect(sizesA == sizesB)
        // The option table rejects what precise-runner could not do, naming the key.
        for (text, key) in [
            ("[detector]\nkind = \"precise\"\nsensitivity = 1.5", "detector.sensitivity"),
            ("[detector]\nkind = \"precise\"\nthreshold = 0.5", "detector.threshold"),
            ("[detector]\nkind = \"precise\"\nscore = \"smoothed\"", "detector.score"),
        ] {
            #expect {
                _ = try PipelineConfig.parse(text, file: nil)
            } throws: { error in
                "\(error)".contains(key)
            }
        }
        let (bankA, bankB) = (FilterBank.mel(a), FilterBank.mel(b))
        #expect(bankA.dense == bankB.dense)
        #expect(a.mel.triangles == MelTriangles.sonopy && b.energy.fromSpectrum)
    }
}
