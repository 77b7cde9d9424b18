import Glibc
import GrustreamIO

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

    /// A `sockaddr_un` for `path`, or an error when the path is empty or does not fit `sun_path` (108 bytes with
    /// its NUL).
    static func address(_ path: String) throws(PublisherError) -> sockaddr_un {
        do {
            return try UnixListener.address(path)
        } catch {
            guard case .pathLength(let bytes, let capacity) = error, bytes > 0 else {
                throw PublisherError("unix socket: empty path")
            }
            throw PublisherError(
                "\(path): a Unix socket path can be at most \(capacity - 1) bytes, this one is \(bytes) "
                    + "(choose a shorter path, e.g. /run/grustream/NAME.sock)")
        }
    }

    /// A non-blocking listening fd at `path`, made by `UnixListener`: stale-file replacement, mode and group set
    /// before listen(), and the path appears only once the socket accepts connections.
    static func create(path: String, mode: String, group: String?, backlog: Int32) throws(PublisherError) -> Int32 {
        _ = try address(path)
        let permissions = try parseMode(mode, path: path)
        let groupID = try group.map { name throws(PublisherError) in try lookUpGroup(name, path: path) }
        do {
            return try UnixListener.listen(path: path, mode: permissions, group: groupID, backlog: backlog)
        } catch {
            throw describe(error, path: path, mode: mode, group: group)
        }
    }

    private static func describe(_ failure: UnixListener.Failure, path: String, mode: String, group: String?)
        -> PublisherError
    {
        switch failure {
        case .pathLength(_, let capacity):
            return PublisherError(
                "\(path): the socket's temporary name in this directory does not fit the \(capacity - 1) bytes of a "
                    + "Unix socket path (choose a longer file name or a shorter directory)")
        case .notASocket:
            return PublisherError("\(path): exists and is not a socket; refusing to replace it (choose another path)")
        case .inUse(backlogFull: false):
            return PublisherError(
                "\(path): another process is listening on this socket (is grustream already running?); "
                    + "stop it or choose another socket path")
        case .inUse(backlogFull: true):
            return PublisherError("\(path): another process is listening on this socket (its backlog is full)")
        case .system(let step, let code):
            switch step {
            case .bind:
                let hint: String? =
                    switch code {
                    case ENOENT: "does the directory exist? systemd's RuntimeDirectory=grustream makes /run/grustream"
                    case EACCES: "the daemon's user may not create files in that directory"
                    default: nil
                    }
                return .system(path, "cannot bind", errno: code, hint: hint)
            case .chmod: return .system(path, "cannot set mode \(mode)", errno: code)
            case .chown:
                return .system(
                    path, "cannot set group \"\(group ?? "")\"", errno: code,
                    hint: "the daemon's user must belong to that group")
            case .listen: return .system(path, "cannot listen", errno: code)
            case .rename: return .system(path, "cannot move the listening socket onto the path", errno: code)
            case .lstat: return .system(path, "cannot inspect the socket path", errno: code)
            case .connect: return .system(path, "cannot check whether the existing socket is in use", errno: code)
            case .socket: return .system(path, "cannot create a socket", errno: code)
            }
        }
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

    static func parseMode(_ mode: String, path: String) throws(PublisherError) -> mode_t {
        guard let value = UnixListener.mode(mode) else {
            throw PublisherError("\(path): socket mode \"\(mode)\" is not an octal permission like \"0660\"")
        }
        return value
    }

    static func lookUpGroup(_ name: String, path: String) throws(PublisherError) -> gid_t {
        let (id, code) = UnixListener.groupID(named: name)
        guard let id else {
            throw PublisherError(
                "\(path): group \"\(name)\" does not exist" + (code == 0 ? "" : " (\(POSIX.message(code)))")
                    + "; create it (groupadd \(name)) or change the sink's group")
        }
        return id
    }
}
