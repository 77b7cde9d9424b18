import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// Sizes read from safetensors and `.npy` files are checked with overflow-reporting arithmetic against the bytes
/// that exist: a hostile file is a one-line error, never a trap or a huge allocation.
@Suite("hostile tensor files")
struct HostileTensorFileTests {
    static func tensorEntry(_ shape: String, dtype: String = "F32", offsets: String = "[0, 0]") -> String {
        #"{"t":{"dtype":""# + dtype + #"","shape":"# + shape + #","data_offsets":"# + offsets + "}}"
    }

    @Test func shapeProductsThatOverflowAreRefused() {
        for shape in [
            "[4611686018427387904, 4]", "[3037000500, 3037000500]", "[2305843009213693952]",
            "[0, 4611686018427387904, 4611686018427387904]", "[4611686018427387904, 4, 0]",
        ] {
            expectMessage(TensorFileError.self, containing: #""t""#) {
                _ = try SafetensorsFile(data: safetensorsBytes(header: Self.tensorEntry(shape), data: []), name: "m")
            }
        }
        expectMessage(TensorFileError.self, containing: "is F64 [1152921504606846976, 2] (more than") {
            let header = Self.tensorEntry("[1152921504606846976, 2]", dtype: "F64", offsets: "[0, 16]")
            _ = try SafetensorsFile(
                data: safetensorsBytes(header: header, data: Array(repeating: 0, count: 16)), name: "m")
        }
    }

    @Test func zeroSizedTensorsWithSaneShapesStillLoad() throws {
        let file = try SafetensorsFile(
            data: safetensorsBytes(header: Self.tensorEntry("[0, 1000000]"), data: []), name: "m")
        #expect(try file.tensor("t").shape == [0, 1_000_000])
    }

    @Test func aModelWhoseShapeOverflowsIsAModelLoadError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("overflow-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        let header = Self.tensorEntry("[4611686018427387904, 4]").replacingOccurrences(
            of: #""t""#, with: #""gru.weight_ih_l0""#)
        try safetensorsBytes(header: header, data: []).write(to: url)
        expectMessage(
            ModelLoadError.self,
            containing: #""gru.weight_ih_l0" has shape [4611686018427387904, 4], whose element count overflows"#
        ) {
            _ = try GRUModel.load(url)
        }
    }

    @Test func aTextFileIsNotASafetensorsFileAndTheMessageSaysWhy() throws {
        let text = Data("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n".utf8)
        expectMessage(
            TensorFileError.self,
            containing:
                #"passwd: not a safetensors file, or a truncated one: its first 8 bytes ("root:x:0") give a "#
                + "header length of"
        ) {
            _ = try SafetensorsFile(data: text, name: "passwd")
        }
        expectMessage(TensorFileError.self, containing: "bytes, but only \(text.count - 8) bytes follow") {
            _ = try SafetensorsFile(data: text, name: "passwd")
        }
        expectMessage(TensorFileError.self, containing: "first 8 bytes (ff ff ff ff ff ff ff 7f) give") {
            _ = try SafetensorsFile(data: Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x7B]), name: "m")
        }
    }

    @Test func headersLargerThanTheLimitAreRefusedBeforeParsing() {
        let length = UInt64(SafetensorsFile.maximumHeaderBytes + 1)
        var data = Data(count: 8 + Int(length))
        for i in 0..<8 { data[i] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(i))) }
        data[8] = UInt8(ascii: "{")
        expectMessage(
            TensorFileError.self, containing: "header of 100000001 bytes is larger than the 100000000-byte limit"
        ) {
            _ = try SafetensorsFile(data: data, name: "m")
        }
    }

    @Test func deepOrHugeJSONInTheHeaderIsAnError() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        for shape in [deep, "[1e400]"] {
            expectMessage(TensorFileError.self, containing: "header is not a JSON object") {
                _ = try SafetensorsFile(data: safetensorsBytes(header: Self.tensorEntry(shape), data: []), name: "m")
            }
        }
        for number in ["-1", "1.5", "18446744073709551616", "true", "\"3\"", "null"] {
            expectMessage(TensorFileError.self, containing: "malformed shape") {
                let header = Self.tensorEntry("[" + number + "]")
                _ = try SafetensorsFile(data: safetensorsBytes(header: header, data: []), name: "m")
            }
        }
        expectMessage(TensorFileError.self, containing: "malformed data_offsets") {
            let header = Self.tensorEntry("[1]", offsets: "[0, 1e300]")
            _ = try SafetensorsFile(data: safetensorsBytes(header: header, data: []), name: "m")
        }
    }

    @Test func npyShapeProductsThatOverflowAreRefused() {
        for shape in [
            "(4611686018427387904, 4)", "(0, 4611686018427387904, 4611686018427387904)", "(2305843009213693952,)",
        ] {
            expectMessage(TensorFileError.self, containing: "x.npy: ") {
                _ = try NPYFile.decode(Self.npy(shape: shape, data: []), name: "x.npy")
            }
        }
        expectMessage(TensorFileError.self, containing: "has more elements than can be addressed") {
            _ = try NPYFile.decode(Self.npy(shape: "(4611686018427387904, 4)", data: []), name: "x.npy")
        }
        expectMessage(TensorFileError.self, containing: "expected more than") {
            _ = try NPYFile.decode(Self.npy(shape: "(2305843009213693952,)", data: []), name: "x.npy")
        }
    }

    @Test func npyHeaderLengthsPastTheEndAreRefused() {
        var bytes = [UInt8](Self.npy(shape: "(1,)", data: [0, 0, 0, 0]))
        bytes[6] = 2
        bytes.insert(contentsOf: [0, 0], at: 10)
        bytes[8] = 0xFF
        bytes[9] = 0xFF
        bytes[10] = 0xFF
        bytes[11] = 0xFF
        expectMessage(TensorFileError.self, containing: "runs past the end of the file") {
            _ = try NPYFile.decode(Data(bytes), name: "x.npy")
        }
    }

    /// Random byte changes to a real model file: each load is a model or an error (a trap fails the whole run).
    @Test func mutatedModelFilesLoadOrFailCleanly() throws {
        let original = try Data(contentsOf: Fixtures.url("gru/torch_l1_h8/model.safetensors"))
        var generator = SeededGenerator(seed: 12)
        var failures = 0
        for _ in 0..<1500 {
            var bytes = [UInt8](original)
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<min(bytes.count, 400), using: &generator)
                bytes[index] = [
                    0x30, 0x39, 0x2D, 0x2C, 0x5B, 0x5D, 0x65, 0xFF, UInt8.random(in: 0...255, using: &generator),
                ]
                .randomElement(using: &generator)!
            }
            do {
                _ = try GRUModel(file: SafetensorsFile(data: Data(bytes), name: "m"))
            } catch let error as ModelLoadError {
                #expect(!error.description.contains("\n"))
                failures += 1
            } catch let error as TensorFileError {
                #expect(!error.description.contains("\n"))
                failures += 1
            }
        }
        #expect(failures > 500)
    }

    static func npy(shape: String, data: [UInt8]) -> Data {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let length = header.utf8.count
        return Data(
            [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + data)
    }
}
