import GrustreamTestSupport
import Foundation
import GrustreamIO

/// The processing side of a test: waits on the hub, follows stream events, collects every sample.
struct HubDrainer {
    struct Collected {
        var stream: SourceStream
        var samples: [Float] = []
        /// `firstFrame` of every read, to check that nothing was dropped.
        var gaps = 0
        var nextFrame = 0
        var closed = false
    }

    var collected: [Int: Collected] = [:]
    var sourceErrors: [InputError] = []
    /// Order in which streams were opened.
    var order: [Int] = []

    /// Run until the hub is finished, `until` returns true (then `stop` is called once and draining
    /// continues), or `timeout` passes. Returns false on timeout.
    @discardableResult
    mutating func run(
        _ hub: SourceHub, timeout: Duration = .seconds(10), until: (HubDrainer) -> Bool = { _ in false },
        stop: () -> Void = {}
    ) -> Bool {
        let deadline = ContinuousClock.now + timeout
        var buffer = [Float](repeating: 0, count: 1000)
        var stopped = false
        while ContinuousClock.now < deadline {
            hub.wait(timeout: .milliseconds(50))
            for event in hub.takeEvents() {
                switch event {
                case .opened(let stream):
                    precondition(collected[stream.id] == nil, "samples read before .opened")
                    collected[stream.id] = Collected(stream: stream)
                    order.append(stream.id)
                case .closed(let stream):
                    readAll(stream, &buffer)
                    collected[stream.id]?.closed = true
                case .sourceError(_, let error, _):
                    sourceErrors.append(error)
                }
            }
            for stream in hub.streams { readAll(stream, &buffer) }
            if !stopped && until(self) {
                stopped = true
                stop()
            }
            if hub.isFinished { return true }
        }
        return false
    }

    private mutating func readAll(_ stream: SourceStream, _ buffer: inout [Float]) {
        while true {
            let read = buffer.withUnsafeMutableBufferPointer { stream.read(into: $0) }
            if read.sampleCount == 0 { return }
            var entry = collected[stream.id] ?? Collected(stream: stream)
            if read.firstFrame != entry.nextFrame { entry.gaps += 1 }
            entry.nextFrame = read.firstFrame + read.sampleCount / stream.channels
            entry.samples.append(contentsOf: buffer[0..<read.sampleCount])
            collected[stream.id] = entry
        }
    }

    /// Collected streams by name.
    func byName(_ name: String) -> Collected? { collected.values.first { $0.stream.name == name } }
}

/// A temporary directory removed at deinit.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "grustream-io-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// A writer thread that can be waited for.
final class Writer: Sendable {
    let done = DispatchSemaphore(value: 0)
    func join() { done.wait() }
}

/// Write `data` to `fd` in random chunk sizes from another thread, then close it.
@discardableResult
func writeInChunks(_ data: Data, to fd: Int32, seed: UInt64, maximumChunk: Int = 97, closeAfter: Bool = true) -> Writer
{
    let writer = Writer()
    let thread = Thread {
        var generator = SeededGenerator(seed: seed)
        var offset = 0
        data.withUnsafeBytes { bytes in
            while offset < bytes.count {
                let n = min(Int.random(in: 1...maximumChunk, using: &generator), bytes.count - offset)
                let written = write(fd, bytes.baseAddress! + offset, n)
                if written <= 0 { break }
                offset += written
            }
        }
        if closeAfter { close(fd) }
        writer.done.signal()
    }
    thread.start()
    return writer
}
