import ArgumentParser
import GrustreamRuntime

@main
struct Grustream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grustream",
        abstract: "Streaming audio/sensor features → stateful GRU → events.",
        subcommands: [
            RunCommand.self,
            CheckCommand.self,
            FeaturesCommand.self,
            InferCommand.self,
            InspectCommand.self,
            SubscribeCommand.self,
        ]
    )
}
