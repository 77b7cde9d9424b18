import Foundation

/// The built `grustream` running in the background: write to its stdin while it runs, signal it, then collect
/// its output. For tests of live behaviour (chunked input, sockets, signals).
public final class SpawnedTool: @unchecked Sendable {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    private let group = DispatchGroup()
    private var stdoutData = Data()
    private var stderrData = Data()

    public init(_ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = CommandLineTool.executable
        process.arguments = arguments
        process.currentDirectoryURL = Fixtures.repositoryRoot
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        group.enter()
        DispatchQueue.global().async { [self] in stdoutData = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { [self] in stderrData = errors.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    }

    public func write(_ data: some DataProtocol) { try? input.fileHandleForWriting.write(contentsOf: Data(data)) }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Close stdin, wait (at most `timeout` s, then kill), return what it printed.
    public func finish(timeout: Double = 30) -> CommandLineTool.Result {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        group.wait()
        return CommandLineTool.Result(
            status: process.terminationStatus, stdout: stdoutData, stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
