import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

@Suite("npy files")
struct NPYFileTests {
    @Test func roundTripsFloat32() throws {
        let tensor = Tensor(shape: [3, 2], scalars: [1, -2, 3.5, .pi, 0, -0.25])
        let decoded = try NPYFile.decode(NPYFile.encode(tensor), name: "memory")
        #expect(decoded == tensor)
    }

    @Test func refusesTruncatedData() throws {
        var data = NPYFile.encode(Tensor(shape: [4], scalars: [1, 2, 3, 4]))
        data.removeLast(3)
        #expect(throws: TensorFileError.self) { try NPYFile.decode(data, name: "cut.npy") }
    }

    @Test func refusesGarbage() {
        #expect(throws: TensorFileError.self) { try NPYFile.decode(Data("hello world".utf8), name: "x.npy") }
    }
}
