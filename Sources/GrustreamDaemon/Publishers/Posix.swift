import Glibc
import GrustreamIO

/// Socket helpers of the publishers and the subscriber (the EINTR loop and `strerror` are `POSIX`'s).
enum Posix {
    /// Ignore SIGPIPE once for the whole process: a vanished reader must give `EPIPE`, not kill the daemon.
    static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// A `sockaddr_un` for `path`, or an error when the path does not fit `sun_path` (108 bytes with its NUL).
    static func unixAddress(_ path: String) throws(PublisherError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty else { throw PublisherError("unix socket: empty path") }
        guard bytes.count < capacity else {
            throw PublisherError(
                "\(path): a Unix socket path can be at most \(capacity - 1) bytes, this one is \(bytes.count) "
                    + "(choose a shorter path, e.g. /run/grustream/NAME.sock)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// `connect(2)` a new `SOCK_STREAM` socket to `path`; returns the fd or −1 with `errno` set.
    static func connectUnix(_ address: sockaddr_un) -> Int32 { UnixListener.connect(address) }

    /// Write all of `bytes` to a blocking fd, retrying on `EINTR` and partial writes. Returns 0 or an errno.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {  // a non-blocking stdout: wait until writable
                    var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&entry, 1, 1000)
                    continue
                }
                return errno
            }
            offset += n
        }
        return 0
    }

    /// Make `fd` non-blocking and close-on-exec (what `accept4`/`pipe2` flags would do; those are GNU-only).
    static func makeNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Make `fd` blocking (a listening socket served by a thread that waits in `accept`).
    static func makeBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
    }

}
