import Foundation

/// A safetensors file (the format of the `safetensors` library), read once into memory and validated.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON (`{"name": {"dtype": "F32",
/// "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {string: string}}`, padded with
/// spaces), then the data buffer; offsets are relative to the start of the buffer.
/// Validation: the header length fits in the file, the header is a JSON object, every dtype is known,
/// every shape is a list of non-negative integers, every `data_offsets` range lies inside the buffer,
/// ranges do not overlap, and each range holds exactly `shape.product × dtype size` bytes.
/// `tensor(_:)` converts F32, F16, BF16, F64 (and integer/bool dtypes) to Float.
public struct SafetensorsFile: Sendable {
    /// Where a tensor lives in the data buffer.
    struct Entry: Sendable {
        var dtype: String
        var shape: [Int]
        /// Byte range relative to the start of the data buffer.
        var begin: Int
        var end: Int
    }

    /// The file name used in error messages.
    public let name: String
    /// `__metadata__`: free-form string → string pairs (empty when absent).
    public let metadata: [String: String]
    let entries: [String: Entry]
    let data: Data
    /// Byte offset of the data buffer in `data` (8 + header length).
    let dataStart: Int

    /// Tensor names in file order (ascending data offset).
    public var tensorNames: [String] {
        entries.sorted { ($0.value.begin, $0.key) < ($1.value.begin, $1.key) }.map(\.key)
    }

    /// Size in bytes of one element of each safetensors dtype.
    static let dtypeSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    /// The longest JSON header accepted (100 MB, the limit of the `safetensors` library's own loader).
    public static let maximumHeaderBytes = 100_000_000

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw TensorFileError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        try self.init(data: data, name: url.path)
    }

    public init(data: Data, name: String) throws {
        self.name = name
        self.data = data
        guard data.count >= 8 else {
            throw TensorFileError(
                "\(name): \(data.count) bytes, too short for a safetensors file (8-byte header length)")
        }
        let base = data.startIndex
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(data[base + i]) << (8 * UInt64(i)) }
        guard length <= UInt64(data.count - 8) else {
            throw TensorFileError(
                "\(name): not a safetensors file, or a truncated one: its first 8 bytes "
                    + "(\(Self.describeBytes(data.prefix(8)))) give a header length of \(length) bytes, but only \(data.count - 8) bytes follow"
            )
        }
        guard length <= UInt64(Self.maximumHeaderBytes) else {
            throw TensorFileError(
                "\(name): safetensors header of \(length) bytes is larger than the \(Self.maximumHeaderBytes)-byte "
                    + "limit (the safetensors library's own); not a model or state file this program writes")
        }
        let headerLength = Int(length)
        dataStart = 8 + headerLength
        let header = data[(base + 8)..<(base + dataStart)]
        guard header.first == UInt8(ascii: "{"),
            let json = try? JSONSerialization.jsonObject(with: Data(header)),
            let object = json as? [String: Any]
        else { throw TensorFileError("\(name): the \(headerLength)-byte header is not a JSON object") }
        let bufferSize = data.count - dataStart
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (key, value) in object {
            if key == "__metadata__" {
                guard let pairs = value as? [String: Any] else {
                    throw TensorFileError("\(name): __metadata__ is not an object of strings")
                }
                for (k, v) in pairs {
                    guard let s = v as? String else {
                        throw TensorFileError("\(name): __metadata__[\"\(k)\"] is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries[key] = try Self.entry(key, value, bufferSize: bufferSize, name: name)
        }
        // Ranges in offset order must not overlap.
        let ordered = entries.sorted { ($0.value.begin, $0.value.end) < ($1.value.begin, $1.value.end) }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.value.begin < previous.value.end {
            throw TensorFileError(
                "\(name): \"\(next.key)\" data_offsets [\(next.value.begin), \(next.value.end)] overlap "
                    + "\"\(previous.key)\" [\(previous.value.begin), \(previous.value.end)]")
        }
        self.metadata = metadata
        self.entries = entries
    }

    private static func entry(_ key: String, _ value: Any, bufferSize: Int, name: String) throws -> Entry {
        guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
            let shapeValues = fields["shape"] as? [Any], let offsetValues = fields["data_offsets"] as? [Any]
        else { throw TensorFileError("\(name): \"\(key)\" needs dtype, shape and data_offsets") }
        guard let size = dtypeSizes[dtype] else {
            throw TensorFileError(
                "\(name): \"\(key)\" has unknown dtype \"\(dtype)\" (expected F32, F16, BF16, F64 or an integer type)")
        }
        let shape = shapeValues.compactMap(Self.integer)
        guard shape.count == shapeValues.count, shape.allSatisfy({ $0 >= 0 }) else {
            throw TensorFileError("\(name): \"\(key)\" has a malformed shape \(shapeValues)")
        }
        let offsets = offsetValues.compactMap(Self.integer)
        guard offsets.count == 2, offsets.count == offsetValues.count, offsets[0] >= 0, offsets[0] <= offsets[1]
        else { throw TensorFileError("\(name): \"\(key)\" has malformed data_offsets \(offsetValues)") }
        let (begin, end) = (offsets[0], offsets[1])
        guard end <= bufferSize else {
            throw TensorFileError(
                "\(name): \"\(key)\" data_offsets [\(begin), \(end)] lie outside the \(bufferSize)-byte data buffer")
        }
        guard let count = Tensor.checkedCount(shape) else {
            throw TensorFileError(
                "\(name): \"\(key)\" has shape \(shape), whose element count overflows; data_offsets [\(begin), "
                    + "\(end)] hold \(end - begin) bytes")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, bytes == end - begin else {
            let expected = overflow ? "more than \(Int.max)" : "\(bytes)"
            throw TensorFileError(
                "\(name): \"\(key)\" is \(dtype) \(shape) (\(expected) bytes) but data_offsets [\(begin), \(end)] "
                    + "hold \(end - begin) bytes")
        }
        return Entry(dtype: dtype, shape: shape, begin: begin, end: end)
    }

    /// A JSON number that is an integer `Int` holds exactly (not `true`, not `1.5`, not `1e300`).
    static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        return Int(exactly: number.doubleValue).flatMap { "\(number)".contains(".") ? nil : $0 }
    }

    /// The bytes as text when they are printable ASCII (`"root:x:0"`), else as hex, for messages.
    static func describeBytes(_ bytes: Data) -> String {
        if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) {
            return "\"" + String(decoding: bytes, as: UTF8.self) + "\""
        }
        return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined(separator: " ")
    }

    /// dtype and shape of a tensor, or nil when the file has no such tensor.
    public func info(_ name: String) -> (dtype: String, shape: [Int])? {
        entries[name].map { ($0.dtype, $0.shape) }
    }

    /// The tensor converted to Float32.
    public func tensor(_ tensorName: String) throws -> Tensor {
        guard let entry = entries[tensorName] else {
            throw TensorFileError("\(name): no tensor \"\(tensorName)\"")
        }
        let count = entry.shape.reduce(1, *)
        guard let convert = Self.converter(entry.dtype) else {
            throw TensorFileError("\(name): \"\(tensorName)\" has dtype \(entry.dtype), which cannot be read as floats")
        }
        let width = Self.dtypeSizes[entry.dtype]!
        var scalars = [Float](repeating: 0, count: count)
        data.withUnsafeBytes { raw in
            let start = dataStart + entry.begin
            scalars.withUnsafeMutableBufferPointer { out in
                for i in 0..<count { out[i] = convert(raw, start + i * width) }
            }
        }
        return Tensor(shape: entry.shape, scalars: scalars)
    }

    private typealias Convert = (UnsafeRawBufferPointer, Int) -> Float

    private static func converter(_ dtype: String) -> Convert? {
        switch dtype {
        case "F32":
            return { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self))) }
        case "F64":
            return {
                Float(Double(bitPattern: UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self))))
            }
        case "F16":
            return {
                Float(Float16(bitPattern: UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self))))
            }
        case "BF16":
            return {
                Float(
                    bitPattern: UInt32(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self)))
                        << 16)
            }
        case "I64": return { Float(Int64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int64.self))) }
        case "I32": return { Float(Int32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int32.self))) }
        case "I16": return { Float(Int16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: Int16.self))) }
        case "I8": return { Float($0.load(fromByteOffset: $1, as: Int8.self)) }
        case "U64": return { Float(UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self))) }
        case "U32": return { Float(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self))) }
        case "U16": return { Float(UInt16(littleEndian: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self))) }
        case "U8", "BOOL": return { Float($0.load(fromByteOffset: $1, as: UInt8.self)) }
        default: return nil
        }
    }
}

