import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

/// A safetensors file from a header JSON text and a data buffer, for malformed-file tests.
func safetensorsBytes(header: String, data: [UInt8], declaredLength: UInt64? = nil) -> Data {
    let h = Array(header.utf8)
    let length = declaredLength ?? UInt64(h.count)
    return Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + h + data)
}

/// Expect `body` to throw an error whose description contains `fragment`, and show the message.
func expectMessage<E: Error & CustomStringConvertible>(
    _ type: E.Type, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record(
            "expected \(E.self) containing \"\(fragment)\", nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as E {
        #expect(error.description.contains(fragment), "message: \(error.description)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), "one line: \(error.description)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(E.self), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("safetensors files")
struct SafetensorsFileTests {
    @Test func roundTrips() throws {
        let a = Tensor(shape: [2, 3], scalars: [1, -2, 3.5, .pi, 0, -0.25])
        let b = Tensor(shape: [4], scalars: [5, 6, 7, 8])
        let data = SafetensorsFile.encode([("a", a), ("b.weight", b)], metadata: ["grustream": "{\"task\":\"x\"}"])
        #expect((data.count - 8 - 24 - 16) % 8 == 0)
        let file = try SafetensorsFile(data: data, name: "memory")
        #expect(file.tensorNames == ["a", "b.weight"])
        #expect(try file.tensor("a") == a)
        #expect(try file.tensor("b.weight") == b)
        #expect(file.info("a")?.dtype == "F32" && file.info("a")?.shape == [2, 3])
        #expect(file.metadata == ["grustream": "{\"task\":\"x\"}"])
        #expect(file.info("missing") == nil)
    }

    @Test func writesFilesThePythonLibraryReads() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("grustream-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try SafetensorsFile.write([("x", Tensor(shape: [1], scalars: [2]))], metadata: [:], to: url)
        #expect(try SafetensorsFile(contentsOf: url).tensor("x").scalars == [2])
        // The golden models were written by safetensors.torch and read back here.
        #expect(
            try SafetensorsFile(contentsOf: Fixtures.url("gru/torch_l1_h8/model.safetensors")).tensorNames.count == 6)
    }

    @Test("F32, F16, BF16, F64 and I64 are converted to Float")
    func convertsDtypes() throws {
        let file = try SafetensorsFile(contentsOf: Fixtures.url("gru/dtypes.safetensors"))
        let expected = try Fixtures.tensor("gru/dtypes_expected.npy")
        #expect(file.metadata["note"] == "dtype test")
        for (i, name) in ["f32", "f16", "bf16", "f64", "i64"].enumerated() {
            let t = try file.tensor(name)
            #expect(t.shape == [2, 4])
            #expect(
                t.scalars == Array(expected.scalars[(i * 8)..<((i + 1) * 8)]), "\(name) (\(file.info(name)!.dtype))")
        }
    }

    @Test func refusesTruncatedFile() throws {
        var data = try Data(contentsOf: Fixtures.url("gru/torch_l1_h8/model.safetensors"))
        data.removeLast(10)
        expectMessage(TensorFileError.self, containing: "lie outside the") {
            _ = try SafetensorsFile(data: data, name: "cut.safetensors")
        }
        expectMessage(TensorFileError.self, containing: "too short") {
            _ = try SafetensorsFile(data: Data([1, 0, 0]), name: "tiny.safetensors")
        }
    }

    @Test func refusesHeaderLengthBeyondTheFile() {
        let data = safetensorsBytes(header: "{}", data: [], declaredLength: 1000)
        expectMessage(TensorFileError.self, containing: "header length of 1000 bytes, but only 2 bytes follow") {
            _ = try SafetensorsFile(data: data, name: "long.safetensors")
        }
        expectMessage(TensorFileError.self, containing: "not a JSON object") {
            _ = try SafetensorsFile(data: safetensorsBytes(header: "[1, 2]", data: []), name: "list.safetensors")
        }
    }

    @Test func refusesOverlappingOffsets() {
        let header =
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        expectMessage(TensorFileError.self, containing: "overlap") {
            _ = try SafetensorsFile(
                data: safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 12)), name: "o")
        }
    }

    @Test func refusesOutOfRangeOffsets() {
        let header = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        expectMessage(TensorFileError.self, containing: "\"a\" data_offsets [0, 16] lie outside the 8-byte data buffer")
        {
            _ = try SafetensorsFile(
                data: safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 8)), name: "r")
        }
        let reversed = #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#
        expectMessage(TensorFileError.self, containing: "malformed data_offsets") {
            _ = try SafetensorsFile(
                data: safetensorsBytes(header: reversed, data: [UInt8](repeating: 0, count: 8)), name: "r")
        }
    }

    @Test func refusesByteCountMismatch() {
        let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        expectMessage(TensorFileError.self, containing: "is F32 [3] (12 bytes) but data_offsets [0, 8] hold 8 bytes") {
            _ = try SafetensorsFile(
                data: safetensorsBytes(header: header, data: [UInt8](repeating: 0, count: 8)), name: "m")
        }
    }

    @Test func refusesUnknownDtype() {
        let header = #"{"a":{"dtype":"Q4","shape":[2],"data_offsets":[0,1]}}"#
        expectMessage(TensorFileError.self, containing: "\"a\" has unknown dtype \"Q4\"") {
            _ = try SafetensorsFile(data: safetensorsBytes(header: header, data: [0]), name: "q")
        }
    }
}
