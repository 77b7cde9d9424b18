import Foundation

/// Starts the capture threads (one per source, plus none per connection: sockets share one poll thread).
enum CaptureThread {
    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = String(name.prefix(15))  // Linux thread names are at most 15 bytes
        thread.start()
    }
}
