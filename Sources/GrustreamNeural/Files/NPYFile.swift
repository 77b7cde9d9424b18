import Foundation

/// Errors reading or writing tensor files (`.npy`, safetensors). Messages name the file and what was expected.
public struct TensorFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// NumPy `.npy` files (format 1.0–3.0), the exchange format of every command and golden file.
/// Reads little-endian `f4`, `f8`, `f2`, `i1`, `i2`, `i4`, `i8`, `u1`, `u2` in C order (converted to Float);
/// writes float32 (`<f4`, version 1.0).
public enum NPYFile {
    public static func read(_ url: URL) throws -> Tensor {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TensorFileError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        return try decode(data, name: url.path)
    }

    public static func decode(_ data: Data, name: String) throws -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw TensorFileError("\(name): not a .npy file (missing \\x93NUMPY magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw TensorFileError("\(name): truncated .npy header") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw TensorFileError("\(name): .npy format version \(major) is not supported (expected 1, 2 or 3)")
        }
        guard headerStart + headerLength <= bytes.count,
            let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: .utf8)
        else { throw TensorFileError("\(name): .npy header of \(headerLength) bytes runs past the end of the file") }
        let descr = try field("descr", in: header, name: name)
        let fortran = try field("fortran_order", in: header, name: name)
        let shapeText = try field("shape", in: header, name: name)
        guard fortran.hasPrefix("False") else {
            throw TensorFileError("\(name): Fortran-order arrays are not supported (save with np.ascontiguousarray)")
        }
        let shape = try parseShape(shapeText, name: name)
        guard let count = Tensor.checkedCount(shape) else {
            throw TensorFileError("\(name): .npy shape \(shapeText) has more elements than can be addressed")
        }
        let dtype = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        guard let (width, convert) = converter(for: dtype) else {
            throw TensorFileError(
                "\(name): dtype \(dtype) is not supported (expected little-endian float or integer, e.g. <f4)")
        }
        let start = headerStart + headerLength
        let (dataBytes, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, bytes.count - start >= dataBytes else {
            let expected = overflow ? "more than \(Int.max)" : "\(dataBytes)"
            throw TensorFileError(
                "\(name): \(bytes.count - start) data bytes for shape \(shape) of \(dtype), expected \(expected)")
        }
        var scalars = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count { scalars[i] = convert(raw, start + i * width) }
        }
        return Tensor(shape: shape, scalars: scalars)
    }

    public static func write(_ tensor: Tensor, to url: URL) throws {
        do { try encode(tensor).write(to: url) } catch {
            throw TensorFileError("\(url.path): cannot write: \(error.localizedDescription)")
        }
    }

    public static func encode(_ tensor: Tensor) -> Data {
        let shapeText =
            tensor.shape.count == 1
            ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad so that the data starts on a 64-byte boundary, header ends with '\n'.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        tensor.scalars.withUnsafeBufferPointer { data.append(UnsafeRawBufferPointer($0).bindMemory(to: UInt8.self)) }
        return data
    }

    private static func field(_ key: String, in header: String, name: String) throws -> String {
        guard let range = header.range(of: "'\(key)':") else {
            throw TensorFileError("\(name): .npy header has no '\(key)' field")
        }
        let rest = header[range.upperBound...].drop(while: { $0 == " " })
        if rest.hasPrefix("(") {
            guard let close = rest.firstIndex(of: ")") else { throw TensorFileError("\(name): malformed .npy shape") }
            return String(rest[rest.startIndex...close])
        }
        return String(rest.prefix(while: { $0 != "," && $0 != "}" }))
    }

    private static func parseShape(_ text: String, name: String) throws -> [Int] {
        let inner = text.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        if inner.isEmpty { return [] }
        return try inner.split(separator: ",").compactMap { part -> Int? in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return nil }
            guard let value = Int(trimmed), value >= 0 else {
                throw TensorFileError("\(name): malformed .npy shape \(text)")
            }
            return value
        }
    }

    private typealias Convert = @Sendable (UnsafeRawBufferPointer, Int) -> Float

    private static func converter(for dtype: String) -> (Int, Convert)? {
        switch dtype {
        case "<f4", "=f4": return (4, { Float(bitPattern: $0.loadUnaligned(fromByteOffset: $1, as: UInt32.self)) })
        case "<f8", "=f8":
            return (8, { Float(Double(bitPattern: $0.loadUnaligned(fromByteOffset: $1, as: UInt64.self))) })
        case "<f2", "=f2":
            return (2, { Float(Float16(bitPattern: $0.loadUnaligned(fromByteOffset: $1, as: UInt16.self))) })
        case "|i1": return (1, { Float($0.load(fromByteOffset: $1, as: Int8.self)) })
        case "|u1": return (1, { Float($0.load(fromByteOffset: $1, as: UInt8.self)) })
        case "<i2", "=i2": return (2, { Float($0.loadUnaligned(fromByteOffset: $1, as: Int16.self)) })
        case "<u2", "=u2": return (2, { Float($0.loadUnaligned(fromByteOffset: $1, as: UInt16.self)) })
        case "<i4", "=i4": return (4, { Float($0.loadUnaligned(fromByteOffset: $1, as: Int32.self)) })
        case "<i8", "=i8": return (8, { Float($0.loadUnaligned(fromByteOffset: $1, as: Int64.self)) })
        default: return nil
        }
    }
}
