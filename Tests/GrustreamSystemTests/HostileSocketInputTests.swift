import Foundation
import Glibc
import GrustreamDaemon
import GrustreamTestSupport
import Testing

/// What a hostile or careless socket client can send: every request line is either a filter or an error message,
/// never a trap, and the publisher keeps serving everyone.
@Suite("hostile socket input")
struct HostileSocketInputTests {
    func message(_ line: String) -> String { message(Array(line.utf8)) }

    func message(_ bytes: [UInt8]) -> String {
        do {
            _ = try WatchRequest.decode(bytes)
            return ""
        } catch { return error.description }
    }

    @Test func loneAndReversedSurrogatesAreRefused() {
        #expect(message(#"{"class":"WATCH","x":"\uD800\u0041"}"#).contains(#"surrogate \uD800 followed by \u0041"#))
        #expect(message(#"{"class":"WATCH","x":"\uD800\uD800"}"#).contains(#"surrogate \uD800 followed by \uD800"#))
        #expect(message(#"{"class":"WATCH","x":"\uDC00"}"#).contains(#"lone UTF-16 surrogate \uDC00"#))
        #expect(message(#"{"class":"WATCH","x":"\uDBFF"}"#).contains(#"lone UTF-16 surrogate \uDBFF"#))
        #expect(message(#"{"class":"WATCH","x":"\uD800"#).contains("lone UTF-16 surrogate"))
        #expect(message(#"{"class":"WATCH","x":"\uDFFF\uD800"}"#).contains("lone UTF-16 surrogate \\uDFFF"))
    }

    @Test func surrogatePairsAndEscapesStillDecode() throws {
        #expect(message(#"{"class":"WATCH","x":"\uD83D\uDE00 \u00e9 \uFFFF"}"#) == "")
        #expect(message(#"{"class":"WATCH","classes":["\uD83D\uDE00"]}"#).contains("\"classes\" holds \"😀\""))
    }

    @Test func hexEscapesTakeExactlyFourHexDigits() {
        for bad in [#"\u+041"#, #"\u-041"#, #"\u 041"#, #"\u004"#, #"\u00G1"#] {
            #expect(message(#"{"class":"WATCH","x":""# + bad + #""}"#).contains("bad \\u escape"), "\(bad)")
        }
    }

    @Test func numbersFollowTheGrammarAndStayFinite() {
        #expect(message(#"{"class":"WATCH","x":1e400}"#).contains("number out of range at column 22"))
        #expect(message(#"{"class":"WATCH","x":-1e99999999999999999999}"#).contains("number out of range"))
        for bad in ["-", "01", "1.", "1e", "1e+", "-.5", "1.e3", "--1"] {
            #expect(message(#"{"class":"WATCH","x":"# + bad + "}").contains("bad number"), "\(bad)")
        }
        for bad in ["+1", ".5"] {
            #expect(message(#"{"class":"WATCH","x":"# + bad + "}").contains("unexpected"), "\(bad)")
        }
        let longDigits = String(repeating: "9", count: 4000)
        #expect(message(#"{"class":"WATCH","x":"# + longDigits + "}").contains("number out of range"))
        #expect(message(#"{"class":"WATCH","x":0."# + longDigits + "}") == "")
        #expect(message(#"{"class":"WATCH","x":[0, -0, 1.5e-400, 123456789012345678901234567890]}"#) == "")
    }

    @Test func everyPrefixOfARequestIsAnErrorOrAFilter() {
        let line = Array(#"{"class":"WATCH","classes":["DETECTION","\uD83D\uDE00"],"x":[1.5e3,true,null]}"#.utf8)
        for end in 0..<line.count {
            #expect(!message(Array(line[..<end])).isEmpty, "prefix of \(end) bytes")
        }
    }

    @Test func invalidUTF8AndNestingAreRefused() {
        #expect(message([0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D]).contains("not UTF-8"))
        #expect(message([0x7B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x3A, 0x31, 0x7D]).contains("not UTF-8"))
        #expect(message([0xEF, 0xBB, 0xBF] + Array(#"{"class":"WATCH"}"#.utf8)).contains("byte 0xef"))
        let deep = #"{"class":"WATCH","x":"# + String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000)
        #expect(message(deep + "}").contains("nested too deeply"))
        let deepObjects = String(repeating: #"{"a":"#, count: 40) + "1" + String(repeating: "}", count: 40)
        #expect(message(deepObjects).contains("nested too deeply"))
    }

    @Test func aClientSendingASurrogateGetsAnErrorAndEveryoneIsStillServed() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("events.sock")
        let publisher = try UnixSocketPublisher(path: path, pipeline: "kws")
        defer { publisher.close() }
        let bystander = try TestClient(path: path)
        let attacker = try TestClient(path: path)
        _ = bystander.readLine()
        _ = attacker.readLine()
        attacker.send(#"{"class":"WATCH","x":"\uD800\u0041"}"# + "\n" + #"{"class":"WATCH","x":"\uDC00"}"# + "\n")
        let errors = attacker.readLines(2)
        #expect(errors.count == 2)
        #expect(errors.allSatisfy { $0.hasPrefix(#"{"class":"ERROR","stream":"kws""#) && $0.contains("surrogate") })
        publisher.publish(line(detection(1)), kind: .detection)
        #expect(bystander.readLine() == text(line(detection(1))))
        #expect(attacker.readLine() == text(line(detection(1))))
        #expect(publisher.badRequests == 2)
    }

    @Test func subscribeStopsAtAServerLineThatNeverEnds() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("fake.sock")
        let listener = TestSocket.bound(path, listening: true)
        defer { Glibc.close(listener) }
        let server = BackgroundThread {
            let connection = accept(listener, nil, nil)
            var chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 65536)
            for _ in 0..<40 where send(connection, &chunk, chunk.count, Int32(MSG_NOSIGNAL)) > 0 {}
            Glibc.close(connection)
        }
        let result = try CommandLineTool.run(["subscribe", path], timeout: 20)
        #expect(result.status == 2)
        #expect(
            result.stderr == "grustream subscribe: \(path): the server sent more than 1048576 bytes without a newline "
                + "(expected JSON Lines events; is this a grustream event socket?)\n")
        #expect(result.stdout.isEmpty)
        #expect(server.wait())
    }

    @Test func theDaemonLogsRefusedRequestsAndKeepsServing() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let socket = directory.file("kws.sock")
        let daemon = try SpawnedTool(["run", "stdin-kws", "--socket", socket, "--no-stdout", "--log-level", "notice"])
        #expect(waitFor { acceptsConnections(socket) }, "socket never accepted a connection")
        let attacker = try TestClient(path: socket)
        #expect(attacker.readLine()?.hasPrefix(#"{"class":"VERSION""#) == true)
        attacker.send(#"{"class":"WATCH","x":"\uD800\u0041"}"# + "\n")
        #expect(attacker.readLine()?.contains("surrogate") == true)
        let other = try TestClient(path: socket)
        #expect(other.readLine()?.hasPrefix(#"{"class":"VERSION""#) == true, "the daemon still accepts clients")
        usleep(300_000)
        daemon.signal(SIGTERM)
        let result = daemon.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let finalStats = (other.readUntilClosed() ?? []).last { $0.contains(#""class":"STATS""#) }
        #expect(finalStats?.contains(#""bad_requests":1,"#) == true, "\(finalStats ?? "no STATS")")
        #expect(
            result.stderr.contains(
                "1 socket client request line(s) refused (each got an ERROR line), the last: bad request: UTF-16 "
                    + "surrogate \\uD800 followed by \\u0041"), "\(result.stderr)")
    }
}
