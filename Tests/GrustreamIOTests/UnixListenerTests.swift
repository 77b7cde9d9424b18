import Foundation
import GrustreamIO
import Testing

@Suite("Unix listening socket")
struct UnixListenerTests {
    /// What a client saw while it hammered `connect()` on a path that did not exist yet.
    final class Hammer: @unchecked Sendable {
        private let lock = NSLock()
        private var refusals = 0
        private var connected = false
        let done = DispatchSemaphore(value: 0)

        var result: (refusals: Int, connected: Bool) { lock.withLock { (refusals, connected) } }

        /// Connect to `path` again and again until one connection succeeds (or 5 s pass), counting ECONNREFUSED.
        init(_ path: String) {
            let address = try! UnixListener.address(path)
            let thread = Thread { [self] in
                let deadline = Date().addingTimeInterval(5)
                while Date() < deadline {
                    let fd = UnixListener.connect(address)
                    if fd >= 0 {
                        close(fd)
                        lock.withLock { connected = true }
                        break
                    }
                    if errno == ECONNREFUSED { lock.withLock { refusals += 1 } }
                }
                done.signal()
            }
            thread.start()
        }
    }

    /// A client that connects as soon as the file exists is never refused: the path appears only once the
    /// socket listens (bind()-then-listen() on the final path leaves a window where connect() is refused).
    @Test func theFileAppearsOnlyWhenTheSocketListens() throws {
        let directory = TemporaryDirectory()
        var refused = 0
        for round in 0..<300 {
            let path = directory.file("r\(round).sock")
            let hammer = Hammer(path)
            usleep(UInt32.random(in: 0..<200))
            let fd = try UnixListener.listen(path: path, mode: 0o660, group: getgid(), backlog: 16)
            hammer.done.wait()
            close(fd)
            let result = hammer.result
            #expect(result.connected, "round \(round): the client never connected")
            refused += result.refusals
        }
        #expect(refused == 0, "connect() was refused \(refused) times on a path that named a socket")
    }

    @Test func modeAndGroupAreInForceAndNoTemporaryIsLeft() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("m.sock")
        let fd = try UnixListener.listen(path: path, mode: 0o640, group: getgid(), backlog: 4)
        defer { close(fd) }
        var info = stat()
        #expect(lstat(path, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o640)
        #expect(info.st_gid == getgid())
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.sock"])
    }

    @Test func staleIsReplacedLiveAndNonSocketsRefusedWithoutLeftovers() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("s.sock")
        let first = try UnixListener.listen(path: path, backlog: 4)
        close(first)  // a process that died: the file stays, nobody listens
        let second = try UnixListener.listen(path: path, backlog: 4)
        defer { close(second) }
        #expect(throws: UnixListener.Failure.inUse(backlogFull: false)) {
            _ = try UnixListener.listen(path: path, backlog: 4)
        }
        let plain = directory.file("plain.txt")
        #expect(FileManager.default.createFile(atPath: plain, contents: Data("keep".utf8)))
        #expect(throws: UnixListener.Failure.notASocket) { _ = try UnixListener.listen(path: plain, backlog: 4) }
        #expect(FileManager.default.contents(atPath: plain) == Data("keep".utf8))
        #expect(throws: UnixListener.Failure.system(step: .bind, code: ENOENT)) {
            _ = try UnixListener.listen(path: directory.file("no/such/dir.sock"), backlog: 4)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["plain.txt", "s.sock"])
        let client = UnixListener.connect(try UnixListener.address(path))
        #expect(client >= 0)
        close(client)
    }
}
