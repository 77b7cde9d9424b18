import Foundation

/// Writes interleaved Float samples as a RIFF/WAVE byte string (PCM 16/24/32-bit or float 32-bit),
/// for tests, recordings the daemon keeps, and tools that make data.
public enum WAVEncoder {
    public static func encode(_ samples: [Float], format: PCMFormat) -> Data {
        let width = format.encoding.bytesPerSample
        var data = Data()
        func u16(_ v: Int) { data.append(contentsOf: [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)]) }
        func u32(_ v: Int) { u16(v & 0xffff); u16((v >> 16) & 0xffff) }
        let payload = samples.count * width
        data.append(contentsOf: Array("RIFF".utf8)); u32(36 + payload)
        data.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16)
        let isFloat = format.encoding == .f32le || format.encoding == .f64le
        u16(isFloat ? 3 : 1); u16(format.channels); u32(format.sampleRate)
        u32(format.sampleRate * format.bytesPerFrame); u16(format.bytesPerFrame); u16(width * 8)
        data.append(contentsOf: Array("data".utf8)); u32(payload)
        data.append(encodePCM(samples, encoding: format.encoding))
        return data
    }

    /// Headerless little-endian PCM. Integer encodings round and clip to the integer range.
    public static func encodePCM(_ samples: [Float], encoding: SampleEncoding) -> Data {
        var data = Data(capacity: samples.count * encoding.bytesPerSample)
        for s in samples {
            switch encoding {
            case .u8: data.append(UInt8(clamping: Int((s * 128).rounded()) + 128))
            case .s16le:
                withUnsafeBytes(of: Int16(clamping: Int((s * 32768).rounded())).littleEndian) {
                    data.append(contentsOf: $0)
                }
            case .s24le:
                let v = Int32(clamping: min(max(Int((s * 8_388_608).rounded()), -8_388_608), 8_388_607))
                withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0[0..<3]) }
            case .s32le:
                withUnsafeBytes(of: Int32(clamping: Int64((Double(s) * 2_147_483_648).rounded())).littleEndian) {
                    data.append(contentsOf: $0)
                }
            case .f32le: withUnsafeBytes(of: s.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            case .f64le: withUnsafeBytes(of: Double(s).bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        return data
    }
}
