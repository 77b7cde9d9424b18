import GrustreamKernelInterface

/// The baseline family's entry points (the kernel sources in Shared, compiled with this target's flags in Package.swift).
package let baselineKernels = makeKernelTable()
