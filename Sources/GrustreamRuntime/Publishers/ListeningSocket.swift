import Glibc

/// Making (or adopting) the listening Unix socket: path checks, stale-file replacement, permissions.
enum ListeningSocket {
    /// Identity of a file, to remove at exit only the socket file this process made.
    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    static func identity(of path: String) -> Identity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Socket, bind, chmod, chown, listen. Returns a non-blocking listening fd.
    static func create(path: String, mode: String, group: String?, backlog: Int32) throws(PublisherError) -> Int32 {
        var address = try Posix.unixAddress(path)
        let permissions = try parseMode(mode, path: path)
        let groupID = try group.map { name throws(PublisherError) in try lookUpGroup(name, path: path) }
        try removeStaleSocket(path, address: address)

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw PublisherError.system(path, "cannot create a socket") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            let hint: String? =
                switch code {
                case ENOENT: "does the directory exist? systemd's RuntimeDirectory=grustream makes /run/grustream"
                case EACCES: "the daemon's user may not create files in that directory"
                case EADDRINUSE: "another process made this socket just now"
                default: nil
                }
            throw PublisherError.system(path, "cannot bind", errno: code, hint: hint)
        }
        // Permissions before listen(): nobody can connect in between.
        var failure: PublisherError?
        if chmod(path, permissions) != 0 {
            failure = PublisherError.system(path, "cannot set mode \(mode)")
        } else if let groupID, chown(path, uid_t.max, groupID) != 0 {
            failure = PublisherError.system(
                path, "cannot set group \"\(group!)\"", hint: "the daemon's user must belong to that group")
        } else if listen(fd, backlog) != 0 {
            failure = PublisherError.system(path, "cannot listen")
        }
        if let failure {
            Glibc.close(fd)
            unlink(path)
            throw failure
        }
        return fd
    }

    /// Check that an inherited fd is a listening stream socket, and make it non-blocking.
    static func validateAdopted(_ fd: Int32) throws(PublisherError) {
        let name = "listening fd \(fd)"
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PublisherError.system(name, "not an open file descriptor") }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw PublisherError("\(name): not a socket (check the ListenStream= of the .socket unit)")
        }
        var accepting: Int32 = 0
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 else {
            throw PublisherError.system(name, "getsockopt(SO_ACCEPTCONN)")
        }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 else {
            throw PublisherError.system(name, "getsockopt(SO_TYPE)")
        }
        guard accepting == 1, type == Int32(SOCK_STREAM.rawValue) else {
            throw PublisherError("\(name): not a listening stream socket (the .socket unit needs ListenStream=)")
        }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw PublisherError.system(name, "cannot make it non-blocking")
        }
    }

    /// `"0660"` → 0o660. Accepts 3 or 4 octal digits.
    static func parseMode(_ mode: String, path: String) throws(PublisherError) -> mode_t {
        guard (1...4).contains(mode.count), let value = UInt32(mode, radix: 8), value <= 0o777 else {
            throw PublisherError("\(path): socket mode \"\(mode)\" is not an octal permission like \"0660\"")
        }
        return mode_t(value)
    }

    static func lookUpGroup(_ name: String, path: String) throws(PublisherError) -> gid_t {
        var group = Glibc.group()
        var buffer = [CChar](repeating: 0, count: 16384)
        var result: UnsafeMutablePointer<Glibc.group>?
        let rc = getgrnam_r(name, &group, &buffer, buffer.count, &result)
        guard rc == 0, let entry = result else {
            throw PublisherError(
                "\(path): group \"\(name)\" does not exist" + (rc == 0 ? "" : " (\(Posix.describe(rc)))")
                    + "; create it (groupadd \(name)) or change the sink's group")
        }
        return entry.pointee.gr_gid
    }

    /// Remove a socket file nobody accepts on (left by a crashed run); refuse a live one or a non-socket.
    static func removeStaleSocket(_ path: String, address: sockaddr_un) throws(PublisherError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw PublisherError.system(path, "cannot inspect the socket path")
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw PublisherError("\(path): exists and is not a socket; refusing to replace it (choose another path)")
        }
        let probe = Posix.connectUnix(address)
        if probe >= 0 {
            Glibc.close(probe)
            throw PublisherError(
                "\(path): another process is listening on this socket (is grustream already running?); "
                    + "stop it or choose another socket path")
        }
        let code = errno
        switch code {
        case ECONNREFUSED:  // stale: nobody listens
            guard unlink(path) == 0 || errno == ENOENT else {
                throw PublisherError.system(path, "cannot remove the stale socket file")
            }
        case EAGAIN:  // listening, backlog full: live
            throw PublisherError("\(path): another process is listening on this socket (its backlog is full)")
        default:
            throw PublisherError.system(path, "cannot check whether the existing socket is in use", errno: code)
        }
    }
}
