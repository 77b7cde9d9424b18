#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one place where POSIX return codes become `InputError`s (as NIO's `syscall(where:)`):
/// a call returning −1 is retried on EINTR and otherwise throws `where: strerror(errno)`.
package enum POSIX {
    /// Run `body` (a system call returning −1 with `errno` on failure). `context` names the source.
    @discardableResult
    static func call<T: FixedWidthInteger>(
        _ function: StaticString, context: String = "", _ body: () -> T
    ) throws -> T {
        let result = retrying(body)
        if result != -1 { return result }
        throw POSIXFailure(function: "\(function)", code: errno, context: context)
    }

    /// Run `body` again while it fails with `EINTR`; return its result (−1 with `errno` set on failure).
    @inline(__always)
    package static func retrying<T: BinaryInteger>(_ body: () -> T) -> T {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// `strerror` as a Swift string.
    package static func message(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Ignore SIGPIPE once for the whole process: a vanished reader must give `EPIPE`, not kill the daemon.
    package static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Write all of `bytes` to `fd`, retrying on `EINTR` and partial writes; a non-blocking fd that is full is
    /// waited for (up to 1 s per poll). Returns 0 or an errno.
    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let n = retrying { write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK {
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
    package static func makeNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    /// Make `fd` blocking (a listening socket served by a thread that waits in `accept`).
    package static func makeBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
    }
}

/// A failed system call, kept apart from `InputError` so callers can look at `code` (EAGAIN,
/// EADDRINUSE, ...) before turning it into a message with `inputError`.
struct POSIXFailure: Error {
    var function: String
    var code: Int32
    var context: String

    var inputError: InputError {
        let prefix = context.isEmpty ? "" : "\(context): "
        return InputError("\(prefix)\(function) failed: \(POSIX.message(code))")
    }
}
