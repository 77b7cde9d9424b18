/// A pipeline file, command-line option or model setting that cannot be used.
/// One line: `FILE: KEY.PATH: what was found; what is allowed`.
public struct PipelineConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// Control characters (a line break inside a quoted value, say) are written as escapes: the message stays one line.
    public init(_ description: String) {
        self.description = String(
            String.UnicodeScalarView(
                description.unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
                    scalar.value < 0x20 || scalar.value == 0x7F
                        ? Array(scalar.escaped(asASCII: false).unicodeScalars) : [scalar]
                }))
    }
}
