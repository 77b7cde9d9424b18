/// Where input comes from, as `--source` spells it: `alsa:DEVICE`, `-` (stdin), `unix:PATH`, or a file path.
public enum SourceAddress: Sendable, Equatable, CustomStringConvertible {
    case alsa(device: String)
    case standardInput
    case unixSocket(path: String)
    case file(path: String)

    /// Parse `--source`. `alsa:` alone means the `default` device. Throws for an empty value.
    public init(parsing text: String) throws {
        if text == "-" || text == "stdin" {
            self = .standardInput
        } else if text.hasPrefix("alsa:") {
            let device = String(text.dropFirst(5))
            self = .alsa(device: device.isEmpty ? "default" : device)
        } else if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard !path.isEmpty else {
                throw InputError("--source unix: needs a path, e.g. unix:/run/grustream/sensors.sock")
            }
            self = .unixSocket(path: path)
        } else if text.isEmpty {
            throw InputError("--source is empty; expected alsa:DEVICE, - (stdin), unix:PATH or a file path")
        } else {
            self = .file(path: text)
        }
    }

    public var description: String {
        switch self {
        case .alsa(let device): "alsa:\(device)"
        case .standardInput: "-"
        case .unixSocket(let path): "unix:\(path)"
        case .file(let path): path
        }
    }
}
