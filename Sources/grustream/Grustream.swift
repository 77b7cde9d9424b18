import ArgumentParser
import Foundation
import GrustreamKernels
import GrustreamPipeline

/// The release version (`grustream --version`; scripts/package names the Debian package after it).
let grustreamVersion = "0.1.0"

@main
struct Grustream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grustream",
        abstract: "Streaming audio/sensor features → stateful GRU → events.",
        discussion: """
            Exit status: 0 success, 1 runtime failure, 2 bad usage, configuration, model or input (one line on stderr).
            Quick start: `grustream run` runs the embedded demo pipeline; `grustream <command> --help` explains each command.
            """,
        version: grustreamVersion,
        subcommands: [
            RunCommand.self,
            CheckCommand.self,
            FeaturesCommand.self,
            InferCommand.self,
            InspectCommand.self,
            SubscribeCommand.self,
            PreciseEngineCommand.self,
            BenchCommand.self,
            TrainCommand.self,
            EvalCommand.self,
            WyomingCommand.self,
            HADiscoveryCommand.self,
        ]
    )

    /// As ParsableCommand's, but usage errors exit with status 2 (README "Commands"), not ArgumentParser's 64.
    static func main() {
        do {
            _ = try Kernels.chooseFromEnvironment()
        } catch {
            FileHandle.standardError.write(Data("grustream: \(error)\n".utf8))
            Foundation.exit(2)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error).rawValue == 64 {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
