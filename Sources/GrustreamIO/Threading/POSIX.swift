#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The one place where POSIX return codes become `CaptureError`s (as NIO's `syscall(where:)`):
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
}

/// A failed system call, kept apart from `CaptureError` so callers can look at `code` (EAGAIN,
/// EADDRINUSE, ...) before turning it into a message with `captureError`.
struct POSIXFailure: Error {
    var function: String
    var code: Int32
    var context: String

    var captureError: CaptureError {
        let prefix = context.isEmpty ? "" : "\(context): "
        return CaptureError("\(prefix)\(function) failed: \(POSIX.message(code))")
    }
}
