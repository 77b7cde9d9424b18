import Foundation
import GrustreamNeural

/// `[runtime] state_file`: the per-stream GRU and detector state of a pipeline, kept across restarts.
///
/// A safetensors file (readable with the `safetensors` library): tensors `s<i>.hidden` `[layers × directions,
/// hidden]`, `s<i>.cell` (an LSTM's c, the same shape) and `s<i>.window` `[N, input]` (window mode) for stream `i`; `__metadata__` holds `grustream_state`
/// (format version), `model_hash` (FNV-1a 64 of the model file's bytes: state is only restored into the model it
/// came from), `model`, `pipeline`, `saved` (RFC 3339), `streams` (JSON: name, labels, detector state and decomposition state of each
/// stream, numbers printed to round-trip exactly) and `checksum` (FNV-1a 64 of `streams` and every tensor value),
/// so a truncated or corrupt file is refused rather than half-restored. Written atomically (`write(to:)`).
public struct StateFile: Sendable, Equatable {
    public static let formatVersion = "1"
    /// Largest state file read (256 MiB; `StateKeeper.maximumSavedStreams` streams of a large model take a few
    /// MB): a bigger one is refused before it is read.
    public static let maximumFileBytes = 256 << 20
    public var pipeline: String
    /// File name of the model (for messages).
    public var model: String
    /// `StateFile.hash(of:)` of the model file.
    public var modelHash: String
    public var streams: [StreamStateSnapshot]

    public init(pipeline: String, model: String, modelHash: String, streams: [StreamStateSnapshot]) {
        self.pipeline = pipeline
        self.model = model
        self.modelHash = modelHash
        self.streams = streams
    }

    // MARK: Encoding

    public func encode(saved: WallTime = .now()) -> Data {
        var tensors: [(String, Tensor)] = []
        for (i, stream) in streams.enumerated() {
            tensors.append(("s\(i).hidden", stream.gru.hidden))
            if let cell = stream.gru.cell { tensors.append(("s\(i).cell", cell)) }
            if let window = stream.gru.window { tensors.append(("s\(i).window", window)) }
            if let online = stream.online {
                for (key, tensor) in Self.onlineTensors(online) { tensors.append(("s\(i).online.\(key)", tensor)) }
            }
        }
        let streamsJSON = Self.streamsJSON(streams)
        let metadata = [
            "grustream_state": Self.formatVersion, "pipeline": pipeline, "model": model, "model_hash": modelHash,
            "saved": Self.rfc3339(saved), "streams": streamsJSON,
            "checksum": Self.checksum(streamsJSON: streamsJSON, tensors: tensors.map(\.1)),
        ]
        return SafetensorsFile.encode(tensors, metadata: metadata)
    }

