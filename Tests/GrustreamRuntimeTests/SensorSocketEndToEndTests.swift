import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Sensor streams through the Unix-socket source: several producers at once, each its own stream with its own
/// hidden state, must give exactly the events each recording gives alone through the file source.
@Suite("sensor socket end to end", .serialized)
struct SensorSocketEndToEndTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-sensor-\(UUID().uuidString.prefix(8))")

    init() throws {
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        try Self.writeModel(to: temp.appendingPathComponent("predictor.safetensors"))
    }

    /// A next-frame predictor for 3 raw channels: GRU 3 → 8 → linear 3, fixed pseudo-random weights.
    static func writeModel(to url: URL) throws {
        var seed: UInt64 = 42
        func random(_ count: Int, scale: Float) -> [Float] {
            (0..<count).map { _ in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return (Float(seed >> 40) / Float(1 << 24) - 0.5) * 2 * scale
            }
        }
        let tensors: [(String, Tensor)] = [
            ("gru.weight_ih_l0", Tensor(shape: [24, 3], scalars: random(72, scale: 0.5))),
            ("gru.weight_hh_l0", Tensor(shape: [24, 8], scalars: random(192, scale: 0.3))),
            ("gru.bias_ih_l0", Tensor(shape: [24], scalars: random(24, scale: 0.1))),
            ("gru.bias_hh_l0", Tensor(shape: [24], scalars: random(24, scale: 0.1))),
            ("linear.weight", Tensor(shape: [3, 8], scalars: random(24, scale: 0.5))),
            ("linear.bias", Tensor(shape: [3], scalars: random(3, scale: 0.1))),
        ]
        let metadata = #"{"task":"predict","features":{"kind":"raw","channels":3,"sample_rate":100}}"#
        try SafetensorsFile.write(tensors, metadata: ["grustream": metadata], to: url)
    }

    /// 600 frames of a smooth 3-axis signal with a burst of spikes; `phase` makes each producer's data different.
    static func csv(phase: Double) -> String {
        (0..<600).map { i in
            let t = Double(i) / 100
            var v = [sin(2 * .pi * 1.3 * t + phase), cos(2 * .pi * 0.7 * t + phase), 0.2 * sin(2 * .pi * 3 * t)]
            if i >= 300 + Int(phase * 20) && i < 330 + Int(phase * 20) { v = v.map { $0 + 8 * (i % 2 == 0 ? 1 : -1) } }
            return v.map { String(format: "%.5f", $0) }.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
    }

    func pipeline(source: String) throws -> String {
        let path = temp.appendingPathComponent("sensor-\(source.prefix(4)).toml")
        try """
        [source]
        \(source)
        format = "csv"
        rate = 100
        channels = 3
        # Producers here send 6 s of frames at once; a live source drops the oldest frames beyond its ring.
        buffer_seconds = 10
        [model]
        path = "predictor.safetensors"
        [detector]
        kind = "anomaly"
        error_mean = -6
        error_std = 1
        threshold = 3
        smooth_ms = 30
        [runtime]
        stats_interval_s = \(source.contains("unix") ? "0.1" : "0")
        """.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }

    @Test func concurrentProducersEachGetTheirOwnStateAndTheSameEventsAsAlone() throws {
        let phases = [0.0, 0.5, 1.0, 1.5]
        // Alone: each recording through the file source.
        var alone: [[NSDictionary]] = []
        for (n, phase) in phases.enumerated() {
            let file = temp.appendingPathComponent("pump-\(n).csv")
            try Self.csv(phase: phase).write(to: file, atomically: true, encoding: .utf8)
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
        #expect(waitFor { FileManager.default.fileExists(atPath: socket) }, "socket never appeared")
        let producers = DispatchGroup()
        for (n, phase) in phases.enumerated() {
            DispatchQueue.global().async(group: producers) {
                let fd = connectUnix(socket)
                guard fd >= 0 else { return }
                let bytes = Array(("stream pump-\(n)\n" + Self.csv(phase: phase)).utf8)
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
        for n in phases.indices {
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
