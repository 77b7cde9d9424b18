import Foundation
import GrustreamTestSupport
import Testing

/// A model file whose sizes overflow, sent to a running daemon as a reload: refused, and the daemon goes on.
@Suite("hostile model reload", .serialized)
struct HostileModelReloadTests {
    @Test func aReloadedModelWhoseShapeOverflowsIsRefusedAndTheDaemonGoesOn() throws {
        let daemon = try DaemonLifecycleTests()
        defer { try? FileManager.default.removeItem(at: daemon.temp) }
        let model = daemon.temp.appendingPathComponent("overflow.safetensors")
        let header = Array(
            #"{"gru.weight_ih_l0":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#.utf8)
        let length = UInt64(header.count)
        try Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + header).write(to: model)
        let (result, _) = try daemon.runWithReload { url in
            let text = try DaemonPipelines.fixtureText().replacingOccurrences(
                of: "\(Fixtures.directory.path)/gru/torch_l2_h128/model.safetensors", with: model.path)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("reload failed, still running the previous pipeline"), "\(result.stderr)")
        #expect(result.stderr.contains("element count overflows"), "\(result.stderr)")
        #expect(
            sameEvents(
                normalisedEvents(result.stdoutText).filter { $0.eventClass == "DETECTION" },
                try DaemonPipelines.expected.filter { $0.eventClass == "DETECTION" }))
    }
}
