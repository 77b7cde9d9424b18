#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
@_exported import GrustreamKernelInterface
import GrustreamKernelsBaseline

#if arch(x86_64)
    import GrustreamKernelsAVX2
    import GrustreamKernelsAVX512
#endif

/// `GRUSTREAM_KERNELS` names a family this CPU cannot run, or no family.
public struct KernelSelectionError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Which kernel family the process runs: the fastest the CPU and OS support (cpuid, XCR0), unless the
/// environment variable `GRUSTREAM_KERNELS` (baseline | avx2 | avx512) names another one it supports.
public enum Kernels {
    public static let environmentVariable = "GRUSTREAM_KERNELS"

    /// The families this CPU can run, baseline first, fastest last.
    public static var runnable: [KernelFamily] { CPUFeatures.runnableFamilies }

    /// The family `GRUSTREAM_KERNELS` asks for (nil, empty or unset: the fastest runnable one).
    public static func choose(requested: String?) throws(KernelSelectionError) -> KernelFamily {
        guard let requested, !requested.isEmpty else { return runnable.last ?? .baseline }
        let names = KernelFamily.allCases.map(\.rawValue).joined(separator: ", ")
        guard let family = KernelFamily(rawValue: requested) else {
            throw KernelSelectionError(
                description: "\(environmentVariable)=\(requested): unknown kernel family, expected one of \(names)")
        }
        guard runnable.contains(family) else {
            let usable = runnable.map(\.rawValue).joined(separator: ", ")
            throw KernelSelectionError(
                description: "\(environmentVariable)=\(requested): this CPU (or its OS) cannot run the \(requested) "
                    + "kernels; it can run \(usable)")
        }
        return family
    }

    /// The environment's request, checked: the command line calls it first and exits with status 2 on an error.
    public static func chooseFromEnvironment() throws(KernelSelectionError) -> KernelFamily {
        try choose(requested: getenv(environmentVariable).map { String(cString: $0) })
    }

    /// The process's family, chosen once. A bad `GRUSTREAM_KERNELS` stops a program that did not check
    /// `chooseFromEnvironment()` first, with the same message.
    public static let selected: KernelFamily = {
        do { return try chooseFromEnvironment() } catch { fatalError("\(error)") }
    }()

    /// Tests run a body with another runnable family: the objects it makes run that family's kernels.
    @TaskLocal package static var override: KernelFamily?

    /// The table new kernel users take (`override`, else `selected`).
    package static var current: KernelTable { table(override ?? selected) }

    /// The table of `family`, which must be runnable.
    package static func table(_ family: KernelFamily) -> KernelTable {
        precondition(runnable.contains(family), "the \(family.rawValue) kernels cannot run on this CPU")
        switch family {
        case .baseline: return baselineKernels
        #if arch(x86_64)
            case .avx2: return avx2Kernels
            case .avx512: return avx512Kernels
        #else
            case .avx2, .avx512: return baselineKernels
        #endif
        }
    }
}
