import CALSA
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The one choke point where libasound return codes become Swift errors (as NIO's `syscall(where:)`).
///
/// ALSA also prints its own diagnostics (`ALSA lib confmisc.c:855:(parse_card) cannot find card '0'`) to
/// stderr through `snd_lib_error`. Its handler type is variadic, which Swift cannot implement, but the
/// thread-local `snd_lib_error_set_local` handler takes a `va_list`: `call` installs one on the calling
/// thread, so nothing reaches stderr and the text becomes part of the error message instead.
enum ALSA {
    /// Run `body`; a negative result throws `ALSAFailure` with `snd_strerror` and ALSA's own message.
    @discardableResult
    static func call<T: BinaryInteger>(_ function: StaticString, _ body: () -> T) throws(ALSAFailure) -> T {
        prepareThread()
        let result = body()
        if result >= 0 { return result }
        let messages = takeMessages()
        throw ALSAFailure(
            function: "\(function)", code: Int32(truncatingIfNeeded: result), detail: messages.first, messages: messages
        )
    }

    /// Silence stderr on this thread and forget an old message (call before every ALSA call).
    static func prepareThread() {
        snd_lib_error_set_local(errorHandler)
        let thread = UInt(pthread_self())
        messages.withLock { $0[thread] = nil }
    }

    /// ALSA's messages on this thread since `prepareThread`, oldest (usually the root cause) first.
    static func takeMessages() -> [String] {
        let thread = UInt(pthread_self())
        return messages.withLock { $0.removeValue(forKey: thread) } ?? []
    }

    static func errorText(_ code: Int32) -> String { String(cString: snd_strerror(code)) }

    /// Messages per thread (a handful of entries: one per capture thread; at most 16 messages each).
    private static let messages = Mutex<[UInt: [String]]>([:])

    private static let errorHandler: snd_local_error_handler_t = { _, _, _, _, format, arguments in
        guard let format, let arguments else { return }
        var text = [CChar](repeating: 0, count: 512)
        _ = vsnprintf(&text, text.count, format, arguments)
        let message = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let thread = UInt(pthread_self())
        ALSA.messages.withLock { table in
            if table[thread, default: []].count < 16 { table[thread, default: []].append(message) }
        }
    }
}

/// A failed libasound call: the function, its negative return code and the library's own message.
package struct ALSAFailure: Error {
    package var function: String
    package var code: Int32
    /// What ALSA printed first (the root cause, e.g. `cannot find card '0'`), nil when it printed nothing.
    package var detail: String?
    /// Everything it printed, oldest first (`Unknown PCM default` comes last).
    package var messages: [String] = []

    package init(function: String, code: Int32, detail: String? = nil, messages: [String]? = nil) {
        self.function = function
        self.code = code
        self.detail = detail
        self.messages = messages ?? detail.map { [$0] } ?? []
    }

    /// `snd_strerror(code)`, plus ALSA's message when it said something more specific.
    package var explanation: String {
        let text = ALSA.errorText(code)
        guard let detail, !detail.isEmpty else { return "ALSA: \(text)" }
        return "ALSA: \(detail)"
    }

    package func isCode(_ errno: Int32) -> Bool { code == -errno }
}
