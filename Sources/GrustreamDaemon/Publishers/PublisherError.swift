import Glibc
import GrustreamIO

/// Anything that goes wrong with event publishing: a socket that cannot be made or adopted, a client request
/// that cannot be read, a subscriber that cannot connect. One line, naming the path and saying what to do:
/// `/run/grustream/kws.sock: another process is listening on this socket (is grustream already running?)`.
public struct PublisherError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    /// The peer sent something that is not the event protocol (its fault, not the system's):
    /// `grustream subscribe` exits 2 for it, like for any bad input, and 1 for the rest.
    public var isBadInput = false
    public init(_ description: String, isBadInput: Bool = false) {
        self.description = description
        self.isBadInput = isBadInput
    }

    /// `"<path>: <what> failed: <strerror> (<hint>)"` from the current `errno`.
    static func system(_ path: String, _ what: String, errno code: Int32 = errno, hint: String? = nil) -> PublisherError
    {
        PublisherError("\(path): \(what): \(POSIX.message(code))" + (hint.map { " (\($0))" } ?? ""))
    }
}
