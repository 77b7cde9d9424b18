/// Every error of the IO module: decoding, files, devices, sockets.
/// `description` is one line naming the source (file, device, socket) and what was expected.
public struct InputError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
