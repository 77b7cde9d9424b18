import CLibFuzzer
import Foundation

/// `grustream-fuzz TARGET [libFuzzer options] [CORPUS ...]`: one libFuzzer executable for every parser.
/// Built by `scripts/fuzz` with `-sanitize=fuzzer,address -DFUZZING`; an ordinary build only explains that.
@main
enum FuzzMain {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(
                Data("usage: grustream-fuzz TARGET [libFuzzer options] [CORPUS ...]; TARGET: \(names)\n".utf8))
            exit(2)
        }
        FuzzTarget.selected = target
        #if FUZZING
            // libFuzzer sees the program name and its own options; the target name is ours.
            var driverArguments = [arguments[0]] + arguments.dropFirst(2)
            var cStrings = driverArguments.map { strdup($0) } + [nil]
            var argc = CInt(driverArguments.count)
            let status = cStrings.withUnsafeMutableBufferPointer { buffer -> CInt in
                var argv = buffer.baseAddress
                return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    FuzzTarget.runSelected(data, size)
                    return 0
                }
            }
            for pointer in cStrings { free(pointer) }
            driverArguments.removeAll()
            exit(status)
        #else
            FileHandle.standardError.write(
                Data(
                    "grustream-fuzz: built without libFuzzer; use scripts/fuzz (swift build -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING)\n"
                        .utf8))
            exit(2)
        #endif
    }
}