    /// Decode and check a state file's bytes; `name` is used in messages.
    public static func decode(_ data: Data, name: String) throws -> StateFile {
        let file: SafetensorsFile
        do { file = try SafetensorsFile(data: data, name: name) } catch {
            throw StateFileError("\(error) (truncated or not a state file)")
        }
        let meta = file.metadata
        guard let version = meta["grustream_state"] else {
            throw StateFileError("\(name): not a grustream state file (no \"grustream_state\" in its metadata)")
        }
        guard version == formatVersion else {
            throw StateFileError("\(name): state format \(version), this grustream reads format \(formatVersion)")
        }
        guard let streamsJSON = meta["streams"], let checksum = meta["checksum"], let modelHash = meta["model_hash"]
        else { throw StateFileError("\(name): metadata lacks streams, checksum or model_hash") }
        let objects: [[String: Any]]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(streamsJSON.utf8)) as? [[String: Any]] else {
                throw StateFileError("not a list")
            }
            objects = parsed
        } catch { throw StateFileError("\(name): corrupt \"streams\" metadata (\(error))") }
        var streams: [StreamStateSnapshot] = []
        var tensors: [Tensor] = []
        for (i, object) in objects.enumerated() {
            guard let stream = object["name"] as? String, let labels = object["labels"] as? [String] else {
                throw StateFileError("\(name): stream \(i) has no name or labels")
            }
            let hidden = try file.tensor("s\(i).hidden")
            let window = file.info("s\(i).window") == nil ? nil : try file.tensor("s\(i).window")
            let cell = file.info("s\(i).cell") == nil ? nil : try file.tensor("s\(i).cell")
            tensors.append(hidden)
            if let cell { tensors.append(cell) }
            if let window { tensors.append(window) }
            var online: OnlineLearnerSnapshot?
            if let o = object["online"] {
                online = try Self.onlineSnapshot(o, file: file, index: i, name: "\(name): stream \(stream)")
                tensors += Self.onlineTensors(online!).map(\.1)
            }
            var detector: DetectorSnapshot?
            if let d = object["detector"] as? [String: Any] {
                guard let kind = d["kind"] as? String, let raw = d["values"] else {
                    throw StateFileError("\(name): stream \(stream): corrupt detector state")
                }
                detector = DetectorSnapshot(
                    kind: kind, values: try Self.numberArrays(raw, what: "\(name): stream \(stream): detector"))
            }
            var seasonal: [String: [Double]]?
            if let raw = object["seasonal"] {
                seasonal = try Self.numberArrays(raw, what: "\(name): stream \(stream): decomposition")
            }
            var idleSince: WallTime?
            if let value = object["idle_since_ms"] {
                guard let number = value as? NSNumber, let ms = Int64(exactly: number.doubleValue) else {
                    throw StateFileError(
                        "\(name): stream \(stream): \"idle_since_ms\" is \(value), expected an integer")
                }
                idleSince = WallTime(millisecondsSinceEpoch: ms)
            }
            streams.append(
                StreamStateSnapshot(
                    stream: stream, gru: GRUState(hidden: hidden, window: window, cell: cell), labels: labels,
                    detector: detector,
                    idleSince: idleSince, online: online, seasonal: seasonal))
        }
        guard Self.checksum(streamsJSON: streamsJSON, tensors: tensors) == checksum else {
            throw StateFileError("\(name): checksum mismatch (the file is corrupt)")
        }
        return StateFile(
            pipeline: meta["pipeline"] ?? "", model: meta["model"] ?? "", modelHash: modelHash, streams: streams)
    }

    /// A JSON object of named lists of numbers (`{"key": [1, 2.5], ...}`), as a detector's or a decomposition's
    /// state; `what` starts the messages.
    static func numberArrays(_ raw: Any, what: String) throws -> [String: [Double]] {
        guard let object = raw as? [String: Any] else { throw StateFileError("\(what): state is not an object") }
        var values: [String: [Double]] = [:]
        for (key, value) in object {
            guard let numbers = value as? [Any] else { throw StateFileError("\(what) \"\(key)\" is not a list") }
            values[key] = try numbers.map {
                guard let n = $0 as? NSNumber else {
                    throw StateFileError("\(what) \"\(key)\" holds a non-number")
                }
                return n.doubleValue
            }
        }
        return values
    }

    static func rfc3339(_ time: WallTime) -> String {
        var bytes: [UInt8] = []
        EventEncoder.appendTime(time, into: &bytes)
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    static func streamsJSON(_ streams: [StreamStateSnapshot]) -> String {
        func string(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where scalar.value < 0x20:
                    out +=
                        "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
        // Swift prints the shortest digits that read back to the same Double; non-finite values become null,
        // which `restore` refuses.
        func number(_ x: Double) -> String { x.isFinite ? "\(x)" : "null" }
        let items = streams.map { s -> String in
            var fields = [
                "\"name\":\(string(s.stream))", "\"labels\":[\(s.labels.map(string).joined(separator: ","))]",
            ]
            if let idle = s.idleSince { fields.append("\"idle_since_ms\":\(idle.millisecondsSinceEpoch)") }
            if let o = s.online {
                fields.append(
                    "\"online\":{\"frames\":\(o.frames),\"steps\":\(o.steps),\"pending_states\":\(o.pendingStates)}")
            }
            func arrays(_ values: [String: [Double]]) -> String {
                let items = values.sorted { $0.key < $1.key }.map {
                    "\(string($0.key)):[\($0.value.map(number).joined(separator: ","))]"
                }
                return "{" + items.joined(separator: ",") + "}"
            }
            if let d = s.detector {
                fields.append("\"detector\":{\"kind\":\(string(d.kind)),\"values\":\(arrays(d.values))}")
            }
            if let seasonal = s.seasonal { fields.append("\"seasonal\":\(arrays(seasonal))") }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    static func checksum(streamsJSON: String, tensors: [Tensor]) -> String {
        var hash = FNV1a64()
        hash.add(streamsJSON.utf8)
        for tensor in tensors {
            for dimension in tensor.shape { hash.add(UInt64(dimension)) }
            for value in tensor.scalars { hash.add(UInt64(value.bitPattern)) }
        }
        return hash.hex
    }

    // MARK: Files

    /// Read and check a state file.
    public static func read(_ url: URL) throws -> StateFile {
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= maximumFileBytes else {
            throw StateFileError(
                "\(url.path): \(size) bytes, more than the \(maximumFileBytes) a state file of "
                    + "\(StateKeeper.maximumSavedStreams) streams can need (not a state file this program wrote)")
        }
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw StateFileError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        return try decode(data, name: url.path)
    }

    /// FNV-1a 64 of a file's bytes, as 16 hex digits: identifies the model a state belongs to.
    public static func hash(of url: URL) throws -> String {
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw StateFileError("\(url.path): cannot read: \(error.localizedDescription)")
        }
        var hash = FNV1a64()
        data.withUnsafeBytes { hash.add(UnsafeRawBufferPointer($0)) }
        return hash.hex
    }
}

/// 64-bit FNV-1a: a fast non-cryptographic hash to tell files and their contents apart.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
    }

    mutating func add(_ word: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) {
            add(CollectionOfOne(UInt8(truncatingIfNeeded: word >> UInt64(shift))))
        }
    }

    var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
