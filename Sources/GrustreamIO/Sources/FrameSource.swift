/// A live or recorded input behind one interface: ALSA capture, stdin/file, a Unix socket.
///
/// Life cycle, on the main thread: `open()` (device, file or socket opened; a problem is a `InputError`
/// with one clear line, before anything runs), then `start(hub:)` (spawns the capture thread(s), which
/// open streams in the hub and write samples into their rings), later `stop()` (SIGTERM: stop reading;
/// every stream is closed so the pipeline can drain what is already buffered, then `hub.isFinished`).
///
/// Threads: each source has its own capture thread(s) doing blocking reads. Live sources (ALSA, sockets)
/// never block on the ring: when the processing thread falls behind they drop the oldest frames and count
/// them (`SourceStream.droppedFrames`). File and stdin sources wait for room instead (back-pressure), so a
/// file is never decoded lossily just because it can be read faster than it can be processed.
public protocol FrameSource: AnyObject, Sendable {
    /// The source as the user named it: `alsa:default`, `stdin`, `FILE`, `unix:PATH`.
    var name: String { get }
    /// What kind of input this is; the runner's error handling and batching follow from it.
    var kind: FrameSourceKind { get }
    /// Producers refused so far (a stream name in use, a bad header); 0 for sources without producers.
    var connectionsRefused: Int { get }
    /// Open the device, file or socket. Throws `InputError`.
    func open() throws
    /// Start capturing into streams of `hub`. Call once, after `open()`.
    func start(hub: SourceHub) throws
    /// Stop reading; the streams close after their last sample. Returns at once; safe to call twice.
    func stop()
}

/// The kinds of input, as the runner treats them.
public enum FrameSourceKind: Sendable {
    /// One recorded input (stdin, a file): its end ends the run, and a decoding error is the run's error.
    case recorded
    /// A live device (ALSA): one stream; an error is retried or ends the run.
    case live
    /// A server of many producers (a Unix socket), each its own stream: a producer's error is that stream's,
    /// bad frames are reported per producer, and carry-mode streams are stepped together in batches.
    case producers
}

extension FrameSource {
    public var connectionsRefused: Int { 0 }
}
