import Foundation

/// A `nats-server` of the test's own on loopback (a random port, JetStream optional), stopped when the object
/// goes. The server binary comes from the `nats-server` Debian package (scripts/ensure-deps installs it).
public final class NatsTestServer {
    public let url: String
    private let process: Process
    private let folder: URL

    /// Starts the server and waits (at most 10 s) until it has written the port it listens on.
    public init(jetStream: Bool = false) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gs-nats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard
            let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"].first(where: {
                FileManager.default.isExecutableFile(atPath: $0)
            })
        else { throw TestServerError("nats-server is not installed (scripts/ensure-deps installs it)") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = ["-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", folder.path]
        if jetStream { arguments += ["-js", "-sd", folder.appendingPathComponent("js").path] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        var found: String?
        while found == nil && Date() < deadline && process.isRunning {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            if let ports = files.first(where: { $0.hasSuffix(".ports") }),
                let data = FileManager.default.contents(atPath: folder.appendingPathComponent(ports).path),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let urls = object["nats"] as? [String], let first = urls.first
            {
                found = first
            } else {
                usleep(20_000)
            }
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            throw TestServerError("nats-server did not start within 10 s")
        }
        url = found
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }
}

public struct TestServerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
