import Glibc
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline

/// The client side of the event socket, behind `grustream subscribe`: connect, send a `WATCH` line if a filter
/// is given, copy every received line to an output descriptor as it arrives, return when the server closes.
public struct EventSubscriber: Sendable {
    /// The socket `grustream subscribe TARGET` connects to: TARGET itself when it is a path (it holds a `/` or ends
    /// in `.sock`), else the events socket of the pipeline named TARGET where `grustream run` puts it
    /// (`SocketLocation.subscribePath`: this user's runtime directory, else the system service's). Without a
    /// target: the `demo` pipeline's.
    public static func socketPath(for target: String?, location: SocketLocation = .current()) -> String {
        guard let target else { return location.subscribePath("demo") }
        if target.contains("/") || target.hasSuffix(".sock") { return target }
        return location.subscribePath(target)
    }

    /// Longest event line accepted from the server (1 MiB, far above any real event, `SCORES` of hundreds of
    /// labels included); a longer one, or bytes that never end a line, stop the subscription with an error.
    public static let maximumLineBytes = 1 << 20

    public var path: String
    /// Sent right after connecting; nil sends nothing (the server's default: every class except `SCORES`).
    public var watch: WatchRequest?

    public init(path: String, watch: WatchRequest? = nil) {
        self.path = path
        self.watch = watch
    }

    /// The filter for `--class` and `--scores`: nil when neither is given.
    /// - Parameters:
    ///   - classes: the classes to receive; nil keeps the server's default set.
    ///   - scores: also receive per-frame `SCORES`.
    public static func watch(classes: [Event.Kind]?, scores: Bool) -> WatchRequest? {
        if classes == nil && !scores { return nil }
        var request = classes.map { WatchRequest(classes: Set($0)) } ?? .default
        if scores { request.classes.insert(.scores) }
        return request
    }

    /// Parse `DETECTION,ANOMALY` (case-insensitive, commas or repeated options).
    public static func parseClasses(_ names: [String]) throws(PublisherError) -> [Event.Kind] {
        var kinds: [Event.Kind] = []
        for name in names.flatMap({ $0.split(separator: ",") }) {
            let trimmed = name.trimmingWhitespace().uppercased()
            guard let kind = Event.Kind(rawValue: trimmed) else {
                let allowed = Event.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw PublisherError("unknown event class \"\(name)\"; expected some of \(allowed)")
            }
            kinds.append(kind)
        }
        return kinds
    }

    /// Connect and copy lines to `output` until the server closes (returns normally) or the output goes away
    /// (`EPIPE`, e.g. `| head`: returns normally too). Throws when it cannot connect or the connection fails.
    public func run(output: Int32 = STDOUT_FILENO) throws(PublisherError) {
        _ = POSIX.ignoreSIGPIPE
        let address = try ListeningSocket.address(path)
        let fd = UnixListener.connect(address)
        guard fd >= 0 else {
            let code = errno
            let hint =
                code == ENOENT || code == ECONNREFUSED
                ? "is grustream running with a unix sink?"
                : code == EACCES ? "is your user in the socket's group?" : nil
            throw PublisherError(
                "cannot connect to \(path): \(POSIX.message(code))" + (hint.map { " (\($0))" } ?? ""))
        }
        defer { Glibc.close(fd) }
        if let watch {
            let line = Array(watch.line().utf8)
            let code = line.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = POSIX.retrying {
                        send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                    }
                    if n < 0 { return errno }
                    offset += n
                }
                return 0
            }
            if code != 0 { throw PublisherError("\(path): cannot send the WATCH request: \(POSIX.message(code))") }
        }
        try copyLines(from: fd, to: output)
    }

    /// Write each complete line as soon as it is received (one `write(2)` per batch of whole lines). The buffer
    /// holds at most `maximumLineBytes`.
    private func copyLines(from fd: Int32, to output: Int32) throws(PublisherError) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var filled = 0
        while true {
            if filled == buffer.count {  // complete lines were written: the buffer holds one unfinished line
                guard buffer.count < Self.maximumLineBytes else {
                    throw PublisherError(
                        "\(path): the server sent more than \(Self.maximumLineBytes) bytes without a newline (expected "
                            + "JSON Lines events; is this a grustream event socket?)", isBadInput: true)
                }
                buffer.append(
                    contentsOf: repeatElement(0, count: min(buffer.count, Self.maximumLineBytes - buffer.count)))
            }
            let n = buffer.withUnsafeMutableBytes { raw in
                POSIX.retrying { recv(fd, raw.baseAddress! + filled, raw.count - filled, 0) }
            }
            if n < 0 {
                if errno == ECONNRESET { break }  // the server went away: same as a close
                throw PublisherError.system(path, "connection failed")
            }
            if n == 0 { break }
            let searchStart = filled
            filled += n
            guard let lastNewline = buffer[searchStart..<filled].lastIndex(of: 0x0A) else { continue }
            let complete = lastNewline + 1
            let code = buffer.withUnsafeBytes {
                POSIX.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<complete]))
            }
            if code == EPIPE { return }
            if code != 0 { throw PublisherError("cannot write events: \(POSIX.message(code))") }
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + complete, byteCount: filled - complete)
            }
            filled -= complete
        }
        if filled > 0 {  // a last line without its newline: print what came
            let code = buffer.withUnsafeBytes {
                POSIX.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<filled]))
            }
            if code != 0 && code != EPIPE { throw PublisherError("cannot write events: \(POSIX.message(code))") }
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