extension SafetensorsFile {
    /// Encode tensors as F32 safetensors, in the given order, with `__metadata__` when not empty.
    /// The header is padded with spaces so that the data starts on an 8-byte boundary, as the library does.
    public static func encode(_ tensors: [(String, Tensor)], metadata: [String: String]) -> Data {
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            fields.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        var offset = 0
        for (name, tensor) in tensors {
            let bytes = tensor.scalars.count * 4
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append(
                "\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}"
            )
            offset += bytes
        }
        var header = Array(("{" + fields.joined(separator: ",") + "}").utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)
        var data = Data(capacity: 8 + header.count + offset)
        let length = UInt64(header.count)
        data.append(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) })
        data.append(contentsOf: header)
        for (_, tensor) in tensors {
            for value in tensor.scalars {
                let bits = value.bitPattern.littleEndian
                data.append(contentsOf: [
                    UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                    UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24),
                ])
            }
        }
        return data
    }

    public static func write(_ tensors: [(String, Tensor)], metadata: [String: String], to url: URL) throws {
        let names = tensors.map(\.0)
        guard Set(names).count == names.count else {
            throw TensorFileError("\(url.path): duplicate tensor names in \(names)")
        }
        do { try encode(tensors, metadata: metadata).write(to: url) } catch {
            throw TensorFileError("\(url.path): cannot write: \(error.localizedDescription)")
        }
    }

    /// A JSON string literal with the escapes JSON requires.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
