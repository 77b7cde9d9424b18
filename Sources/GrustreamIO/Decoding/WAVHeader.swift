/// The parsed `fmt ` chunk of a RIFF/WAVE stream and where its samples start.
public struct WAVHeader: Sendable, Equatable {
    public var format: PCMFormat
    /// Bytes before the first sample (everything up to the `data` chunk's payload).
    public var dataOffset: Int
    /// Payload bytes of the `data` chunk, or nil when unknown (streamed WAV: 0 or 0xFFFFFFFF, as arecord writes to a pipe).
    public var dataBytes: Int?

    /// Parse a header from the start of a stream. Returns nil when more bytes are needed.
    /// Throws when the bytes cannot be a supported WAV file. `name` is used in messages.
    public static func parse(_ bytes: UnsafeRawBufferPointer, name: String) throws -> WAVHeader? {
        func u16(_ o: Int) -> Int { Int(bytes[o]) | Int(bytes[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        func tag(_ o: Int) -> String { String(decoding: bytes[o..<(o + 4)], as: UTF8.self) }
        guard bytes.count >= 12 else {
            if bytes.count >= 4 && tag(0) != "RIFF" && tag(0) != "RF64" {
                throw CaptureError("\(name): not a WAV file (starts with \(quoted(bytes, 0)), expected \"RIFF\")")
            }
            return nil
        }
        guard tag(0) == "RIFF" || tag(0) == "RF64" else {
            throw CaptureError("\(name): not a WAV file (starts with \(quoted(bytes, 0)), expected \"RIFF\")")
        }
        guard tag(8) == "WAVE" else {
            throw CaptureError("\(name): RIFF file of type \(quoted(bytes, 8)), expected \"WAVE\"")
        }
        var offset = 12
        var format: PCMFormat?
        while true {
            guard bytes.count >= offset + 8 else { return nil }
            let id = tag(offset)
            let size = u32(offset + 4)
            let body = offset + 8
            if id == "data" {
                guard let format else { throw CaptureError("\(name): \"data\" chunk before the \"fmt \" chunk") }
                let unknown = size == 0 || size == 0xFFFF_FFFF || tag(0) == "RF64"
                return WAVHeader(format: format, dataOffset: body, dataBytes: unknown ? nil : size)
            }
            guard bytes.count >= body + size else {
                if body + size > 1 << 20 {
                    throw CaptureError("\(name): \"\(id)\" chunk of \(size) bytes before the samples is too large")
                }
                return nil
            }
            if id == "fmt " {
                guard size >= 16 else {
                    throw CaptureError("\(name): \"fmt \" chunk of \(size) bytes, expected at least 16")
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
                    throw CaptureError(
                        "\(name): unsupported WAV encoding (\(kind), \(bits) bits); expected PCM 8/16/24/32-bit or float 32/64-bit"
                    )
                }
                guard channels > 0 else { throw CaptureError("\(name): WAV header says 0 channels") }
                guard rate > 0 else { throw CaptureError("\(name): WAV header says a sample rate of 0 Hz") }
                format = PCMFormat(sampleRate: rate, channels: channels, encoding: encoding)
            }
            offset = body + size + (size & 1)  // chunks are padded to an even size
        }
    }

    private static func quoted(_ bytes: UnsafeRawBufferPointer, _ o: Int) -> String {
        let slice = bytes[o..<min(o + 4, bytes.count)]
        if slice.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) { return "\"" + String(decoding: slice, as: UTF8.self) + "\"" }
        return slice.map { String(format: "%02x", $0) }.joined(separator: " ")
    }
}

import Foundation
