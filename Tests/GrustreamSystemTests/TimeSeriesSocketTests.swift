import Foundation
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Live producers' timestamps (JSON Lines `"t"`) reach their own stream's `SCORES` rows, through the socket
/// source's rings and the multi-stream GRU batch.
@Suite("time-series socket input", .serialized)
struct TimeSeriesSocketTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-tss-\(UUID().uuidString.prefix(8))")

    @Test func eachProducersRowsKeepTheirTimestamps() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        try SensorFixture.writeModel(to: temp.appendingPathComponent("predictor.safetensors"))
        let pipeline = try SensorFixture.writePipeline(
            "socket.toml", in: temp, source: "kind = \"unix\"\npath = \"sensors.sock\"\nbuffer_seconds = 10",
            format: "jsonl", detector: "scores = true", runtime: "stats_interval_s = 0.1")
        let socket = temp.appendingPathComponent("sensors.sock").path
        let daemon = try SpawnedTool(["run", pipeline, "--log-level", "error"])
        #expect(waitFor { acceptsConnections(socket) }, "socket never accepted a connection")
        let rows = 300
        // Producer n: rows 10 s + n ms apart, irregularly (every 5th row 3 s later), as RFC 3339 strings.
        @Sendable func stamp(_ producer: Int, _ row: Int) -> Double {
            1_404_172_800 + Double(row * (10 + producer)) + (row % 5 == 0 ? 3 : 0)
        }
        let producers = DispatchGroup()
        for n in 0..<2 {
            DispatchQueue.global().async(group: producers) {
                let fd = connectUnix(socket)
                guard fd >= 0 else { return }
                let formatter = ISO8601DateFormatter()
                var text = "stream probe-\(n)\n"
                for row in 0..<rows {
                    let t = formatter.string(from: Date(timeIntervalSince1970: stamp(n, row)))
                    text += "{\"t\":\"\(t)\",\"v\":[\(sin(Double(row) / 9)),\(n),0.5]}\n"
                }
                let bytes = Array(text.utf8)
                var offset = 0
                while offset < bytes.count {
                    let size = min(997, bytes.count - offset)
                    _ = bytes[offset..<(offset + size)].withUnsafeBytes {
                        send(fd, $0.baseAddress, size, Int32(MSG_NOSIGNAL))
                    }
                    offset += size
                    usleep(200)
                }
                close(fd)
            }
        }
        #expect(producers.wait(timeout: .now() + 60) == .success)
        let all = daemon.waitForOutput { $0.contains("\"frames\":\(2 * rows),") }
        #expect(all, "not every frame arrived")
        daemon.signal(SIGTERM)
        let result = daemon.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let scores = normalisedEvents(result.stdoutText).filter { ($0["class"] as? String) == "SCORES" }
        #expect(scores.count == 2 * rows)
        for row in scores {
            guard let name = row["stream"] as? String, let n = Int(name.dropFirst("probe-".count)),
                let frame = row["frame"] as? Int
            else {
                Issue.record("unexpected SCORES row \(row)")
                continue
            }
            #expect(row["ts"] as? Double == stamp(n, frame), "\(row)")
        }
    }
}
