import ArgumentParser
import GrustreamRuntime

@main
struct Grustream: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grustream",
        abstract: "Streaming audio/sensor features → stateful GRU → events.",
        subcommands: [FeaturesCommand.self, InferCommand.self, InspectCommand.self, TrainCommand.self, EvalCommand.self]
    )
}
