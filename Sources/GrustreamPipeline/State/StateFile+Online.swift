import Foundation
import GrustreamNeural

extension StateFile {
    /// An online learner's tensors, in file (and checksum) order: `s<i>.online.<key>`.
    static func onlineTensors(_ o: OnlineLearnerSnapshot) -> [(String, Tensor)] {
        [
            ("parameters", o.parameters), ("adam_m", o.firstMoment), ("adam_v", o.secondMoment), ("ring", o.ring),
            ("starts", o.starts),
        ]
    }

    /// A stream's `"online"` metadata (`frames`, `steps`, `pending_states`: integers from 0 to 2^53) with its
    /// tensors.
    static func onlineSnapshot(_ object: Any, file: SafetensorsFile, index i: Int, name: String) throws
        -> OnlineLearnerSnapshot
    {
        guard let fields = object as? [String: Any] else {
            throw StateFileError("\(name): \"online\" is not an object")
        }
        func count(_ key: String) throws -> Int {
            guard let number = fields[key] as? NSNumber, let value = Int(exactly: number.doubleValue),
                value >= 0, Double(value) <= DetectorSnapshot.maximumMagnitude
            else {
                throw StateFileError(
                    "\(name): online \"\(key)\" is \(fields[key] ?? "missing"), expected an integer from 0 to 2^53")
            }
            return value
        }
        func tensor(_ key: String) throws -> Tensor {
            do { return try file.tensor("s\(i).online.\(key)") } catch {
                throw StateFileError("\(name): online learning state: \(error)")
            }
        }
        return OnlineLearnerSnapshot(
            frames: try count("frames"), steps: try count("steps"), pendingStates: try count("pending_states"),
            parameters: try tensor("parameters"), firstMoment: try tensor("adam_m"), secondMoment: try tensor("adam_v"),
            ring: try tensor("ring"), starts: try tensor("starts"))
    }
}
