import Foundation
import Glibc
import GrustreamDaemon
import GrustreamPipeline
import GrustreamTraining
import Testing

@Suite("unix socket publisher")
struct PublisherUnixSocketTests {
    /// A publisher in a fresh directory; everything is closed and removed after `body`.
    func withPublisher(
        options: UnixSocketPublisher.Options = .init(), _ body: (UnixSocketPublisher, String) throws -> Void
    ) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("events.sock")
        let publisher = try UnixSocketPublisher(path: path, pipeline: "kws", options: options)
        defer { publisher.close() }
        try body(publisher, path)
    }

    @Test func fiftySubscribersReceiveTheSameLines() throws {
        try withPublisher { publisher, path in
            let clients = try (0..<50).map { _ in try TestClient(path: path) }
            for client in clients {
                let version = client.readLine()
                #expect(version?.hasPrefix(#"{"class":"VERSION","stream":"kws","time":""#) == true)
                #expect(version?.hasSuffix(#""proto_major":1,"proto_minor":5,"pipeline":"kws"}"#) == true)
            }
            #expect(waitUntil { publisher.clientCount == 50 })
            let events = (0..<200).map { line(detection($0)) }
            for event in events { publisher.publish(event, kind: .detection) }
            let expected = events.map(text)
            for client in clients { #expect(difference(client.readLines(200), expected) == "") }
            #expect(publisher.droppedClients == 0)
        }
    }

    @Test func aClientThatNeverReadsIsDroppedWithoutSlowingAnyone() throws {
        var options = UnixSocketPublisher.Options()
        options.clientQueueLimitBytes = 64 * 1024
        try withPublisher(options: options) { publisher, path in
            let stuck = try TestClient(path: path)
            let readers = try (0..<3).map { _ in try TestClient(path: path) }
            for reader in readers { #expect(reader.readLine() != nil) }  // VERSION
            #expect(waitUntil { publisher.clientCount == 4 })
            var durations: [UInt64] = []
            var next = 0
            // Bursts the readers take in full between bursts; the stuck client's queue only grows.
            while publisher.droppedClients == 0 && next < 40_000 {
                let burst = (next..<next + 100).map { line(detection($0)) }
                for event in burst {
                    let start = DispatchTime.now().uptimeNanoseconds
                    publisher.publish(event, kind: .detection)
                    durations.append(DispatchTime.now().uptimeNanoseconds - start)
                }
                for reader in readers { #expect(difference(reader.readLines(100), burst.map(text)) == "") }
                next += 100
            }
            #expect(publisher.droppedClients == 1)
            #expect(waitUntil { publisher.clientCount == 3 })
            // The others go on.
            let after = (0..<10).map { line(detection(100_000 + $0)) }
            for event in after { publisher.publish(event, kind: .detection) }
            for reader in readers { #expect(reader.readLines(10) == after.map(text)) }
            // The stuck client got a prefix of the stream, then the end of the connection.
            let received = stuck.readUntilClosed(timeout: 5)
            #expect(received != nil && received!.count > 1 && received!.count < next + 1)
            durations.sort()
            // Measured on the shared 2-core VM (debug build, other builds running): p50 ≈ 0.2 µs, p90 ≈ 17 µs
            // (lock contention with the I/O thread), p99 ≈ 25 µs; the rare maximum is the OS descheduling the
            // test thread (p99 1.9 ms seen with the machine's load average at 10). Bounds are loose so that only real
            // blocking (a write waiting on the stuck client, which lasts until it is dropped) fails the test.
            let (p50, p99) = (durations[durations.count / 2], durations[durations.count * 99 / 100])
            let report = "publish p50 \(p50) ns, p99 \(p99) ns, max \(durations.last!) ns over \(durations.count) calls"
            #expect(p50 < 20_000, "\(report)")
            #expect(p99 < 50_000_000, "\(report)")
        }
    }

    @Test func watchFiltersClassesAndScoresAreOptIn() throws {
        try withPublisher { publisher, path in
            let requests = [
                nil, #"{"class":"WATCH","classes":["DETECTION"]}"#, #"{"class":"WATCH","scores":true}"#,
                #"{"class":"WATCH","classes":["SCORES"],"scores":false}"#,
            ]
            let clients = try requests.map { request in
                let client = try TestClient(path: path)
                #expect(client.readLine()?.contains("VERSION") == true)
                if let request {
                    client.send(request + "\n")
                    client.send("sync\n")  // the ERROR answer proves the WATCH before it was read
                    #expect(client.readLine()?.hasPrefix(#"{"class":"ERROR""#) == true)
                }
                return client
            }
            let published: [Event] = [
                detection(1), .scores(stream: "kws", t: 0.01, frame: 1, labels: [], scores: [0.5]),
                .anomaly(stream: "kws", t: 1, score: 3, threshold: 2, start: 0, end: 1),
                .stats(stream: "kws", t: 1, .init()),
            ]
            for event in published { publisher.publish(line(event), kind: event.kind) }
            publisher.close()
            let classes = clients.map { client in
                (client.readUntilClosed() ?? ["timeout"]).map { String($0.dropFirst(10).prefix { $0 != "\"" }) }
            }
            #expect(classes[0] == ["DETECTION", "ANOMALY", "STATS"])
            #expect(classes[1] == ["DETECTION"])
            #expect(classes[2] == ["DETECTION", "SCORES", "ANOMALY", "STATS"])
            #expect(classes[3] == [])
        }
    }

    @Test func garbageGetsAnErrorAndTheClientStays() throws {
        try withPublisher { publisher, path in
            let bystander = try TestClient(path: path)
            let rude = try TestClient(path: path)
            _ = bystander.readLine()
            _ = rude.readLine()
            rude.send("hello\n\u{0}\u{FF}junk\n")
            let errors = rude.readLines(2)
            #expect(errors.count == 2 && errors.allSatisfy { $0.hasPrefix(#"{"class":"ERROR","stream":"kws""#) })
            #expect(errors.first?.contains(#""message":"bad request: unexpected 'h' at column 1"#) == true)
            publisher.publish(line(detection(1)), kind: .detection)
            #expect(rude.readLine() == text(line(detection(1))))
            #expect(bystander.readLine() == text(line(detection(1))))
            // A request line without end is cut off: ERROR, then the connection closes.
            rude.send(String(repeating: "x", count: 10_000))
            let last = rude.readUntilClosed()
            #expect(last?.count == 1 && last?.first?.contains("longer than 4096 bytes") == true)
            publisher.publish(line(detection(2)), kind: .detection)
            #expect(bystander.readLine() == text(line(detection(2))))
            #expect(publisher.droppedClients == 0)
        }
    }

    @Test func clientsThatVanishAtAnyMomentAreHarmless() throws {
        try withPublisher { publisher, path in
            let keeper = try TestClient(path: path)
            _ = keeper.readLine()
            for round in 0..<30 {
                let fd = try TestSocket.connect(path)
                switch round % 3 {
                case 0: break  // gone before VERSION is read
                case 1: _ = Glibc.send(fd, "{\"class\":\"WA", 12, Int32(MSG_NOSIGNAL))  // mid-line
                default: shutdown(fd, Int32(SHUT_WR))  // half-close, then gone
                }
                Glibc.close(fd)
                publisher.publish(line(detection(round)), kind: .detection)
            }
            #expect(difference(keeper.readLines(30), (0..<30).map { text(line(detection($0))) }) == "")
            #expect(waitUntil { publisher.clientCount == 1 })
            #expect(publisher.droppedClients == 0)
        }
    }

    @Test func aHalfClosedClientStillReceives() throws {
        try withPublisher { publisher, path in
            let client = try TestClient(path: path)
            client.send(#"{"class":"WATCH","classes":["DETECTION"]}"# + "\n")
            shutdown(client.fd, Int32(SHUT_WR))  // like `echo WATCH | nc -U`
            _ = client.readLine()
            #expect(waitUntil { publisher.clientCount == 1 })
            publisher.publish(line(detection(5)), kind: .detection)
            #expect(client.readLine() == text(line(detection(5))))
        }
    }

    @Test func aLineLongerThanTheQueueBoundStillReachesAReader() throws {
        var options = UnixSocketPublisher.Options()
        options.clientQueueLimitBytes = 1024
        try withPublisher(options: options) { publisher, path in
            let client = try TestClient(path: path)
            _ = client.readLine()
            #expect(waitUntil { publisher.clientCount == 1 })
            let labels = (0..<400).map { "label\($0)" }
            let big = line(.scores(stream: "kws", t: 0, frame: 0, labels: labels, scores: labels.map { _ in 0.5 }))
            #expect(big.count > 4 * 1024)
            publisher.publish(line(.stats(stream: "kws", t: 0, .init())), kind: .stats)
            #expect(client.readLine()?.hasPrefix(#"{"class":"STATS""#) == true)
            client.send(#"{"class":"WATCH","scores":true}"# + "\nsync\n")
            #expect(client.readLine()?.hasPrefix(#"{"class":"ERROR""#) == true)
            publisher.publish(big, kind: .scores)
            #expect(client.readLine() == text(big))
            #expect(publisher.droppedClients == 0)
        }
    }

    @Test func closeSendsWhatIsQueuedAndRemovesTheSocketFile() throws {
        try withPublisher { publisher, path in
            let client = try TestClient(path: path)
            _ = client.readLine()
            #expect(waitUntil { publisher.clientCount == 1 })
            // ~220 kB: more than the kernel buffers while nobody reads, less than the client queue bound
            // (256 KiB); the reader takes them while close() drains.
            let events = (0..<1500).map { line(detection($0)) }
            let received = ResultLines()
            for event in events { publisher.publish(event, kind: .detection) }
            let reader = BackgroundThread { received.lines = client.readUntilClosed() }
            publisher.close()
            #expect(access(path, F_OK) != 0)
            #expect(reader.wait())
            #expect(difference(received.lines, events.map(text)) == "")
            #expect(publisher.droppedClients == 0)
            #expect(publisher.clientCount == 0)
            publisher.publish(line(detection(9)), kind: .detection)  // harmless after close
            publisher.close()
        }
    }
}

final class ResultLines: @unchecked Sendable {
    var lines: [String]?
}
