import Foundation
import GrustreamTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `grustream run stdin-kws </dev/zero | head -1`: once the reader of stdout has gone and no other sink is left,
/// the run stops like any Unix filter (exit 0); with a socket sink left it goes on without stdout.
@Suite("stdout closed", .serialized)
struct StdoutClosedTests {
    /// `grustream ARGS </dev/zero`, stdout to a pipe the test reads and closes.
    final class Run {
        let process = Process()
        let output = Pipe()
        let errors = Pipe()

        init(_ arguments: [String]) throws {
            process.executableURL = CommandLineTool.executable
            process.arguments = arguments
            process.currentDirectoryURL = Fixtures.repositoryRoot
            process.standardInput = FileHandle(forReadingAtPath: "/dev/zero")
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            try output.fileHandleForWriting.close()  // only the child holds the write end
        }

        /// The first line the child writes (nil after 20 s).
        func firstLine() -> String? {
            var bytes: [UInt8] = []
            let fd = output.fileHandleForReading.fileDescriptor
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                var byte: UInt8 = 0
                guard read(fd, &byte, 1) == 1 else { return nil }
                if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(byte)
            }
            return nil
        }

        func closeReader() throws { try output.fileHandleForReading.close() }

        /// Wait for the exit (at most `seconds`, then kill); nil when it had to be killed.
        func exitStatus(within seconds: Double) -> Int32? {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            guard !process.isRunning else {
                process.terminate()
                process.waitUntilExit()
                return nil
            }
            return process.terminationStatus
        }

        var stderr: String { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    }

    @Test func headOneEndsTheRun() throws {
        let run = try Run(["run", "stdin-kws", "--scores", "--log-level", "notice"])
        #expect(run.firstLine()?.hasPrefix(#"{"class":"SCORES""#) == true)
        try run.closeReader()
        #expect(run.exitStatus(within: 10) == 0)
        #expect(run.stderr.contains("standard output closed and no other sink is left: stopping"))
    }

    @Test func aReaderThatLeavesBeforeAnyEventEndsTheRunToo() throws {
        let run = try Run(["run", "stdin-kws", "--log-level", "notice"])
        usleep(300_000)
        try run.closeReader()
        #expect(run.exitStatus(within: 10) == 0)
    }

    @Test func withASocketSinkLeftTheRunGoesOnWithoutStdout() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gs-stdout-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let socket = folder.appendingPathComponent("kws.sock").path
        let run = try Run(["run", "stdin-kws", "--scores", "--socket", socket, "--log-level", "notice"])
        #expect(run.firstLine() != nil)
        try run.closeReader()
        usleep(1_000_000)
        #expect(run.process.isRunning, "stopped although the socket sink is left")
        let client = try TestClient(path: socket)
        #expect(client.readLine()?.hasPrefix(#"{"class":"VERSION""#) == true)
        client.send(#"{"class":"WATCH","scores":true}"# + "\n")
        #expect(client.readLine()?.hasPrefix(#"{"class":"SCORES""#) == true, "the socket still gets events")
        kill(run.process.processIdentifier, SIGTERM)
        #expect(run.exitStatus(within: 10) == 0)
        let stderr = run.stderr
        #expect(stderr.components(separatedBy: "standard output closed; events go on").count == 2, "once: \(stderr)")
    }
}
