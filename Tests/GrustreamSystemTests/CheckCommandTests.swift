import Foundation
import GrustreamTestSupport
import Testing

/// `grustream check`: a pipeline and its model validated together, problems named with both sides.
@Suite("check command")
struct CheckCommandTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-check-\(UUID().uuidString.prefix(8))")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    func check(_ toml: String) throws -> CommandLineTool.Result {
        let file = temp.appendingPathComponent("p.toml")
        try toml.write(to: file, atomically: true, encoding: .utf8)
        return try CommandLineTool.run(["check", file.path])
    }

    var model: String { Fixtures.url("gru/torch_l2_h128/model.safetensors").path }

    /// Every pipeline the project ships (by name, as `grustream run NAME` finds them), and one by path.
    static let shipped: [String] =
        ((try? FileManager.default.contentsOfDirectory(
            atPath: Fixtures.repositoryRoot.appendingPathComponent("pipelines").path)) ?? [])
        .filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }.sorted() + ["pipelines/demo.toml"]

    @Test func theShippedPipelinesAreAllThere() {
        for name in ["demo", "kws", "stdin-kws", "vibration-anomaly", "hey-mycroft"] {
            #expect(Self.shipped.contains(name), "\(name)")
        }
    }

    @Test(arguments: shipped)
    func shippedPipelinesAreValid(_ name: String) throws {
        let result = try CommandLineTool.run(["check", name])
        #expect(result.status == 0, "\(name): \(result.stderr)")
        #expect(result.stdoutText.contains(": ok ("))
    }

    @Test func featuresThatDoNotMatchTheModelNameBoth() throws {
        let result = try check(
            "[features]\nkind = \"mfcc\"\n[model]\npath = \"\(model)\"\nlabels = [\(Array(repeating: "\"x\"", count: 12).joined(separator: ","))]\n"
        )
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("reads 40 values per frame") && result.stderr.contains("give 13"), "\(result.stderr)"
        )
        #expect(result.stderr.contains("features.coefficients = 13"), "\(result.stderr)")
    }

    @Test func badPipelinesAreOneLineWithTheKeyPath() throws {
        let cases: [(String, String)] = [
            ("[source]\nrate = \"fast\"\n", "source.rate = \"fast\" is a string; expected an integer"),
            ("[sauce]\n", "sauce: unknown section"),
            ("[detector]\nkind = \"maybe\"\n", "detector.kind = \"maybe\" is not allowed"),
            ("[model]\n", "model.path: no model given"),
            ("[model]\npath = \"missing.safetensors\"\n", "missing.safetensors"),
            ("[features]\nkind = \"fbank\"\nmel_bins = 40\n[model]\npath = \"\(model)\"\n", "needs a label per output"),
            (
                "[source]\nrate = 8000\nformat = \"csv\"\n[features]\nkind = \"fbank\"\nmel_bins = 40\nsample_rate = 16000\n[model]\npath = \"\(model)\"\nlabels = [\(Array(repeating: "\"x\"", count: 12).joined(separator: ","))]\n",
                "source.rate = 8000"
            ),
            ("[source\n", "TOML syntax error"),
        ]
        for (toml, fragment) in cases {
            let result = try check(toml)
            #expect(result.status == 2, "\(toml): status \(result.status)")
            #expect(result.stderr.contains(fragment), "\(toml): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(toml): \(result.stderr)")
        }
    }

    @Test func printOptionsListsEveryStage() throws {
        let result = try CommandLineTool.run(["run", "--print-options"])
        #expect(result.status == 0, "\(result.stderr)")
        for key in [
            "source.kind", "features.mel_bins", "model.path", "detector.kind", "runtime.stats_interval_s",
            "model.mode (resolved)",
        ] {
            #expect(result.stdoutText.contains(key), "missing \(key)")
        }
    }
}
