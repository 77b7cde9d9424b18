#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Unix-domain socket plumbing for `UnixSocketSource`.
enum UnixSocket {
    /// A listening, non-blocking stream socket at `path` (`UnixListener`). A stale socket file (nobody
    /// accepting) is replaced; a live one, or a path that is not a socket, is refused with a clear message.
    static func listen(path: String, name: String, mode: UInt32? = nil, group: UInt32? = nil) throws -> Int32 {
        do {
            return try UnixListener.listen(
                path: path, mode: mode.map { mode_t($0) }, group: group.map { gid_t($0) }, backlog: 1024)
        } catch {
            switch error {
            case .pathLength(let bytes, let capacity):
                throw InputError("\(name): socket path is \(bytes) bytes, expected 1 to \(capacity - 1)")
            case .notASocket:
                throw InputError("\(name): \(path) exists and is not a socket; remove it or choose another path")
            case .inUse:
                throw InputError(
                    "\(name): socket is in use by another process (a connection to it succeeded); stop that process or choose another path"
                )
            case .system(let step, let code):
                throw InputError(
                    "\(name): cannot listen: \(step.rawValue) failed: \(POSIX.message(code))\(hint(code))")
            }
        }
        func hint(_ code: Int32) -> String {
            code == EACCES
                ? " (check the permissions of the directory, or use a path under /run/grustream)"
                : code == ENOENT ? " (the directory does not exist)" : ""
        }
    }

    /// Many producers need many descriptors: raise the soft RLIMIT_NOFILE towards the hard limit.
    static func raiseDescriptorLimit(toAtLeast wanted: Int) {
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(limit.rlim_max, rlim_t(wanted))
        _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
    }

    #if canImport(Glibc)
        private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
        private static let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
    #endif
}
