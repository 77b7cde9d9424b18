/// Training or evaluation data that cannot be used (missing folder, wrong rate, bad CSV line), or options that do
/// not fit together. One line naming the file or option and what to do.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
