import Foundation
import Glibc
import GrustreamDaemon
import GrustreamPipeline

/// A raw Unix-socket client for the publisher tests: connect, send bytes, read lines with a timeout.
final class TestClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []
    private(set) var sawEndOfStream = false

    init(path: String) throws {
        fd = try TestSocket.connect(path)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }

    /// The next line (without `\n`), or nil on timeout or end of stream.
    func readLine(timeout: Double = 3) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            if sawEndOfStream { return nil }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n <= 0 {
                sawEndOfStream = true
            } else {
                pending.append(contentsOf: chunk[0..<n])
            }
        }
    }

    /// Up to `count` lines (fewer on timeout or end of stream).
    func readLines(_ count: Int, timeout: Double = 5) -> [String] {
        var lines: [String] = []
        while lines.count < count, let line = readLine(timeout: timeout) { lines.append(line) }
        return lines
    }

    /// Every line until the server closes; nil if it does not close within `timeout`.
    func readUntilClosed(timeout: Double = 5) -> [String]? {
        let deadline = Date().addingTimeInterval(timeout)
        var lines: [String] = []
        while deadline.timeIntervalSinceNow > 0 {
            if let line = readLine(timeout: deadline.timeIntervalSinceNow) {
                lines.append(line)
            } else if sawEndOfStream {
                return lines
            }
        }
        return nil
    }
}

enum TestSocket {
    static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = address(path)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw Failure(description: "connect \(path): \(message)")
        }
        return fd
    }

    /// A socket bound at `path`; listening if asked.
    static func bound(_ path: String, listening: Bool) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = address(path)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if listening { listen(fd, 16) }
        return fd
    }
}

/// A fresh directory under /tmp (short, so socket paths fit), removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        var template = Array("/tmp/grustream-events-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    func file(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Poll `condition` until it holds or `timeout` passes.
func waitUntil(timeout: Double = 3, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() >= deadline { return false }
        usleep(1000)
    }
    return true
}

/// Encoded lines for tests.
func line(_ event: Event) -> [UInt8] {
    var buffer: [UInt8] = []
    EventEncoder.encode(event, into: &buffer)
    return buffer
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes.dropLast(), as: UTF8.self) }

/// A fixed wall clock: 2026-11-26T15:33:20.123Z.
let fixedTime = WallTime(millisecondsSinceEpoch: 1_795_707_200_123)

/// A DETECTION line numbered `index`, for ordering checks.
func detection(_ index: Int) -> Event {
    .detection(
        stream: "kws", t: Event.seconds(sample: Int64(index) * 160, rate: 16000), label: "word\(index)", score: 0.9,
        start: 0, end: 1, time: fixedTime)
}

/// Run `body` on its own thread (not the Swift concurrency pool, since it blocks); `wait` joins it.
final class BackgroundThread: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping @Sendable () -> Void) {
        let done = self.done
        let thread = Thread {
            body()
            done.signal()
        }
        thread.start()
    }

    func wait(timeout: Double = 5) -> Bool { done.wait(timeout: .now() + timeout) == .success }
}

/// "" when the line lists are equal, else a short description of the first difference (keeps failures readable).
func difference(_ received: [String]?, _ expected: [String]) -> String {
    guard let received else { return "timed out" }
    if received == expected { return "" }
    let index =
        zip(received, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(received.count, expected.count)
    let got = index < received.count ? received[index] : "nothing"
    let want = index < expected.count ? expected[index] : "nothing"
    return "\(received.count) lines, expected \(expected.count); line \(index): \(got) — expected \(want)"
}
