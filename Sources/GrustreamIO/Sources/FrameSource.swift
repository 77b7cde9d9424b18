/// A live or recorded input behind one interface: ALSA capture, stdin/file, a Unix socket, NATS subjects.
///
/// Life cycle, on the main thread: `open()` (device, file or socket opened; a problem is a `CaptureError`
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
    /// Open the device, file or socket. Throws `CaptureError`.
    func open() throws
    /// Start capturing into streams of `hub`. Call once, after `open()`.
    func start(hub: SourceHub) throws
    /// Stop reading; the streams close after their last sample. Returns at once; safe to call twice.
    func stop()
}

/// A live source of many named streams at once (socket producers, NATS subjects): its streams go through the GRU
/// as one batch, a problem with one stream or message is reported and the source goes on, and its bad frames are
/// reported while it runs.
public protocol MultiStreamSource: FrameSource {}
