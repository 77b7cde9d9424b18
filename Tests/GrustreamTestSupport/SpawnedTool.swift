import Foundation

/// The built `grustream` running in the background: write to its stdin while it runs, watch its output, signal it,
/// then collect everything it printed. For tests of live behaviour (chunked input, sockets, signals).
public final class SpawnedTool: @unchecked Sendable {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()

    /// - launcher: a command that runs the binary (`["/usr/bin/setpriv", "--reuid=65534", ...]`): the binary's
    ///   path and `arguments` follow it.
    public init(_ arguments: [String], environment: [String: String]? = nil, launcher: [String] = []) throws {
        if let first = launcher.first {
            process.executableURL = URL(fileURLWithPath: first)
            process.arguments = Array(launcher.dropFirst()) + [CommandLineTool.executable.path] + arguments
        } else {
            process.executableURL = CommandLineTool.executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = Fixtures.repositoryRoot
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        for (handle, isStdout) in [(output.fileHandleForReading, true), (errors.fileHandleForReading, false)] {
            group.enter()
            DispatchQueue.global().async { [self] in
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    lock.lock()
                    if isStdout { stdoutData.append(chunk) } else { stderrData.append(chunk) }
                    lock.unlock()
                }
                group.leave()
            }
        }
    }

    public func write(_ data: some DataProtocol) { try? input.fileHandleForWriting.write(contentsOf: Data(data)) }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// What it has printed on stdout so far.
    public var outputSoFar: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: stdoutData, as: UTF8.self)
    }

    /// Wait until `condition(stdout so far)` holds, at most `timeout` seconds.
    public func waitForOutput(timeout: Double = 30, _ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition(outputSoFar) { return true }
            usleep(20_000)
        }
        return condition(outputSoFar)
    }

    /// Close stdin, wait (at most `timeout` s, then kill), return what it printed.
    public func finish(timeout: Double = 30) -> CommandLineTool.Result {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        group.wait()
        lock.lock()
        defer { lock.unlock() }
        return CommandLineTool.Result(
            status: process.terminationStatus, stdout: stdoutData, stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
