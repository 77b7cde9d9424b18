import Synchronization

/// Where a stream's saved state ends in the JetStream stream: every message before `sequence` is covered, and the
/// first `frames` frames of message `sequence` (all of them when it is whole).
public struct NatsResumePoint: Sendable, Equatable {
    public var sequence: UInt64
    public var frames: Int
    public init(sequence: UInt64, frames: Int) {
        self.sequence = sequence
        self.frames = frames
    }
}

/// The bookkeeping of durable input: which frames (in each stream's own count since it opened here) came in which
/// JetStream message, which of them saved state covers, and so which messages may be acknowledged. The consumers
/// acknowledge cumulatively, so a partition's messages are acknowledged in delivery order, up to the first one
/// whose frames are not all covered by saved state yet. Messages that gave no frames (malformed, or covered by
/// the state a stream resumed from) are covered at once. Thread-safe: reader threads record, the processing
/// thread asks for coverage, the saving queue marks and acknowledges.
public final class NatsDeliveryLedger: Sendable {
    struct Message {
        let sequence: UInt64
        let stream: String?
        let start: Int
        let end: Int
        let reply: String?
    }

    private struct Stream {
        var written = 0
        var saved = 0
        /// This stream's messages not yet acknowledged, in order.
        var messages: [Message] = []
        var head = 0
        var resume: NatsResumePoint?
        /// The sequence of the stream's newest message with frames (kept when acknowledged messages are dropped).
        var lastSequence: UInt64?
    }

    private struct State {
        var partitions: [Int: (messages: [Message], head: Int)] = [:]
        var streams: [String: Stream] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// A stream seen for the first time resumes after `point` (from its saved state; nil: from its start).
    public func setResume(_ stream: String, _ point: NatsResumePoint?) {
        state.withLock { $0.streams[stream, default: Stream()].resume = point }
    }

    /// Frames at the start of message `sequence` of `stream` already covered by the state it resumed from.
    public func framesToSkip(_ stream: String, sequence: UInt64) -> Int {
        state.withLock { s in
            guard let point = s.streams[stream]?.resume else { return 0 }
            if sequence < point.sequence { return Int.max }
            return sequence == point.sequence ? point.frames : 0
        }
    }

    /// A message delivered on `partition`: `frames` frames went to `stream` (nil: to none).
    public func record(partition: Int, sequence: UInt64, stream: String?, frames: Int, reply: String?) {
        state.withLock { s in
            var start = 0
            var end = 0
            if let stream {
                var entry = s.streams[stream, default: Stream()]
                start = entry.written
                end = start + frames
                entry.written = end
                s.streams[stream] = entry
            }
            let message = Message(sequence: sequence, stream: stream, start: start, end: end, reply: reply)
            if let stream, frames > 0 {
                s.streams[stream]!.messages.append(message)
                s.streams[stream]!.lastSequence = sequence
            }
            s.partitions[partition, default: ([], 0)].messages.append(message)
        }
    }

    /// The resume point of `stream` once its first `inputFrames` frames are covered (nil when it has none here).
    /// A point inside a message keeps the part of it before the point. Frames of a stream that resumed count
    /// from its resume point on.
    public func coverage(_ stream: String, inputFrames: Int) -> NatsResumePoint? {
        state.withLock { s in
            guard let entry = s.streams[stream], inputFrames > 0 else { return nil }
            var i = entry.head
            while i < entry.messages.count {
                let m = entry.messages[i]
                if inputFrames <= m.end {
                    guard inputFrames > m.start else { break }
                    // Frames of a message that resumed inside it continue the resume point's count.
                    let before = entry.resume.map { $0.sequence == m.sequence ? $0.frames : 0 } ?? 0
                    return NatsResumePoint(sequence: m.sequence, frames: before + inputFrames - m.start)
                }
                i += 1
            }
            return nil
        }
    }

    /// Saved state now covers the first `inputFrames` frames of `stream`.
    public func markSaved(_ stream: String, inputFrames: Int) {
        state.withLock { s in
            guard var entry = s.streams[stream] else { return }
            entry.saved = max(entry.saved, inputFrames)
            s.streams[stream] = entry
        }
    }

    /// For each partition, the reply subject of the last message that can be acknowledged now (every message up to
    /// it covered), removing them from the ledger.
    public func takeAcknowledgeable() -> [(partition: Int, reply: String)] {
        state.withLock { s in
            var result: [(Int, String)] = []
            for partition in s.partitions.keys.sorted() {
                var queue = s.partitions[partition]!
                var last: String?
                while queue.head < queue.messages.count {
                    let m = queue.messages[queue.head]
                    if let stream = m.stream, let entry = s.streams[stream], entry.saved < m.end { break }
                    if let stream = m.stream, m.end > m.start {
                        s.streams[stream]!.head += 1
                        Self.compact(&s.streams[stream]!)
                    }
                    last = m.reply ?? last
                    queue.head += 1
                }
                if queue.head > 1024 && queue.head * 2 > queue.messages.count {
                    queue.messages.removeFirst(queue.head)
                    queue.head = 0
                }
                s.partitions[partition] = queue
                if let last { result.append((partition, last)) }
            }
            return result
        }
    }

    private static func compact(_ entry: inout Stream) {
        if entry.head > 1024 && entry.head * 2 > entry.messages.count {
            entry.messages.removeFirst(entry.head)
            entry.head = 0
        }
    }

    /// The JetStream sequence of the message that carried input frame `frame` (0-based, this stream's count here);
    /// the newest message's for a frame at or beyond the end (the stream's end, after it was acknowledged).
    public func sequence(_ stream: String, frame: Int) -> UInt64? {
        state.withLock { s in
            guard let entry = s.streams[stream] else { return nil }
            if frame >= entry.written - 1 { return entry.lastSequence }
            var low = entry.head
            var high = entry.messages.count
            while low < high {
                let mid = (low + high) / 2
                if entry.messages[mid].end <= frame { low = mid + 1 } else { high = mid }
            }
            guard low < entry.messages.count, entry.messages[low].start <= frame else { return nil }
            return entry.messages[low].sequence
        }
    }

    /// Messages waiting for acknowledgement, all partitions.
    public var unacknowledged: Int {
        state.withLock { s in s.partitions.values.reduce(0) { $0 + $1.messages.count - $1.head } }
    }
}
