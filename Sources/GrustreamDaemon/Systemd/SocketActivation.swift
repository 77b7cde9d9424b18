#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Listening sockets passed by systemd socket activation (`sd_listen_fds(3)`): descriptors 3…3+N−1 when
/// `LISTEN_PID` is this process, named by `LISTEN_FDNAMES`.
public struct SocketActivation: Sendable {
    /// First passed descriptor (`SD_LISTEN_FDS_START`).
    public static let firstDescriptor: Int32 = 3
    /// (descriptor, name) of each passed socket; empty when not socket-activated.
    public let sockets: [(fd: Int32, name: String)]

    /// Reads the environment; `unsetEnvironment` clears the variables so children don't inherit them.
    public init(environment: [String: String]? = nil, unsetEnvironment: Bool = false) {
        func get(_ key: String) -> String? { environment.map { $0[key] } ?? getenv(key).map { String(cString: $0) } }
        defer {
            if unsetEnvironment { for key in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(key) } }
        }
        guard let pidText = get("LISTEN_PID"), let pid = Int32(pidText), pid == getpid(),
            let countText = get("LISTEN_FDS"), let count = Int(countText), count > 0
        else {
            sockets = []
            return
        }
        let names =
            get("LISTEN_FDNAMES")?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
        sockets = (0..<count).map { i in
            let fd = Self.firstDescriptor + Int32(i)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            return (fd, i < names.count ? names[i] : "unknown")
        }
    }

    /// The socket with this name, or the only one when there is just one; nil when none was passed.
    public func descriptor(named name: String) -> Int32? {
        if let match = sockets.first(where: { $0.name == name }) { return match.fd }
        return sockets.count == 1 ? sockets[0].fd : nil
    }
}
