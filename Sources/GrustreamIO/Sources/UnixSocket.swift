#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Unix-domain socket plumbing for `UnixSocketSource`.
enum UnixSocket {
    /// A listening, non-blocking stream socket at `path`. A stale socket file (nobody accepting) is removed
    /// and replaced; a live one, or a path that is not a socket, is refused with a clear message. `mode` and
    /// `group` are set between bind and listen, so nobody connects before they are in force.
    static func listen(path: String, name: String, mode: UInt32? = nil, group: UInt32? = nil) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity, !path.isEmpty else {
            throw CaptureError("\(name): socket path is \(path.utf8.count) bytes, expected 1 to \(capacity - 1)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        func attempt() throws -> Int32 {
            let fd = try call("socket") {
                socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            }
            do {
                _ = try call("bind") {
                    withUnsafePointer(to: &address) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
                    }
                }
                if let mode { _ = try call("chmod") { chmod(path, mode_t(mode)) } }
                if let group { _ = try call("chown") { chown(path, uid_t.max, gid_t(group)) } }
                _ = try call("listen") { Glibc.listen(fd, 1024) }
                return fd
            } catch {
                close(fd)
                throw error
            }
        }
        func call(_ function: StaticString, _ body: () -> Int32) throws -> Int32 {
            do { return try POSIX.call(function, context: name, body) } catch let failure as POSIXFailure {
                if failure.code == EADDRINUSE { throw failure }
                throw CaptureError(
                    "\(name): cannot listen: \(function) failed: \(POSIX.message(failure.code))\(hint(failure.code))")
            }
        }
        func hint(_ code: Int32) -> String {
            code == EACCES
                ? " (check the permissions of the directory, or use a path under /run/grustream)"
                : code == ENOENT ? " (the directory does not exist)" : ""
        }
        do { return try attempt() } catch let failure as POSIXFailure where failure.code == EADDRINUSE {
            var status = stat()
            guard lstat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFSOCK else {
                throw CaptureError("\(name): \(path) exists and is not a socket; remove it or choose another path")
            }
            if isAlive(&address, length: length) {
                throw CaptureError(
                    "\(name): socket is in use by another process (a connection to it succeeded); stop that process or choose another path"
                )
            }
            unlink(path)  // stale: left behind by a process that died
            return try attempt()
        }
    }

    /// True when something accepts connections on the socket at `address`.
    private static func isAlive(_ address: inout sockaddr_un, length: socklen_t) -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, length) }
        }
        return result == 0 || errno == EAGAIN  // EAGAIN: alive, backlog full
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
