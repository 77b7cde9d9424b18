import Glibc
import GrustreamDaemon
import GrustreamPipeline
import Testing

@Suite("stdout publisher")
struct PublisherStdoutTests {
    @Test func writesEachLineAtOnceAndSurvivesAVanishedReader() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { Glibc.close(fds[1]) }
        let publisher = StdoutPublisher(fd: fds[1])
        #expect(publisher.clientCount == 1)
        let first = line(detection(1))
        publisher.publish(first, kind: .detection)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fds[0], &buffer, buffer.count)  // already there: nothing is buffered
        #expect(Array(buffer[0..<max(n, 0)]) == first)
        Glibc.close(fds[0])  // the reader goes away (`| head` exits)
        publisher.publish(line(detection(2)), kind: .detection)  // EPIPE, not SIGPIPE
        #expect(publisher.isBroken && publisher.clientCount == 0 && publisher.droppedClients == 1)
        publisher.publish(line(detection(3)), kind: .detection)
        publisher.close()
    }

    @Test func largeLinesAreWrittenWhole() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { fds.forEach { Glibc.close($0) } }
        let publisher = StdoutPublisher(fd: fds[1])
        let big = line(.error(stream: "s", t: 0, message: String(repeating: "é", count: 100_000)))
        let received = ByteBox()
        let (fd, count) = (fds[0], big.count)
        let drain = BackgroundThread { received.read(fd, count: count) }
        publisher.publish(big, kind: .error)  // larger than the pipe: partial writes
        #expect(drain.wait())
        #expect(received.bytes == big)
    }
}

/// Bytes read on another thread (handed back after a join).
final class ByteBox: @unchecked Sendable {
    var bytes: [UInt8] = []

    func read(_ fd: Int32, count: Int) {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < count {
            let n = Glibc.read(fd, &chunk, chunk.count)
            if n <= 0 { return }
            bytes.append(contentsOf: chunk[0..<n])
        }
    }
}

@Suite("publisher group")
struct PublisherGroupTests {
    @Test func everyPublisherGetsTheSameLine() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { fds.forEach { Glibc.close($0) } }
        let socket = try UnixSocketPublisher(path: directory.file("g.sock"), pipeline: "kws")
        let group = PublisherGroup([StdoutPublisher(fd: fds[1]), socket])
        let client = try TestClient(path: directory.file("g.sock"))
        _ = client.readLine()
        #expect(waitUntil { group.clientCount == 2 })
        group.publish(detection(4))
        let scores: [Float] = [0.25, 0.75]
        scores.withUnsafeBufferPointer {
            group.publishScores(stream: "kws", t: 0.5, frame: 50, labels: ["a", "b"], scores: $0, time: fixedTime)
        }
        let scoresLine = line(
            .scores(stream: "kws", t: 0.5, frame: 50, labels: ["a", "b"], scores: scores, time: fixedTime))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fds[0], &buffer, buffer.count)
        #expect(Array(buffer[0..<max(n, 0)]) == line(detection(4)) + scoresLine)  // stdout: everything it is given
        #expect(client.readLine() == text(line(detection(4))))  // socket: SCORES only on request
        group.close()
        #expect(client.readUntilClosed() == [])
        #expect(group.clientCount == 0 && group.droppedClients == 0)
    }
}
