import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline

/// Seeded mutations of the shipped pipeline files (byte flips, insertions of TOML punctuation, cuts, splices): the
/// parser and the decoding behind it return a value or one `PipelineConfigError` line for every one, and never trap.
@Suite("TOML mutations")
struct TOMLMutationTests {
    static let alphabet = Array("[]{}\"'=.,#\n\r\\ \tu0x_+-e:".utf8) + [0x00, 0x7F, 0xC3, 0xED, 0xFF]

    static func mutate(_ bytes: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var out = bytes
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let at = out.isEmpty ? 0 : Int.random(in: 0..<out.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where !out.isEmpty: out[at] = alphabet.randomElement(using: &random) ?? 0
            case 1:
                out.insert(
                    contentsOf: Array(
                        repeating: alphabet.randomElement(using: &random) ?? 0,
                        count: Int.random(in: 1...40, using: &random)), at: at)
            case 2 where !out.isEmpty:
                out.removeSubrange(at..<min(out.count, at + Int.random(in: 1...20, using: &random)))
            case 3 where !out.isEmpty: out = Array(out[..<at])
            default:
                let from = Int.random(in: 0..<max(1, bytes.count), using: &random)
                out.insert(contentsOf: bytes[from..<min(bytes.count, from + 30)], at: at)
            }
        }
        return out
    }

    @Test func mutatedPipelinesGiveAValueOrOneLine() throws {
        let folder = Fixtures.repositoryRoot.appendingPathComponent("pipelines")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".toml") }
            .sorted().map { [UInt8](try Data(contentsOf: folder.appendingPathComponent($0))) }
        var random = SeededGenerator(seed: 12)
        var errors = 0
        for iteration in 0..<4000 {
            let input = Self.mutate(files[iteration % files.count], &random)
            do {
                _ = try PipelineConfig.parse(input, file: URL(fileURLWithPath: "/p.toml"))
            } catch let error as PipelineConfigError {
                errors += 1
                #expect(!error.description.contains("\n"), "\(error)")
                #expect(error.description.hasPrefix("/p.toml"), "\(error)")
            }
        }
        #expect(errors > 1000)
    }

    /// The whole of `check` short of the model file and the source, as a fuzz target runs it: every mutation of a
    /// pipeline with value-level edits validates or gives one line.
    @Test func mutatedValuesThroughValidationGiveAPipelineOrOneLine() throws {
        let modelURL = Fixtures.repositoryRoot.appendingPathComponent("models/kws-demo.safetensors")
        let model = try GRUModel.load(modelURL)
        let base = Array(
            "[source]\nkind = \"stdin\"\nrate = 16000\n[features]\ncoefficients = 20\nfft_length = 512\n[detector]\nkind = \"classify\"\nsmooth_ms = 300\n"
                .utf8)
        var random = SeededGenerator(seed: 7)
        var accepted = 0
        for _ in 0..<300 {
            var input = base
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let digits = Array("0123456789e+-.9_".utf8)
                let at = Int.random(in: 0..<input.count, using: &random)
                guard (0x30...0x39).contains(input[at]) else { continue }
                input.insert(
                    contentsOf: (0..<Int.random(in: 1...12, using: &random)).map { _ in
                        digits.randomElement(using: &random) ?? 0x39
                    }, at: at)
            }
            do {
                let config = try PipelineConfig.parse(input, file: nil)
                _ = try PipelineValidation.validate(config, model: model, modelURL: modelURL)
                accepted += 1
            } catch {
                #expect(!"\(error)".contains("\n"), "\(error)")
            }
        }
        #expect(accepted > 0)
    }
}
