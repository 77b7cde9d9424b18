import Foundation
import GrustreamNeural
import GrustreamPipeline
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `[runtime] state_file` with a Unix-socket source: only producers that name their stream are saved and restored;
/// per-connection `PATH#N` names are never persisted (they would grow the file with every connection, and the next
/// run would give `#1`'s state to whichever producer connects first).
@Suite("state file naming", .serialized)
struct StateFileNamingTests {
    let temp: URL

    init() throws { temp = try SensorFixture.folder(prefix: "gs-naming") }

    var statePath: String { temp.appendingPathComponent("sensors.state").path }
    var socketPath: String { temp.appendingPathComponent("sensors.sock").path }

    func pipeline() throws -> String {
        try SensorFixture.writePipeline(
            "sensors.toml", in: temp, source: "kind = \"unix\"\npath = \"sensors.sock\"", detector: "threshold = 3",
            runtime: "stats_interval_s = 0.1\nstate_file = \"\(statePath)\"")
    }

    /// One producer: connect, optionally name the stream, send `frames` CSV frames, close.
    func produce(name: String?, frames: Int) {
        // A loaded machine can refuse a connect while the daemon's accept backlog is full: retry for up to 10 s,
        // and fail here (not later in a frame-count wait that times out) when it never connects.
        var fd = connectUnix(socketPath)
        let deadline = Date().addingTimeInterval(10)
        while fd < 0 && Date() < deadline {
            usleep(20_000)
            fd = connectUnix(socketPath)
        }
        guard fd >= 0 else {
            Issue.record("producer \(name ?? "anonymous") could not connect to \(socketPath): errno \(errno)")
            return
        }
        let lines = SensorFixture.csv(phase: 0.3).split(separator: "\n").prefix(frames)
        let bytes = Array(((name.map { "stream \($0)\n" } ?? "") + lines.joined(separator: "\n") + "\n").utf8)
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        #expect(sent == bytes.count, "producer \(name ?? "anonymous") sent \(sent) of \(bytes.count) bytes")
        close(fd)
    }

    /// Start the daemon, run `producers`, wait until `frames` frames were processed, stop it.
    func runDaemon(frames: Int, _ producers: () -> Void) throws -> CommandLineTool.Result {
        let daemon = try SpawnedTool(["run", try pipeline(), "--log-level", "notice"])
        #expect(waitFor { acceptsConnections(socketPath) }, "socket never accepted a connection")
        producers()
        let all = daemon.waitForOutput { $0.contains("\"frames\":\(frames),") }
        #expect(all, "not every frame arrived: \(daemon.outputSoFar.split(separator: "\n").last ?? "")")
        daemon.signal(SIGTERM)
        let result = daemon.finish()
        #expect(result.status == 0, "\(result.stderr)")
        return result
    }

    @Test func onlyNamedProducersAreSavedAndRestored() throws {
        let anonymous = 40
        _ = try runDaemon(frames: (anonymous + 2) * 20) {
            for _ in 0..<anonymous { produce(name: nil, frames: 20) }
            produce(name: "pump-a", frames: 20)
            produce(name: "pump-b", frames: 20)
        }
        #expect(try StateFile.read(URL(fileURLWithPath: statePath)).streams.map(\.stream) == ["pump-a", "pump-b"])

        // The next run: an anonymous producer connecting first (it is `#1` again) starts cold; pump-a is restored.
        let second = try runDaemon(frames: 40) {
            produce(name: nil, frames: 20)
            produce(name: "pump-a", frames: 20)
        }
        #expect(second.stderr.contains("pump-a: hidden and detector state restored"), "\(second.stderr)")
        #expect(!second.stderr.contains("#1: hidden and detector state restored"), "\(second.stderr)")
        #expect(second.stderr.contains("saved state of 2 stream(s)"), "\(second.stderr)")
        #expect(try StateFile.read(URL(fileURLWithPath: statePath)).streams.map(\.stream) == ["pump-a", "pump-b"])
    }
}
