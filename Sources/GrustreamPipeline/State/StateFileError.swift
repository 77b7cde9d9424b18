/// A state file that cannot be used (truncated, corrupt, another model) or written.
public struct StateFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
