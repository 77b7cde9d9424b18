import Foundation
import Glibc
import GrustreamDaemon
import Testing

@Suite("unix socket publisher: the socket file")
struct PublisherSocketFileTests {
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch { return "\(error)" }
    }

    @Test func aStaleSocketFileIsReplaced() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("stale.sock")
        Glibc.close(TestSocket.bound(path, listening: true))  // a crashed run: the file stays, nobody listens
        #expect(access(path, F_OK) == 0)
        let publisher = try UnixSocketPublisher(path: path, pipeline: "p")
        defer { publisher.close() }
        let client = try TestClient(path: path)
        #expect(client.readLine()?.contains("VERSION") == true)
    }

    @Test func aLiveSocketIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("live.sock")
        let first = try UnixSocketPublisher(path: path, pipeline: "p")
        defer { first.close() }
        #expect(
            message { _ = try UnixSocketPublisher(path: path, pipeline: "q") }
                == "\(path): another process is listening on this socket (is grustream already running?); "
                + "stop it or choose another socket path")
        let client = try TestClient(path: path)  // the first one is untouched
        #expect(client.readLine()?.contains(#""pipeline":"p""#) == true)
    }

    @Test func aFileThatIsNotASocketIsLeftAlone() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("notes.txt")
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        #expect(
            message { _ = try UnixSocketPublisher(path: path, pipeline: "p") }.hasPrefix(
                "\(path): exists and is not a socket"))
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    @Test func pathLengthDirectoryModeAndGroupErrorsNameThePath() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let long = directory.path + "/" + String(repeating: "x", count: 120) + ".sock"
        #expect(
            message { _ = try UnixSocketPublisher(path: long, pipeline: "p") }.hasPrefix(
                "\(long): a Unix socket path can be at most 107 bytes"))
        let missing = directory.file("no/such/dir.sock")
        #expect(
            message { _ = try UnixSocketPublisher(path: missing, pipeline: "p") }.hasPrefix(
                "\(missing): cannot bind: No such file or directory (does the directory exist?"))
        let path = directory.file("m.sock")
        #expect(
            message { _ = try UnixSocketPublisher(path: path, mode: "rw", pipeline: "p") }
                == "\(path): socket mode \"rw\" is not an octal permission like \"0660\"")
        #expect(
            message { _ = try UnixSocketPublisher(path: path, group: "no-such-group-xyz", pipeline: "p") }.hasPrefix(
                "\(path): group \"no-such-group-xyz\" does not exist"))
        #expect(access(path, F_OK) != 0)  // nothing left behind
    }

    @Test func modeAndGroupAreApplied() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("m.sock")
        let group = String(cString: getgrgid(getegid())!.pointee.gr_name)
        let publisher = try UnixSocketPublisher(path: path, mode: "0640", group: group, pipeline: "p")
        defer { publisher.close() }
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o640 && info.st_mode & S_IFMT == S_IFSOCK && info.st_gid == getegid())
    }

    @Test func anAdoptedListeningSocketIsServedAndNotUnlinked() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("activated.sock")
        let fd = TestSocket.bound(path, listening: true)  // what systemd would pass as fd 3
        let publisher = try UnixSocketPublisher(listeningFD: fd, pipeline: "kws")
        #expect(publisher.path == nil)
        let client = try TestClient(path: path)
        #expect(client.readLine()?.contains(#""pipeline":"kws""#) == true)
        #expect(waitUntil { publisher.clientCount == 1 })
        publisher.publish(line(detection(1)), kind: .detection)
        #expect(client.readLine() == text(line(detection(1))))
        publisher.close()
        #expect(client.readUntilClosed() == [])
        #expect(access(path, F_OK) == 0)  // systemd owns the file
    }

    @Test func adoptingSomethingElseIsRefused() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { fds.forEach { Glibc.close($0) } }
        #expect(
            message { _ = try UnixSocketPublisher(listeningFD: fds[0], pipeline: "p") }.hasPrefix(
                "listening fd \(fds[0]): not a socket"))
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let bound = TestSocket.bound(directory.file("b.sock"), listening: false)
        defer { Glibc.close(bound) }
        #expect(
            message { _ = try UnixSocketPublisher(listeningFD: bound, pipeline: "p") }.hasPrefix(
                "listening fd \(bound): not a listening stream socket"))
    }
}
