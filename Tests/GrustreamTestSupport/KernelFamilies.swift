import GrustreamKernels

/// The kernel families this machine can run: exactness and golden tests take them as an argument, so one
/// `swift test` checks every family the CPU supports.
public enum KernelFamilies {
    public static var runnable: [KernelFamily] { Kernels.runnable }

    /// `body` with every kernel user it makes (runners, models' `infer`, training graphs, feature extractors)
    /// running `family`'s kernels.
    @discardableResult
    public static func with<T>(_ family: KernelFamily, _ body: () throws -> T) rethrows -> T {
        try Kernels.$override.withValue(family) { try body() }
    }

    /// The table of `family`, for tests of single kernels.
    package static func table(_ family: KernelFamily) -> KernelTable { Kernels.table(family) }
}
