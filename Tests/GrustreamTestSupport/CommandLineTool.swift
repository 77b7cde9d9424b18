import Foundation

/// Runs the built `grustream` binary (next to the test bundle in `.build/<configuration>/`) as a user would.
public enum CommandLineTool {
    public static var executable: URL {
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").deletingLastPathComponent()
        // swift-testing on Linux runs `<bin>/grustreamPackageTests.xctest`; the binary sits beside it.
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent("grustream")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return Fixtures.repositoryRoot.appendingPathComponent(".build/debug/grustream")
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: String
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Run with arguments and optional stdin bytes; waits at most `timeout` seconds (then kills it).
    public static func run(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil, currentDirectory: URL? = nil,
        timeout: Double = 60
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.currentDirectoryURL = currentDirectory ?? Fixtures.repositoryRoot
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        let writer = Thread {
            if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let stdoutData = DataBox()
        let stderrData = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stdoutData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            stderrData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave()
        }
        if group.wait(timeout: .now() + timeout) == .timedOut { process.terminate() }
        process.waitUntilExit()
        group.wait()
        return Result(
            status: process.terminationStatus, stdout: stdoutData.data,
            stderr: String(decoding: stderrData.data, as: UTF8.self))
    }
}

/// Written by one reader thread, read after it finished (the DispatchGroup orders the two).
private final class DataBox: @unchecked Sendable { var data = Data() }
