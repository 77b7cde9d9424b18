import Foundation
import GrustreamKernels
import GrustreamTestSupport
import Testing

/// The run-time choice of a kernel family: cpuid against the kernel's own view of the CPU, and the environment
/// variable's checks.
@Suite("kernel selection")
struct KernelSelectionTests {
    /// /proc/cpuinfo's flags: Linux lists a vector extension only when the CPU has it and the OS saves its registers.
    static var cpuinfoFlags: Set<Substring>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        return Set(line.split(separator: " "))
    }

    @Test func cpuidAgreesWithTheKernelsView() throws {
        #expect(Kernels.runnable.first == .baseline)
        #if arch(x86_64)
            let flags = try #require(Self.cpuinfoFlags)
            let avx2 = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "abm", "movbe", "popcnt"].allSatisfy {
                flags.contains(Substring($0))
            }
            let avx512 =
                avx2
                && ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy {
                    flags.contains(Substring($0))
                }
            #expect(Kernels.runnable.contains(.avx2) == avx2, "\(Kernels.runnable)")
            #expect(Kernels.runnable.contains(.avx512) == avx512, "\(Kernels.runnable)")
        #else
            #expect(Kernels.runnable == [.baseline])
        #endif
    }

    @Test func theFastestRunnableFamilyIsTheDefault() throws {
        #expect(try Kernels.choose(requested: nil) == Kernels.runnable.last)
        #expect(try Kernels.choose(requested: "") == Kernels.runnable.last)
        for family in Kernels.runnable { #expect(try Kernels.choose(requested: family.rawValue) == family) }
    }

    @Test func unknownAndUnsupportedFamiliesAreRefused() {
        let unknown = #expect(throws: KernelSelectionError.self) { try Kernels.choose(requested: "sse9") }
        #expect(
            unknown?.description
                == "GRUSTREAM_KERNELS=sse9: unknown kernel family, expected one of baseline, avx2, avx512")
        for family in KernelFamily.allCases where !Kernels.runnable.contains(family) {
            let error = #expect(throws: KernelSelectionError.self) { try Kernels.choose(requested: family.rawValue) }
            #expect(error?.description.contains("cannot run the \(family.rawValue) kernels") == true)
        }
    }
}
