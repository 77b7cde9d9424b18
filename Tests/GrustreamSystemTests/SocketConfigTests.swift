import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline

/// Socket settings of the unix source and sinks (path, `mode`, `group`) are configuration: `check` and start-up
/// refuse a bad one with status 2 and one line naming the key, and the source's socket gets the permissions asked.
@Suite("socket configuration")
struct SocketConfigTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent(
        "gs-sockcfg-\(UUID().uuidString.prefix(8))")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    static let model = Fixtures.repositoryRoot.appendingPathComponent("models/kws-demo.safetensors").path

    func write(_ body: String) throws -> URL {
        let file = temp.appendingPathComponent("p-\(UUID().uuidString.prefix(6)).toml")
        try """
        [model]
        path = "\(Self.model)"
        [detector]
        kind = "classify"
        \(body)
        """.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    var regularFile: String {
        let path = temp.appendingPathComponent("not-a-socket").path
        FileManager.default.createFile(atPath: path, contents: Data("x".utf8))
        return path
    }

    func refusedCases() -> [(String, String)] {
        let sink = "[source]\nkind = \"stdin\"\n[[sink]]\nkind = \"unix\"\n"
        let source = "[source]\nkind = \"unix\"\nformat = \"s16le\"\nrate = 16000\n"
        let socket = temp.appendingPathComponent("s.sock").path
        return [
            (sink + "path = \"\(socket)\"\nmode = \"0999\"", "sink[0].mode = \"0999\" is not allowed"),
            (
                sink + "path = \"\(socket)\"\ngroup = \"no-such-group-gs\"",
                "sink[0].group = \"no-such-group-gs\" is no group"
            ),
            (
                sink + "path = \"\(regularFile)\"",
                "sink[0].path = \"\(regularFile)\": \(regularFile) exists and is not a socket"
            ),
            (sink + "path = \"/tmp/\(String(repeating: "x", count: 120))\"", "sink[0].path = \"/tmp/xxx"),
            (source + "path = \"\(socket)\"\nmode = \"0778\"\n", "source.mode = \"0778\" is not allowed"),
            (
                source + "path = \"\(socket)\"\ngroup = \"no-such-group-gs\"",
                "source.group = \"no-such-group-gs\" is no group"
            ),
            (
                source + "path = \"\(regularFile)\"",
                "source.path = \"\(regularFile)\": \(regularFile) exists and is not a socket"
            ),
        ]
    }

    @Test func checkAndRunRefuseBadSocketSettingsWithStatus2() throws {
        for (body, message) in refusedCases() {
            let file = try write(body)
            for command in ["check", "run"] {
                let result = try CommandLineTool.run([command, file.path], stdin: Data(), timeout: 30)
                #expect(result.status == 2, "\(command) \(message): \(result.stderr)")
                #expect(result.stderr.contains(message), "\(command): \(result.stderr)")
                #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            }
        }
    }

    @Test func theSourceSocketGetsItsModeWhateverTheUmask() throws {
        let socket = temp.appendingPathComponent("sensors.sock").path
        let file = try write(
            "[source]\nkind = \"unix\"\nformat = \"s16le\"\nrate = 16000\npath = \"\(socket)\"\nmode = \"0620\"")
        let config = try PipelineConfig.load(file)
        _ = try PipelineValidation.validate(config)
        let source = try SourceFactory.make(config)
        let previous = umask(0o077)
        defer { umask(previous) }
        try source.open()
        let attributes = try FileManager.default.attributesOfItem(atPath: socket)
        #expect((attributes[.posixPermissions] as? Int) == 0o620)
        source.stop()
    }

    @Test func aModelWhoseNormStdIsDenormalIsRefused() throws {
        let url = temp.appendingPathComponent("tiny-std.safetensors")
        let input = 3
        let tensors: [(String, Tensor)] = [
            ("gru.weight_ih_l0", Tensor(shape: [12, input], scalars: Array(repeating: 0.1, count: 12 * input))),
            ("gru.weight_hh_l0", Tensor(shape: [12, 4], scalars: Array(repeating: 0.1, count: 48))),
            ("gru.bias_ih_l0", Tensor(shape: [12], scalars: Array(repeating: 0, count: 12))),
            ("gru.bias_hh_l0", Tensor(shape: [12], scalars: Array(repeating: 0, count: 12))),
            ("norm.mean", Tensor(shape: [input], scalars: [0, 0, 0])),
            ("norm.std", Tensor(shape: [input], scalars: [1, 1e-45, 1])),
        ]
        try SafetensorsFile.write(tensors, metadata: [:], to: url)
        #expect {
            _ = try GRUModel.load(url)
        } throws: { error in
            "\(error)".contains("\"norm.std\"[1] is 1e-45, expected ≥ 1e-06")
        }
    }
}
