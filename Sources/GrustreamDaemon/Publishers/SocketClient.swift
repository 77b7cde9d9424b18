import Glibc
import GrustreamIO
import GrustreamPipeline

/// One connected subscriber, owned by the publisher's I/O thread: its filter, its bounded output queue and
/// the partial request line it is sending.
final class SocketClient {
    let fd: Int32
    /// Unique within its publisher, from 1 (answers to a client's commands are addressed by it).
    let id: Int
    /// Lines published before this sequence number predate the connection and are not sent.
    let firstSequence: UInt64
    var watch = WatchRequest.default
    /// Bytes waiting to be sent; `outbound[sent...]` is still queued.
    private(set) var outbound: [UInt8] = []
    private var sent = 0
    /// The request line being received (no `\n` yet).
    private var inbound: [UInt8] = []
    /// The client shut down its sending side; it may still read.
    var readClosed = false
    /// Stop queueing events and close once the queue is sent (after a fatal request error).
    var closeAfterFlush = false

    /// Longest request line accepted; longer is garbage and the client is closed.
    static let maximumRequestBytes = 4096

    init(fd: Int32, id: Int, firstSequence: UInt64) {
        self.fd = fd
        self.id = id
        self.firstSequence = firstSequence
        outbound.reserveCapacity(4096)
    }

    var queuedBytes: Int { outbound.count - sent }

    /// Queue `line` unless that would pass `limit` bytes; false means the client is too slow. An empty queue
    /// takes any line, so one line longer than the limit (a huge SCORES) does not drop every client.
    func enqueue(_ line: UnsafeRawBufferPointer, limit: Int) -> Bool {
        guard queuedBytes == 0 || queuedBytes + line.count <= limit else { return false }
        outbound.append(contentsOf: line)
        return true
    }

    enum SendResult { case drained, pending, failed }

    /// Send as much as the socket takes now without blocking.
    func flush() -> SendResult {
        while sent < outbound.count {
            let n = outbound.withUnsafeBytes { raw in
                POSIX.retrying {
                    send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                }
            }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return .failed  // EPIPE, ECONNRESET: the client went away
            }
            sent += n
        }
        if sent == outbound.count {
            outbound.removeAll(keepingCapacity: true)
            sent = 0
            return .drained
        }
        if sent >= 65536 && sent * 2 >= outbound.count {  // keep the queue from creeping forward forever
            outbound.removeSubrange(0..<sent)
            sent = 0
        }
        return .pending
    }

    enum ReadResult { case open, endOfInput, failed, tooLong }

    /// Read what the client sent; call `onLine` for each complete line (without `\n`).
    func receive(scratch: inout [UInt8], onLine: ([UInt8]) -> Void) -> ReadResult {
        while true {
            let n = scratch.withUnsafeMutableBytes { raw in
                POSIX.retrying { recv(fd, raw.baseAddress!, raw.count, Int32(MSG_DONTWAIT)) }
            }
            if n == 0 { return .endOfInput }
            if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? .open : .failed }
            for byte in scratch[0..<n] {
                if byte == 0x0A {
                    onLine(inbound)
                    inbound.removeAll(keepingCapacity: true)
                } else {
                    inbound.append(byte)
                    if inbound.count > Self.maximumRequestBytes { return .tooLong }
                }
            }
            if n < scratch.count { return .open }
        }
    }
}
