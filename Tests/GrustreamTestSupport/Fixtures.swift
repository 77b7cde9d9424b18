import Foundation
import GrustreamNeural

/// Committed golden files under `Tests/Fixtures/`, made by the scripts in `scripts/` (see Tests/Fixtures/README.md).
public enum Fixtures {
    /// `Tests/Fixtures`, found from this source file so tests run from any working directory.
    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    public static func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }

    public static func tensor(_ relativePath: String) throws -> Tensor { try NPYFile.read(url(relativePath)) }

    /// A JSON manifest (parameters, library versions, file names) as a dictionary.
    public static func json(_ relativePath: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(relativePath))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TensorFileError("\(relativePath): expected a JSON object")
        }
        return object
    }

    /// The repository root (for scripts, pipelines, models).
    public static let repositoryRoot: URL = directory.deletingLastPathComponent().deletingLastPathComponent()
}
