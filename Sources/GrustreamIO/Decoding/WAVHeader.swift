/// The parsed `fmt ` chunk of a RIFF/WAVE stream and where its samples start.
///
/// Limits, checked before anything is sized from the header: the samples (the `data` chunk's payload) start
/// within the first `maximumHeaderBytes`; every chunk before them has a printable four-character name; 1 to
/// `maximumChannels` channels; a sample rate of 1 Hz to `maximumSampleRate`.
public struct WAVHeader: Sendable, Equatable {
    public var format: PCMFormat
    /// Bytes before the first sample (everything up to the `data` chunk's payload).
    public var dataOffset: Int
    /// Payload bytes of the `data` chunk, or nil when unknown (streamed WAV: 0 or 0xFFFFFFFF, as arecord writes to a pipe).
    public var dataBytes: Int?

    /// The `data` chunk's payload starts within this many bytes (64 KiB of `fmt `, `LIST`, `fact`, … chunks).
    public static let maximumHeaderBytes = 65536
    /// Channels per frame, at most (audio interfaces and multi-axis sensors stay far below).
    public static let maximumChannels = 256
    /// Samples per second per channel, at most (Hz): twice the fastest rate of common audio interfaces.
    public static let maximumSampleRate = 384_000

    /// Where a header read in pieces has got to, so that each chunk is walked once however the bytes arrive.
    public struct Scan: Sendable, Equatable {
        /// Offset of the next chunk not walked yet.
        var offset = 12
        var format: PCMFormat?
        public init() {}
    }

    /// Parse a header from the start of a stream. Returns nil when more bytes are needed.
    /// Throws when the bytes cannot be a supported WAV file. `name` is used in messages.
    public static func parse(_ bytes: UnsafeRawBufferPointer, name: String) throws -> WAVHeader? {
        var scan = Scan()
        return try parse(bytes, name: name, scan: &scan)
    }

    /// As `parse(_:name:)` for a header that grows: `bytes` starts with the bytes of the previous calls, and
    /// `scan` (kept between calls) skips the chunks already walked.
    public static func parse(_ bytes: UnsafeRawBufferPointer, name: String, scan: inout Scan) throws -> WAVHeader? {
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        func tag(_ o: Int) -> String { String(decoding: bytes[o..<(o + 4)], as: UTF8.self) }
        guard bytes.count >= 12 else {
            if bytes.count >= 4 && tag(0) != "RIFF" && tag(0) != "RF64" {
                throw InputError("\(name): not a WAV file (starts with \(quoted(bytes, 0)), expected \"RIFF\")")
            }
            return nil
        }
        guard tag(0) == "RIFF" || tag(0) == "RF64" else {
            throw InputError("\(name): not a WAV file (starts with \(quoted(bytes, 0)), expected \"RIFF\")")
        }
        guard tag(8) == "WAVE" else {
            throw InputError("\(name): RIFF file of type \(quoted(bytes, 8)), expected \"WAVE\"")
        }
        while true {
            let offset = scan.offset
            guard bytes.count >= offset + 8 else { return nil }
            guard (0..<4).allSatisfy({ bytes[offset + $0] >= 0x20 && bytes[offset + $0] < 0x7F }) else {
                throw InputError(
                    "\(name): bytes \(quoted(bytes, offset)) at offset \(offset) are not a chunk name; expected a \"data\" chunk after \"fmt \""
                )
            }
            let id = tag(offset)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "data" {
                guard let format = scan.format else {
                    throw InputError("\(name): \"data\" chunk before the \"fmt \" chunk")
                }
                let unknown = size == 0 || size == 0xFFFF_FFFF || tag(0) == "RF64"
                return WAVHeader(format: format, dataOffset: body, dataBytes: unknown ? nil : size)
            }
            let (end, overflow) = body.addingReportingOverflow(size + (size & 1))  // chunks are padded to even sizes
            guard !overflow, end + 8 <= maximumHeaderBytes else {
                throw InputError(
                    "\(name): \"\(id)\" chunk of \(size) bytes at offset \(offset): the samples must start within the first \(maximumHeaderBytes) bytes of a WAV stream"
                )
            }
            guard bytes.count >= body + size else { return nil }
            if id == "fmt " { scan.format = try parseFormat(bytes, body: body, size: size, name: name) }
            scan.offset = end
        }
    }

    private static func parseFormat(_ bytes: UnsafeRawBufferPointer, body: Int, size: Int, name: String) throws
        -> PCMFormat
    {
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        guard size >= 16 else {
            throw InputError("\(name): \"fmt \" chunk of \(size) bytes, expected at least 16")
        }
        var formatTag = u16(body)
        let channels = u16(body + 2)
        let rate = u32(body + 4)
        let bits = u16(body + 14)
        // WAVE_FORMAT_EXTENSIBLE: the real format tag is the sub-format.
        if formatTag == 0xFFFE && size >= 40 { formatTag = u16(body + 24) }
        let encoding: SampleEncoding
        switch (formatTag, bits) {
        case (1, 8): encoding = .u8
        case (1, 16): encoding = .s16le
        case (1, 24): encoding = .s24le
        case (1, 32): encoding = .s32le
        case (3, 32): encoding = .f32le
        case (3, 64): encoding = .f64le
        default:
            let kind = formatTag == 1 ? "PCM" : formatTag == 3 ? "float" : "format tag \(formatTag)"
            throw InputError(
                "\(name): unsupported WAV encoding (\(kind), \(bits) bits); expected PCM 8/16/24/32-bit or float 32/64-bit"
            )
        }
        guard (1...maximumChannels).contains(channels) else {
            throw InputError("\(name): WAV header says \(channels) channels, expected 1 to \(maximumChannels)")
        }
        guard (1...maximumSampleRate).contains(rate) else {
            throw InputError(
                "\(name): WAV header says a sample rate of \(rate) Hz, expected 1 to \(maximumSampleRate) Hz")
        }
        return PCMFormat(sampleRate: rate, channels: channels, encoding: encoding)
    }

    private static func quoted(_ bytes: UnsafeRawBufferPointer, _ o: Int) -> String {
        let slice = bytes[o..<min(o + 4, bytes.count)]
        if slice.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return "\"" + String(decoding: slice, as: UTF8.self) + "\"" }
        return slice.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

import Foundation
