import GrustreamDaemon
import Testing

@Suite("WATCH requests")
struct EventsWatchRequestTests {
    func decode(_ text: String) throws(PublisherError) -> WatchRequest { try WatchRequest.decode(Array(text.utf8)) }

    func message(_ text: String) -> String {
        do {
            _ = try decode(text)
            return "no error"
        } catch { return error.description }
    }

    @Test func defaultIsEverythingButScores() {
        #expect(WatchRequest.default.classes == [.version, .detection, .anomaly, .stats, .error, .control])
    }

    @Test func classesAndScores() throws {
        #expect(try decode(#"{"class":"WATCH","classes":["DETECTION"],"scores":false}"#).classes == [.detection])
        #expect(try decode(#"{"class":"WATCH","classes":["DETECTION","ANOMALY"]}"#).classes == [.detection, .anomaly])
        #expect(
            try decode(#"{"class":"WATCH","scores":true}"#).classes == WatchRequest.default.classes.union([.scores]))
        #expect(try decode(#"{"class":"WATCH","classes":["SCORES"]}"#).classes == [.scores])
        #expect(try decode(#"{"class":"WATCH","classes":["SCORES"],"scores":false}"#).classes == [])
        #expect(try decode(#"{"class":"WATCH"}"#) == .default)
    }

    @Test func whitespaceUnknownFieldsAndEscapesAreFine() throws {
        let request = try decode(
            " {\t\"class\" : \"WATCH\" , \"enable\": true, \"device\": {\"x\": [1, -2.5e3, null]},"
                + " \"classes\" : [ \"DETECT\\u0049ON\" ] , \"scores\" : true }\r\n")
        #expect(request.classes == [.detection, .scores])
    }

    @Test func garbageIsRefusedWithAClearMessage() {
        #expect(message("hello").hasPrefix("bad request: unexpected 'h' at column 1"))
        #expect(message("{").hasPrefix("bad request: expected a quoted key, found end of line at column 2"))
        #expect(
            message("[1,2]")
                == "bad request: not a JSON object; expected {\"class\":\"WATCH\",...} or a command (PAUSE, RESUME, RESET, THRESHOLD)"
        )
        #expect(
            message(#"{"class":"POLL"}"#)
                == "bad request: unknown class \"POLL\"; the requests are WATCH, PAUSE, RESUME, RESET, THRESHOLD")
        #expect(message(#"{"class":"PAUSE"}"#) == "bad request: PAUSE where a WATCH request was expected")
        #expect(message(#"{"classes":[]}"#).hasPrefix("bad request: missing \"class\""))
        #expect(message(#"{"class":"WATCH","classes":"DETECTION"}"#).contains("expected a list like [\"DETECTION\"]"))
        #expect(
            message(#"{"class":"WATCH","classes":["FOO"]}"#).contains(
                "\"classes\" holds \"FOO\"; expected some of \"VERSION\""))
        #expect(message(#"{"class":"WATCH","scores":"yes"}"#).contains("expected true or false"))
        #expect(message(#"{"class":"WATCH"} x"#).contains("unexpected 'x' after the object"))
        #expect(message("{\"class\":\"WA\u{1}\"}").contains("control character"))
        #expect(message(String(repeating: "[", count: 100)).contains("nested too deeply"))
    }

    @Test func theClientLineDecodesToTheSameFilter() throws {
        for request in [WatchRequest(classes: [.detection]), WatchRequest(classes: [.scores, .anomaly]), .default] {
            #expect(try decode(request.line()) == request)
        }
        #expect(EventSubscriber.watch(classes: nil, scores: false) == nil)
        #expect(EventSubscriber.watch(classes: nil, scores: true)?.classes.contains(.scores) == true)
        #expect(try EventSubscriber.parseClasses(["detection, ANOMALY", "STATS"]) == [.detection, .anomaly, .stats])
        #expect(throws: PublisherError.self) { try EventSubscriber.parseClasses(["DETECTIONS"]) }
    }
}
