import Foundation
import Glibc
import GrustreamDaemon
import Testing

@Suite("subscribe client")
struct SubscribeTests {
    @Test func printsWhatTheServerSendsAndReturnsAtClose() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("kws.sock")
        let output = directory.file("out.jsonl")
        let publisher = try UnixSocketPublisher(path: path, pipeline: "kws")
        defer { publisher.close() }
        let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { Glibc.close(fd) }
        let result = ResultBox()
        let subscriber = EventSubscriber(path: path)
        let thread = BackgroundThread {
            do { try subscriber.run(output: fd) } catch { result.error = "\(error)" }
        }
        #expect(waitUntil { publisher.clientCount == 1 })
        let events = (0..<5).map { line(detection($0)) }
        for event in events { publisher.publish(event, kind: .detection) }
        publisher.publish(line(.scores(stream: "kws", t: 0, frame: 0, labels: [], scores: [1])), kind: .scores)
        publisher.close()
        #expect(thread.wait())
        #expect(result.error == nil)
        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 6)
        #expect(lines.first?.hasPrefix(#"{"class":"VERSION","stream":"kws""#) == true)
        #expect(difference(Array(lines.dropFirst()), events.map(text)) == "")
    }

    @Test func aFilterIsSentAsAWatchLine() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("kws.sock")
        let listener = TestSocket.bound(path, listening: true)  // a bare server that records the request
        defer { Glibc.close(listener) }
        let subscriber = EventSubscriber(
            path: path, watch: EventSubscriber.watch(classes: [.detection, .anomaly], scores: true))
        let result = ResultBox()
        let thread = BackgroundThread {
            do { try subscriber.run(output: -1) } catch { result.error = "\(error)" }
        }
        let connection = accept(listener, nil, nil)
        defer { Glibc.close(connection) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var received: [UInt8] = []
        while !received.contains(0x0A) {
            let n = read(connection, &buffer, buffer.count)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        #expect(
            String(decoding: received, as: UTF8.self)
                == #"{"class":"WATCH","classes":["DETECTION","ANOMALY"],"scores":true}"# + "\n")
        #expect(try WatchRequest.decode(received).classes == [.detection, .anomaly, .scores])
        shutdown(connection, Int32(SHUT_RDWR))
        #expect(thread.wait())
        #expect(result.error == nil)
    }

    @Test func cannotConnectSaysWhy() {
        let subscriber = EventSubscriber(path: "/tmp/grustream-no-such-dir/kws.sock")
        #expect(
            throws: PublisherError(
                "cannot connect to /tmp/grustream-no-such-dir/kws.sock: No such file or directory (is grustream running with a unix sink?)"
            )
        ) {
            try subscriber.run(output: -1)
        }
    }
}

final class ResultBox: @unchecked Sendable {
    var error: String?
}
