#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The listening Unix-domain stream socket shared by the socket source, the event publisher and the Wyoming
/// server: stale-file probe, bind, permissions, listen, and an atomic appearance of the path.
///
/// The socket is bound and made listening under a temporary name in the same directory, with its mode and group
/// applied before `listen(2)`, and then renamed onto the final path. The path therefore only ever names a socket
/// that accepts connections: a client that polls for the file and connects as soon as it exists never gets
/// `ECONNREFUSED`. The temporary name is removed on every failure.
public enum UnixListener {
    /// Why a listening socket could not be made. Callers turn it into their own one-line message.
    public enum Failure: Error, Equatable, Sendable {
        /// The path is empty or does not fit `sun_path` (`capacity` bytes including the NUL).
        case pathLength(bytes: Int, capacity: Int)
        /// Something that is not a socket exists at the path; it is left alone.
        case notASocket
        /// A process accepts connections on the socket at the path; `backlogFull` when connect said EAGAIN.
        case inUse(backlogFull: Bool)
        /// A system call failed: `step` names the call, `code` is its errno.
        case system(step: Step, code: Int32)
    }

    /// The system calls of `listen(path:mode:group:backlog:)`, in order: probing the path (`lstat`,
    /// `connect`), then making the socket under its temporary name and moving it onto the path.
    public enum Step: String, Sendable {
        case lstat, connect, socket, bind, chmod, chown, listen, rename
    }

    /// A non-blocking, close-on-exec listening socket at `path`. A socket file nobody accepts on (left by a
    /// process that died) is replaced; a live socket or a file that is not a socket is refused.
    public static func listen(path: String, mode: mode_t? = nil, group: gid_t? = nil, backlog: Int32) throws(Failure)
        -> Int32
    {
        let target = try address(path)
        try probeExisting(path, target)
        let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
        let directory = slash.map { String(decoding: path.utf8[...$0], as: UTF8.self) } ?? ""
        var lastFailure = Failure.system(step: .bind, code: EADDRINUSE)
        for _ in 0..<8 {
            let temporary = try temporaryName(in: directory, finalLength: path.utf8.count)
            do {
                return try listenUnderTemporaryName(temporary, renamingTo: path, mode: mode, group: group, backlog)
            } catch .system(step: .bind, code: EADDRINUSE) {
                continue  // the random name is taken: draw another
            } catch {
                lastFailure = error
                break
            }
        }
        throw lastFailure
    }

    /// A `sockaddr_un` for `path`.
    public static func address(_ path: String) throws(Failure) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw .pathLength(bytes: bytes.count, capacity: capacity)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// `connect(2)` a new blocking stream socket to `address` (retrying EINTR); the fd, or −1 with `errno` set.
    public static func connect(_ address: sockaddr_un) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var address = address
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                POSIX.retrying { Glibc.connect(fd, generic, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        if result != 0 {
            let saved = errno
            close(fd)
            errno = saved
            return -1
        }
        return fd
    }

    /// Refuse a live socket or a non-socket at `path`; a stale socket (connect refused) is left for the rename
    /// to replace.
    static func probeExisting(_ path: String, _ target: sockaddr_un) throws(Failure) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw .system(step: .lstat, code: errno)
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket }
        let probe = connect(target)
        if probe >= 0 {
            close(probe)
            throw .inUse(backlogFull: false)
        }
        switch errno {
        case ECONNREFUSED, ENOENT: return  // stale, or removed meanwhile
        case EAGAIN: throw .inUse(backlogFull: true)
        case let code: throw .system(step: .connect, code: code)
        }
    }

    private static func listenUnderTemporaryName(
        _ temporary: String, renamingTo path: String, mode: mode_t?, group: gid_t?, _ backlog: Int32
    ) throws(Failure) -> Int32 {
        var address = try address(temporary)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(step: .socket, code: errno) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw .system(step: .bind, code: code)
        }
        var failure: Failure?
        if let mode, chmod(temporary, mode) != 0 {
            failure = .system(step: .chmod, code: errno)
        } else if let group, chown(temporary, uid_t.max, group) != 0 {
            failure = .system(step: .chown, code: errno)
        } else if Glibc.listen(fd, backlog) != 0 {
            failure = .system(step: .listen, code: errno)
        } else if rename(temporary, path) != 0 {
            failure = .system(step: .rename, code: errno)
        }
        if let failure {
            close(fd)
            unlink(temporary)
            throw failure
        }
        return fd
    }

    /// `<directory>.gs-XXXXXXXX`: random, hidden, short enough for `sun_path` whenever the final path fits and
    /// its file name has at least 8 bytes; shorter suffixes (down to 3 characters) otherwise.
    private static func temporaryName(in directory: String, finalLength: Int) throws(Failure) -> String {
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        let room = capacity - 1 - directory.utf8.count - ".gs-".utf8.count
        guard room >= 3 else { throw .pathLength(bytes: finalLength, capacity: capacity - (3 - room)) }
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let suffix = (0..<min(room, 8)).map { _ in alphabet.randomElement()! }
        return directory + ".gs-" + String(decoding: suffix, as: UTF8.self)
    }

    /// A socket permission written as 3 or 4 octal digits (`"0660"` → 0o660), at most 0777; nil otherwise.
    public static func mode(_ text: String) -> mode_t? {
        guard (1...4).contains(text.count), let value = UInt32(text, radix: 8), value <= 0o777 else { return nil }
        return mode_t(value)
    }

    /// The id of the group called `name`, or nil with `code` = getgrnam_r's error (0: there is no such group).
    public static func groupID(named name: String) -> (id: gid_t?, code: Int32) {
        var group = Glibc.group()
        var buffer = [CChar](repeating: 0, count: 16384)
        var result: UnsafeMutablePointer<Glibc.group>?
        let rc = getgrnam_r(name, &group, &buffer, buffer.count, &result)
        guard rc == 0, let entry = result else { return (nil, rc) }
        return (entry.pointee.gr_gid, 0)
    }
}
