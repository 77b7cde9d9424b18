import Foundation

extension StateFile {
    /// The hash of a pipeline's model files: the file's own for one model (as `hash(of:)`), else FNV-1a of the
    /// files' hashes in order, so a state saved for several models applies only to the same models.
    public static func hash(of urls: [URL]) throws -> String {
        guard urls.count != 1 else { return try hash(of: urls[0]) }
        var hash = FNV1a64()
        for url in urls { hash.add(Array(try Self.hash(of: url).utf8)) }
        return hash.hex
    }
}
