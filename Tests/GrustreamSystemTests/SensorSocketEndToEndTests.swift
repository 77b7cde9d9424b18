import Foundation
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Sensor streams through the Unix-socket source: several producers at once, each its own stream with its own
/// hidden state, must give exactly the events each recording gives alone through the file source.
@Suite("sensor socket end to end", .serialized)
struct SensorSocketEndToEndTests {
    let temp: URL

    init() throws { temp = try SensorFixture.folder(prefix: "gs-sensor") }

    /// Producers here send 6 s of frames at once; a live source drops the oldest frames beyond its ring.
    func pipeline(source: String) throws -> String {
        try SensorFixture.writePipeline(
            "sensor-\(source.prefix(4)).toml", in: temp, source: source + "\nbuffer_seconds = 10",
            detector: "threshold = 3\nsmooth_ms = 30",
            runtime: "stats_interval_s = \(source.contains("unix") ? "0.1" : "0")")
    }

    @Test func concurrentProducersEachGetTheirOwnStateAndTheSameEventsAsAlone() throws {
        let phases = [0.0, 0.5, 1.0, 1.5]
        // Alone: each recording through the file source.
        var alone: [[NSDictionary]] = []
        for (n, phase) in phases.enumerated() {
            let file = temp.appendingPathComponent("pump-\(n).csv")
            try SensorFixture.csv(phase: phase).write(to: file, atomically: true, encoding: .utf8)
            let result = try CommandLineTool.run([
                "run", try pipeline(source: "kind = \"file\"\npath = \"pump-\(n).csv\""), "--log-level", "error",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            alone.append(normalisedEvents(result.stdoutText).filter { ($0["class"] as? String) == "ANOMALY" })
            #expect(alone[n].count >= 1, "the burst in pump-\(n) should be an anomaly: \(result.stdoutText)")
        }
        // Together: four producers on the socket at once, in random chunk sizes.
        let socket = temp.appendingPathComponent("sensors.sock").path
        let daemon = try SpawnedTool([
            "run", try pipeline(source: "kind = \"unix\"\npath = \"sensors.sock\""), "--log-level", "error",
        ])
        #expect(waitFor { acceptsConnections(socket) }, "socket never accepted a connection")
        let producers = DispatchGroup()
        for (n, phase) in phases.enumerated() {
            DispatchQueue.global().async(group: producers) {
                let fd = connectUnix(socket)
                guard fd >= 0 else { return }
                let bytes = Array(("stream pump-\(n)\n" + SensorFixture.csv(phase: phase)).utf8)
                var offset = 0
                var generator = SystemRandomNumberGenerator()
                while offset < bytes.count {
                    let size = min(Int.random(in: 1...700, using: &generator), bytes.count - offset)
                    _ = bytes[offset..<(offset + size)].withUnsafeBytes {
                        send(fd, $0.baseAddress, size, Int32(MSG_NOSIGNAL))
                    }
                    offset += size
                    usleep(UInt32.random(in: 0...200, using: &generator))
                }
                close(fd)
            }
        }
        #expect(producers.wait(timeout: .now() + 60) == .success)
        // Every frame read and processed: a periodic STATS line counts them all.
        let all = daemon.waitForOutput { text in text.contains("\"frames\":\(600 * phases.count),") }
        #expect(all, "not every frame arrived: \(daemon.outputSoFar.split(separator: "\n").last ?? "")")
        daemon.signal(SIGTERM)
        let result = daemon.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let events = normalisedEvents(result.stdoutText)
        expectEachStreamAsAlone(events, alone: alone)
        let stats = events.last { ($0["class"] as? String) == "STATS" }
        #expect((stats?["frames"] as? Int) == 600 * phases.count, "\(String(describing: stats))")
    }
}

/// A connected Unix stream socket, or -1.
func connectUnix(_ path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    if rc != 0 { close(fd); return -1 }
    return fd
}

/// The `ANOMALY` events of every stream `pump-N` among `events` equal `alone[N]`, that recording's events when it
/// ran alone through the file source (renamed to the stream).
func expectEachStreamAsAlone(_ events: [NSDictionary], alone: [[NSDictionary]]) {
    for n in alone.indices {
        let mine = events.filter {
            ($0["stream"] as? String) == "pump-\(n)" && ($0["class"] as? String) == "ANOMALY"
        }
        let expected = alone[n].map { event -> NSDictionary in
            var copy = event as! [String: Any]
            copy["stream"] = "pump-\(n)"
            return copy as NSDictionary
        }
        #expect(sameEvents(mine, expected), "pump-\(n): \(mine) vs alone \(expected)")
    }
}
