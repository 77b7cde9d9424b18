/// A pipeline file, command-line option or model setting that cannot be used.
/// One line: `FILE: KEY.PATH: what was found; what is allowed`.
public struct PipelineConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
