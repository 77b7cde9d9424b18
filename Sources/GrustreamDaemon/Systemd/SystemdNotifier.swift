#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `sd_notify(3)` without libsystemd: datagrams to `$NOTIFY_SOCKET` (a path, or `@name` for the abstract
/// namespace). With no `NOTIFY_SOCKET` (not under systemd, or not `Type=notify`) every call does nothing.
/// Safe to call from several threads (the address is immutable; each call is one `sendto`).
public final class SystemdNotifier: @unchecked Sendable {
    private let fd: Int32
    private let address: sockaddr_un
    private let addressLength: socklen_t
    /// The socket named by the environment, or nil.
    public let socketPath: String?

    /// `environment`: defaults to the process's; tests pass their own.
    public init(environment: [String: String]? = nil) {
        let path = environment.map { $0["NOTIFY_SOCKET"] } ?? getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        var address = sockaddr_un()
        guard let path, !path.isEmpty, path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            self.address = address
            socketPath = nil
            fd = -1
            addressLength = 0
            return
        }
        socketPath = path
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        self.address = address
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Whether a notify socket is configured.
    public var isActive: Bool { fd >= 0 }

    /// Send newline-separated `KEY=VALUE` assignments in one datagram. Returns false if it could not be sent.
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard fd >= 0 else { return false }
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, addressLength) }
            }
        }
        return sent == bytes.count
    }

    public func ready(status: String? = nil) { notify(status.map { "READY=1\nSTATUS=\($0)" } ?? "READY=1") }
    public func status(_ text: String) { notify("STATUS=\(text)") }
    public func watchdog() { notify("WATCHDOG=1") }
    public func stopping() { notify("STOPPING=1") }
    /// Start of a reload: `RELOADING=1` with the monotonic time systemd ≥ 253 asks for.
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        notify("RELOADING=1\nMONOTONIC_USEC=\(Int(now.tv_sec) * 1_000_000 + Int(now.tv_nsec) / 1000)")
    }

    /// The watchdog interval systemd expects pets within (`WATCHDOG_USEC`, checked against `WATCHDOG_PID`), in seconds.
    public static func watchdogInterval(environment: [String: String]? = nil) -> Double? {
        func get(_ key: String) -> String? { environment.map { $0[key] } ?? getenv(key).map { String(cString: $0) } }
        guard let text = get("WATCHDOG_USEC"), let usec = Double(text), usec > 0 else { return nil }
        if let pid = get("WATCHDOG_PID"), Int32(pid) != getpid() { return nil }
        return usec / 1_000_000
    }
}
