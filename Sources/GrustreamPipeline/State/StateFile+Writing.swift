import Foundation
import GrustreamIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension StateFile {
    /// Write atomically: readers see the old file or the new one, never a part. The bytes go to a temporary file
    /// `.NAME.PID.tmp` in the same folder, created with `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600 (a file or
    /// symlink planted under that name is never followed or written through: a leftover is unlinked, which
    /// removes the link itself, and creation is tried once more), then fsync, rename over `url`, fsync of the
    /// folder. Creates the folder when missing.
    public func write(to url: URL, saved: WallTime = .now()) throws {
        let folder = url.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let bytes = encode(saved: saved)
        func fail(_ what: String) -> StateFileError {
            StateFileError("\(url.path): cannot \(what): \(POSIX.message(errno))")
        }
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = open(temporary.path, flags, 0o600)
        if fd < 0 && errno == EEXIST {  // left by a crashed run with our pid, or planted: remove the name only
            unlink(temporary.path)
            fd = open(temporary.path, flags, 0o600)
        }
        guard fd >= 0 else { throw fail("create \(temporary.lastPathComponent)") }
        let ok = bytes.withUnsafeBytes { raw in POSIX.writeAll(fd, raw) == 0 && fsync(fd) == 0 }
        let error = ok ? nil : fail("write \(temporary.lastPathComponent)")
        close(fd)
        if let error {
            unlink(temporary.path)
            throw error
        }
        guard rename(temporary.path, url.path) == 0 else {
            let error = fail("rename \(temporary.lastPathComponent)")
            unlink(temporary.path)
            throw error
        }
        let directory = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    /// Check that a state file can be written at `url`: its folder (or, when the folder does not exist yet, the
    /// nearest existing parent, where it would be created) is a directory this process may write into. Throws a
    /// `PipelineConfigError` naming `runtime.state_file`, the folder and the reason.
    public static func checkWritable(_ url: URL) throws {
        let folder = url.deletingLastPathComponent()
        var existing = folder
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
            existing = existing.deletingLastPathComponent()
        }
        var isDirectory: ObjCBool = false
        let hint = "make it writable for this user, or point [runtime] state_file elsewhere"
        guard FileManager.default.fileExists(atPath: existing.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw PipelineConfigError(
                "runtime.state_file: \(url.path): \(existing.path) is not a directory; \(hint)")
        }
        guard access(existing.path, W_OK | X_OK) == 0 else {
            let reason = POSIX.message(errno)
            let what = existing == folder ? "the folder" : "the folder does not exist and its parent"
            throw PipelineConfigError(
                "runtime.state_file: \(url.path): \(what) \(existing.path) is not writable (\(reason)); \(hint)")
        }
    }

    /// `checkWritable` for a `[runtime] state_file` value as the daemon resolves it (`$STATE_DIRECTORY` or
    /// `/var/lib/grustream` for a relative one); nothing to check when it is empty.
    public static func checkWritable(
        stateFile: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        guard !stateFile.isEmpty else { return }
        try checkWritable(StateKeeper.location(of: stateFile, environment: environment))
    }
}
