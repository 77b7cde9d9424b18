import Foundation

/// Finds a pipeline by path or by name: `./pipelines/NAME.toml`, then `/etc/grustream/pipelines/NAME.toml`.
public enum PipelineLocator {
    /// Folders searched for a pipeline given by name, in order.
    public static var searchFolders: [URL] {
        var folders = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("pipelines")
        ]
        if let dir = ProcessInfo.processInfo.environment["GRUSTREAM_PIPELINES"] {
            folders.insert(URL(fileURLWithPath: dir), at: 0)
        }
        folders.append(URL(fileURLWithPath: "/etc/grustream/pipelines"))
        if let bundled = bundledFolder { folders.append(bundled) }
        return folders
    }

    /// `pipelines/` of the source tree or install prefix the running binary belongs to
    /// (`<prefix>/share/grustream/pipelines`, or the repository when run from `.build`), so the embedded
    /// default works from any working directory.
    public static var bundledFolder: URL? {
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            for candidate in ["pipelines", "share/grustream/pipelines"] {
                let url = folder.appendingPathComponent(candidate)
                if FileManager.default.fileExists(atPath: url.appendingPathComponent("demo.toml").path) { return url }
            }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    /// A path (contains "/" or ends in ".toml") or a name.
    public static func locate(_ nameOrPath: String) throws -> URL {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml") {
            let url = URL(fileURLWithPath: nameOrPath)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw PipelineConfigError("\(nameOrPath): no such pipeline file")
            }
            return url
        }
        let folders = searchFolders
        for folder in folders {
            let url = folder.appendingPathComponent(nameOrPath + ".toml")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw PipelineConfigError(
            "pipeline \"\(nameOrPath)\" not found in \(folders.map(\.path).joined(separator: ", ")) (give a path to a .toml file, or a name)"
        )
    }

    public static func load(_ nameOrPath: String) throws -> PipelineConfig {
        try PipelineConfig.load(locate(nameOrPath))
    }
}
