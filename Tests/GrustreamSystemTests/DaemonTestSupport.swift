import Foundation
import GrustreamIO
import GrustreamTestSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Records every notify datagram (with the time it came) on a background thread.
final class NotifyRecorder: @unchecked Sendable {
    let listener: NotifyListener
    private let messages = Mutex<[(at: Date, text: String)]>([])
    private let stopped = Atomic<Bool>(false)
    private var thread: Thread?

    var name: String { listener.name }

    init() throws {
        listener = try NotifyListener(abstract: false)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(listener.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                if let text = listener.receive() { messages.withLock { $0.append((Date(), text)) } }
            }
        }
        thread.start()
        self.thread = thread
    }

    deinit { stopped.store(true, ordering: .relaxed) }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        usleep(150_000)
    }

    var all: [(at: Date, text: String)] { messages.withLock { $0 } }

    /// Wait until a message satisfying `match` arrives after the `after`-th message; returns its index.
    @discardableResult
    func wait(seconds: Double = 10, after: Int = 0, for match: (String) -> Bool) -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let snapshot = all
            if after < snapshot.count, let i = snapshot[after...].firstIndex(where: { match($0.text) }) { return i }
            usleep(10_000)
        }
        return nil
    }
}

/// Pipelines for daemon tests: the end-to-end fixture with absolute paths, written into `folder`.
enum DaemonPipelines {
    static let recording = Fixtures.repositoryRoot.appendingPathComponent("samples/yes-no-up-down.wav")

    static func fixtureText(threshold: String = "0.16", runtime: String = "") throws -> String {
        var text = try String(contentsOf: Fixtures.url("pipelines/e2e-classify.toml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"../../../samples/", with: "\"\(Fixtures.repositoryRoot.path)/samples/")
        text = text.replacingOccurrences(of: "\"../gru/", with: "\"\(Fixtures.directory.path)/gru/")
        text = text.replacingOccurrences(of: "threshold = 0.16", with: "threshold = \(threshold)")
        return text + runtime
    }

    /// `folder/e2e-classify.toml` (the name gives the stream name of the expected events).
    @discardableResult
    static func write(in folder: URL, threshold: String = "0.16", runtime: String = "") throws -> URL {
        let url = folder.appendingPathComponent("e2e-classify.toml")
        try fixtureText(threshold: threshold, runtime: runtime).write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The recording as raw s16le, split after `seconds`.
    static func rawAudio(splitAt seconds: Double) throws -> (Data, Data) {
        let audio = try AudioFile.read(path: recording.path, container: .wav)
        let split = Int(seconds * 16000)
        return (
            WAVEncoder.encodePCM(Array(audio.samples.prefix(split)), encoding: .s16le),
            WAVEncoder.encodePCM(Array(audio.samples.dropFirst(split)), encoding: .s16le)
        )
    }

    static var expected: [NSDictionary] {
        get throws {
            normalisedEvents(
                try String(contentsOf: Fixtures.url("pipelines/e2e-classify.expected.jsonl"), encoding: .utf8))
        }
    }
}

extension NSDictionary {
    var eventClass: String? { self["class"] as? String }
    var streamTime: Double { (self["t"] as? Double) ?? Double((self["t"] as? Int) ?? 0) }
}
