import Foundation
import GrustreamIO
import GrustreamTestSupport
import Synchronization
import Testing

@testable import GrustreamPipeline
@testable import GrustreamDaemon

/// A publisher that, once asked to, blocks the processing thread in `publish` until released: a stalled pipeline.
final class StallingPublisher: EventPublisher, @unchecked Sendable {
    private let stallNext = Atomic<Bool>(false)
    let blocked = Atomic<Bool>(false)
    private let gate = DispatchSemaphore(value: 0)

    func stall() { stallNext.store(true, ordering: .sequentiallyConsistent) }
    func release() { gate.signal() }

    func publish(_ line: UnsafeRawBufferPointer, kind: Event.Kind) {
        guard stallNext.exchange(false, ordering: .sequentiallyConsistent) else { return }
        blocked.store(true, ordering: .sequentiallyConsistent)
        gate.wait()
        blocked.store(false, ordering: .sequentiallyConsistent)
    }
    var clientCount: Int { 0 }
    var droppedClients: Int { 0 }
    func close() {}
}

@Suite("systemd watchdog, status and unit files")
struct SystemdWatchdogTests {
    /// The processing loop pets the watchdog; when it stalls (here: a publisher that blocks), the pets stop, so
    /// systemd's WatchdogSec= kills and restarts the service.
    @Test func aStalledProcessingThreadStopsPettingTheWatchdog() throws {
        var config = try PipelineConfig.load(Fixtures.url("pipelines/e2e-classify.toml"))
        var job = PipelineLaunch()
        job.realtime = true  // paced: the run lasts the recording's 6 s unless stopped
        job.scores = true  // a SCORES line per frame: publish is called at every frame
        try job.apply(to: &config)
        let resolved = try ResolvedPipeline(config: config)
        let notify = try NotifyRecorder()
        let publisher = StallingPublisher()
        let runner = PipelineRunner(
            pipeline: resolved, source: try SourceFactory.make(resolved.config), publishers: [publisher],
            notifier: SystemdNotifier(environment: ["NOTIFY_SOCKET": notify.name]),
            logger: try StderrLogHandler.logger(level: "error"), watchdogInterval: 0.2)
        let finished = DispatchSemaphore(value: 0)
        Thread {
            try? runner.run()
            finished.signal()
        }.start()
        defer {
            publisher.release()
            runner.requestStop()
            finished.wait()
            notify.stop()
        }
        let ready = try #require(notify.wait { $0.hasPrefix("READY=1") }, "no READY=1")
        usleep(600_000)
        let petsWhileRunning = notify.all[ready...].filter { $0.text == "WATCHDOG=1" }.count
        #expect(petsWhileRunning >= 3, "WATCHDOG=1 every 80 ms for WatchdogSec=0.2 s: \(petsWhileRunning) in 0.6 s")

        publisher.stall()
        #expect(
            waitFor(seconds: 2) { publisher.blocked.load(ordering: .sequentiallyConsistent) },
            "the pipeline never published")
        let stalledAt = notify.all.count
        usleep(1_000_000)
        let petsWhileStalled = notify.all[stalledAt...].filter { $0.text == "WATCHDOG=1" }.count
        #expect(petsWhileStalled == 0, "a stalled pipeline must not pet the watchdog (\(petsWhileStalled) pets in 1 s)")

        let releasedAt = notify.all.count
        publisher.release()
        #expect(
            notify.wait(seconds: 1, after: releasedAt) { $0 == "WATCHDOG=1" } != nil, "pets resume once it runs again")
    }

    @Test func statusLineSummarisesRateClientsLastEventAndProblem() {
        let status = StatusReporter(interval: .seconds(1))
        let start = MonotonicClock.nanoseconds()
        #expect(!status.due(now: start, frames: 0))
        #expect(status.due(now: start + 2_000_000_000, frames: 200))
        #expect(status.line(pipeline: "kws", clients: 1, lastEvent: nil) == "kws: 100 frames/s, 1 client, no event yet")
        let now = MonotonicClock.nanoseconds()
        #expect(
            status.line(pipeline: "kws", clients: 2, lastEvent: ("yes", 12.5), now: now)
                == "kws: 100 frames/s, 2 clients, last event yes 0 s ago")
        status.problem = "reload failed: kws.toml: bad"
        #expect(
            status.line(pipeline: "kws", clients: 2, lastEvent: ("yes", 12.5), now: now + 3_000_000_000)
                == "kws: 100 frames/s, 2 clients, last event yes 3 s ago; reload failed: kws.toml: bad")
    }

    /// `systemd-analyze verify` prints nothing for the units (with the executable at an installed path, as
    /// scripts/install writes them), and `security --offline` scores the service ≤ 1.5.
    @Test func unitFilesVerifyCleanAndTheServiceScoresAtMost1_5() throws {
        let analyze = try #require(
            ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first {
                FileManager.default.isExecutableFile(atPath: $0)
            },
            "systemd-analyze is missing: install Debian's systemd package to run this test")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "grustream-units-\(UUID().uuidString)")
        let prefix = folder.appendingPathComponent("prefix")
        try FileManager.default.createDirectory(
            at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(
            at: prefix.appendingPathComponent("bin/grustream"), withDestinationURL: CommandLineTool.executable)
        var instances: [String] = []
        for unit in [
            "grustream@.service", "grustream@.socket", "grustream-mqtt@.service", "grustream-wyoming.service",
            "grustream-wyoming.socket",
        ] {
            let text = try String(
                contentsOf: Fixtures.repositoryRoot.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
            try text.replacingOccurrences(of: "/usr/local", with: prefix.path)
                .write(to: folder.appendingPathComponent(unit), atomically: true, encoding: .utf8)
            instances.append(folder.appendingPathComponent(unit.replacingOccurrences(of: "@.", with: "@kws.")).path)
        }
        func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: analyze)
            process.arguments = arguments
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, o, e)
        }
        let verify = try run(["verify", "--man=no"] + instances)
        #expect(verify.status == 0 && verify.err.isEmpty && verify.out.isEmpty, "\(verify.out)\(verify.err)")
        for service in [instances[0], instances[3]] {
            let security = try run(["security", "--offline=yes", service])
            let line =
                (security.out + security.err).split(separator: "\n").first { $0.contains("Overall exposure level") }
                ?? ""
            let score = line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }
            let value = try #require(score, "no score in: \(security.out)\(security.err)")
            #expect(value <= 1.5, "\(service): \(line)")
        }
    }
}
