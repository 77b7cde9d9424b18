import Foundation
import Glibc
import GrustreamDaemon
import GrustreamPipeline
import GrustreamTestSupport
import Testing

/// The bundled live pipelines run for an ordinary user: their sockets go to the user's runtime directory, `subscribe
/// NAME` finds them there, `--socket none` turns the events socket off, and `subscribe --scores` gets `SCORES` from a
/// pipeline that does not publish them itself. The command-line tests run the binary as an unprivileged user
/// (uid 65534 through setpriv when the tests run as root, else the current user).
@Suite("sockets of an ordinary user")
struct UserSocketTests {
    @Test func theLocationComesFromTheEnvironment() {
        #expect(
            SocketLocation.current(
                environment: ["RUNTIME_DIRECTORY": "/run/grustream", "XDG_RUNTIME_DIR": "/run/user/5"], userID: 5
            )
            .directory == "/run/grustream")
        #expect(
            SocketLocation.current(environment: ["RUNTIME_DIRECTORY": "/run/a:/run/b"], userID: 5).directory
                == "/run/a")
        #expect(
            SocketLocation.current(environment: ["XDG_RUNTIME_DIR": "/run/user/1000/"], userID: 1000).directory
                == "/run/user/1000/grustream")
        #expect(SocketLocation.current(environment: ["XDG_RUNTIME_DIR": ""], userID: 0).directory == "/run/grustream")
        let fallback = SocketLocation.current(environment: ["XDG_RUNTIME_DIR": "relative"], userID: 1000)
        #expect(fallback == SocketLocation(directory: "/tmp/grustream-1000", isSharedTemporary: true))
        #expect(fallback.eventSocket("kws") == "/tmp/grustream-1000/kws.sock")
        #expect(fallback.inputSocket("vibration-anomaly") == "/tmp/grustream-1000/vibration-anomaly-input.sock")
    }

    @Test func subscribeFindsTheUsersSocketThenTheServices() {
        let location = SocketLocation(directory: "/run/user/7/grustream")
        #expect(location.subscribePath("kws") { _ in false } == "/run/user/7/grustream/kws.sock")
        #expect(location.subscribePath("kws") { $0 == "/run/grustream/kws.sock" } == "/run/grustream/kws.sock")
        #expect(location.subscribePath("kws") { _ in true } == "/run/user/7/grustream/kws.sock")
        #expect(EventSubscriber.socketPath(for: "/x/kws.sock", location: location) == "/x/kws.sock")
        #expect(EventSubscriber.socketPath(for: "here.sock", location: location) == "here.sock")
        #expect(EventSubscriber.socketPath(for: nil, location: location).hasSuffix("/demo.sock"))
    }

    @Test func aSharedTemporaryDirectoryOthersMayWriteIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let shared = directory.file("open")
        #expect(mkdir(shared, 0o700) == 0)
        #expect(chmod(shared, 0o777) == 0)
        #expect(throws: PipelineConfigError.self) {
            try SocketLocation(directory: shared, isSharedTemporary: true).prepare()
        }
        let own = directory.file("own")
        try SocketLocation(directory: own, isSharedTemporary: true).prepare()
        var info = stat()
        #expect(lstat(own, &info) == 0 && info.st_mode & 0o777 == 0o700)
    }

    @Test func heyMycroftRunsForAUserAndSubscribeGetsItsScores() throws {
        let user = UnprivilegedUser()
        let runtime = try user.runtimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        let environment = ["XDG_RUNTIME_DIR": runtime, "RUNTIME_DIRECTORY": ""]
        let socket = runtime + "/grustream/hey-mycroft.sock"
        let run = try SpawnedTool(
            ["run", "hey-mycroft", "--source", "-", "--format", "wav", "--log-level", "error"],
            environment: environment, launcher: user.launcher)
        #expect(waitFor { listening(socket) }, "socket never accepted a connection")
        let subscriber = try SpawnedTool(
            ["subscribe", "hey-mycroft", "--scores"], environment: environment, launcher: user.launcher)
        #expect(subscriber.waitForOutput { $0.contains("\"VERSION\"") })
        // The subscriber sent its WATCH line before it printed VERSION; the socket loop has read it by the time it
        // greets a later connection (it reads every ready client each pass), so the first frame finds the watcher.
        let probe = try TestClient(path: socket)
        #expect(probe.readLine(timeout: 10)?.contains("\"VERSION\"") == true)
        run.write(try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("samples/hey-mycroft-demo.wav")))
        let result = run.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let received = subscriber.finish()
        #expect(received.status == 0, "\(received.stderr)")
        let printed = result.stdoutText.split(separator: "\n").map { parse($0) }
        let events = received.stdoutText.split(separator: "\n").map { parse($0) }
        let scores = events.filter { $0["class"] as? String == "SCORES" }
        let frames = printed.last?["frames"] as? Int
        #expect(
            frames != nil && scores.count == frames,
            "one SCORES per frame: \(scores.count) of \(String(describing: frames))")
        #expect(scores.allSatisfy { $0["raw"] is Double && $0["decoded"] is Double && $0["scores"] == nil })
        #expect(scores.contains { ($0["raw"] as? Double ?? 0) > 0.9 })
        // stdout keeps the pipeline's own setting (no scores); the detections are the same on both.
        #expect(!printed.contains { $0["class"] as? String == "SCORES" })
        let detections = printed.filter { $0["class"] as? String == "DETECTION" }.map { $0["end"] as? Double }
        #expect(!detections.isEmpty)
        #expect(events.filter { $0["class"] as? String == "DETECTION" }.map { $0["end"] as? Double } == detections)
    }

    @Test func vibrationAnomalyRunsForAUserWithoutXDGRuntimeDir() throws {
        let user = UnprivilegedUser()
        let folder = "/tmp/grustream-\(user.uid)"
        let environment = ["XDG_RUNTIME_DIR": "", "RUNTIME_DIRECTORY": ""]
        let run = try SpawnedTool(
            ["run", "vibration-anomaly", "--log-level", "error"], environment: environment, launcher: user.launcher)
        let sockets = [folder + "/vibration-anomaly.sock", folder + "/vibration-anomaly-input.sock"]
        #expect(waitFor { sockets.allSatisfy(listening) }, "sockets never accepted a connection")
        let subscriber = try SpawnedTool(
            ["subscribe", "vibration-anomaly"], environment: environment, launcher: user.launcher)
        #expect(subscriber.waitForOutput { $0.contains("\"VERSION\"") })
        run.signal(SIGTERM)
        let result = run.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(subscriber.finish().stdoutText.contains("\"STATS\""))
        var info = stat()
        #expect(lstat(folder, &info) == 0 && info.st_uid == user.uid && info.st_mode & 0o777 == 0o700)
        #expect(!sockets.contains { FileManager.default.fileExists(atPath: $0) }, "sockets removed at exit")
    }

    @Test func socketNoneTurnsTheEventsSocketOff() throws {
        let user = UnprivilegedUser()
        let runtime = try user.runtimeDirectory()
        defer { try? FileManager.default.removeItem(atPath: runtime) }
        let run = try SpawnedTool(
            ["run", "kws", "--source", "-", "--format", "wav", "--socket", "none", "--log-level", "error"],
            environment: ["XDG_RUNTIME_DIR": runtime, "RUNTIME_DIRECTORY": ""], launcher: user.launcher)
        run.write(try Data(contentsOf: Fixtures.repositoryRoot.appendingPathComponent("samples/yes-no-up-down.wav")))
        let result = run.finish()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("\"STATS\""))
        #expect(!FileManager.default.fileExists(atPath: runtime + "/grustream"), "no socket, no socket directory")
    }

    /// The socket file exists from bind(); it accepts connections from listen() on, a moment later.
    private func listening(_ path: String) -> Bool {
        guard let fd = try? TestSocket.connect(path) else { return false }
        close(fd)
        return true
    }

    private func parse(_ line: Substring) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }
}

/// Who the command-line tests run the binary as: uid/gid 65534 through setpriv when the tests run as root, else the
/// current user.
struct UnprivilegedUser {
    let uid: uid_t
    let launcher: [String]

    init() {
        if geteuid() == 0 {
            uid = 65534
            launcher = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        } else {
            uid = geteuid()
            launcher = []
        }
    }

    /// A fresh directory owned by the user, mode 0700: its `XDG_RUNTIME_DIR`.
    func runtimeDirectory() throws -> String {
        var template = Array("/tmp/grustream-xdg-XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        guard chown(path, uid, gid_t(uid == geteuid() ? getegid() : 65534)) == 0 else {
            throw PipelineConfigError("\(path): cannot chown")
        }
        return path
    }
}
