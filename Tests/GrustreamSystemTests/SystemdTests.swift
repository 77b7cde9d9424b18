import Foundation
import GrustreamDaemon
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A datagram socket bound like systemd's notify socket; reads what the notifier sends.
final class NotifyListener {
    let fd: Int32
    let name: String

    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let unique = "grustream-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        name = abstract ? "@" + unique : NSTemporaryDirectory() + unique + ".sock"
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard rc == 0 else { throw CocoaError(.fileWriteUnknown) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    deinit {
        close(fd)
        if !name.hasPrefix("@") { unlink(name) }
    }
}

@Suite("systemd notify and socket activation")
struct SystemdTests {
    @Test(arguments: [false, true])
    func notifierSendsTheProtocolMessages(abstract: Bool) throws {
        let listener = try NotifyListener(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": listener.name])
        #expect(notifier.isActive)
        notifier.ready(status: "listening")
        #expect(listener.receive() == "READY=1\nSTATUS=listening")
        notifier.watchdog()
        #expect(listener.receive() == "WATCHDOG=1")
        notifier.reloading()
        let reload = listener.receive() ?? ""
        #expect(reload.hasPrefix("RELOADING=1\nMONOTONIC_USEC="), "\(reload)")
        notifier.stopping()
        #expect(listener.receive() == "STOPPING=1")
    }

    @Test func withoutNotifySocketNothingIsSent() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isActive)
        #expect(!notifier.notify("READY=1"))
    }

    @Test func watchdogIntervalHonoursWatchdogPid() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "20000000"]) == 20)
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "\(getpid())"])
                == 20)
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
    }

    @Test func socketActivationReadsDescriptorsForThisProcessOnly() {
        let mine = SocketActivation(environment: [
            "LISTEN_PID": "\(getpid())", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "kws.sock:other",
        ])
        #expect(mine.sockets.map(\.fd) == [3, 4])
        #expect(mine.descriptor(named: "other") == 4)
        #expect(mine.descriptor(named: "missing") == nil)
        let theirs = SocketActivation(environment: ["LISTEN_PID": "1", "LISTEN_FDS": "1"])
        #expect(theirs.sockets.isEmpty)
        let single = SocketActivation(environment: ["LISTEN_PID": "\(getpid())", "LISTEN_FDS": "1"])
        #expect(single.descriptor(named: "anything") == 3)
    }
}
