import Foundation
import Glibc
import GrustreamIO

/// Where a pipeline's sockets live when the pipeline file does not name a path: a directory the running user may
/// write, chosen from the environment.
///
/// 1. `$RUNTIME_DIRECTORY` (set by systemd's `RuntimeDirectory=`, as `grustream@.service` has): the service's
///    directory, `/run/grustream` (the first entry when systemd lists several, separated by `:`).
/// 2. `$XDG_RUNTIME_DIR/grustream`: an ordinary user's login session (`/run/user/UID/grustream`).
/// 3. Neither set: `/run/grustream` for root, `/tmp/grustream-UID` for other users (made with mode 0700 and used
///    only when it is a directory of that user that nobody else may write).
///
/// An event sink without `path` listens on `DIRECTORY/PIPELINE.sock`, a unix source without `path` on
/// `DIRECTORY/PIPELINE-input.sock`; `grustream subscribe NAME` connects to `DIRECTORY/NAME.sock`.
public struct SocketLocation: Sendable, Equatable {
    public var directory: String
    /// Whether the directory is the per-user fallback under /tmp (checked for ownership before use).
    public var isSharedTemporary: Bool

    /// The directory the system service uses (`RuntimeDirectory=grustream`).
    public static let serviceDirectory = "/run/grustream"

    public init(directory: String, isSharedTemporary: Bool = false) {
        self.directory = directory
        self.isSharedTemporary = isSharedTemporary
    }

    /// The location for this process's environment and effective user.
    public static func current(
        environment: [String: String] = ProcessInfo.processInfo.environment, userID: uid_t = geteuid()
    ) -> SocketLocation {
        if let runtime = environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first, runtime.hasPrefix("/") {
            return SocketLocation(directory: String(runtime))
        }
        if let xdg = environment["XDG_RUNTIME_DIR"], xdg.hasPrefix("/") {
            return SocketLocation(directory: (xdg.hasSuffix("/") ? String(xdg.dropLast()) : xdg) + "/grustream")
        }
        if userID == 0 { return SocketLocation(directory: serviceDirectory) }
        return SocketLocation(directory: "/tmp/grustream-\(userID)", isSharedTemporary: true)
    }

    /// `DIRECTORY/NAME`.
    public func path(_ fileName: String) -> String { directory + "/" + fileName }

    /// The events socket of pipeline `pipeline`.
    public func eventSocket(_ pipeline: String) -> String { path(pipeline + ".sock") }

    /// The producers' socket of a unix source of pipeline `pipeline`.
    public func inputSocket(_ pipeline: String) -> String { path(pipeline + "-input.sock") }

    /// Make the directory if it is missing (its parent must exist): mode 0700 for a user's own directory, 0755
    /// for the service directory made by root (the socket files carry their own permissions). The per-user
    /// fallback under /tmp must then be a real directory of this user that no one else may write.
    public func prepare() throws(PipelineConfigError) {
        let mode: mode_t = directory == Self.serviceDirectory ? 0o755 : 0o700
        if mkdir(directory, mode) != 0 && errno != EEXIST {
            let code = errno
            throw PipelineConfigError(
                "\(directory): cannot create the socket directory: \(POSIX.message(code)) (set XDG_RUNTIME_DIR, or give the socket a path: --socket PATH)"
            )
        }
        guard isSharedTemporary else { return }
        var info = stat()
        guard lstat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid(),
            info.st_mode & 0o022 == 0
        else {
            throw PipelineConfigError(
                "\(directory): not a directory of this user that only it may write; refusing to put sockets there (set XDG_RUNTIME_DIR, or --socket PATH)"
            )
        }
    }

    /// Where `grustream subscribe NAME` connects: this location's socket for pipeline NAME when it exists, else
    /// the system service's (`/run/grustream/NAME.sock`) when that one exists, else this location's (whose
    /// absence the connection error then names).
    public func subscribePath(_ pipeline: String, exists: (String) -> Bool = { access($0, F_OK) == 0 }) -> String {
        let own = eventSocket(pipeline)
        if exists(own) { return own }
        let service = Self.serviceDirectory + "/" + pipeline + ".sock"
        return exists(service) ? service : own
    }
}

extension PipelineConfig {
    /// A unix sink's socket path: the sink's `path` (relative: from the pipeline file), or without one the pipeline's
    /// events socket in `location`.
    public func sinkSocketPath(_ sink: SinkOptions, location: SocketLocation = .current()) -> String {
        sink.path.isEmpty ? location.eventSocket(name) : resolve(sink.path).path
    }

    /// A unix source's socket path: `[source] path` (relative: from the pipeline file), or without one the
    /// pipeline's input socket in `location`.
    public func sourceSocketPath(location: SocketLocation = .current()) -> String {
        source.path.isEmpty ? location.inputSocket(name) : resolve(source.path).path
    }
}
