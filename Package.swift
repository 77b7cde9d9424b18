// swift-tools-version:6.1
// grustream: streaming audio/sensor features (FFTW) → stateful GRU → events.
// One target per concern (README "Development"); C only in the system-library targets.
import PackageDescription

/// The numeric kernels (FFT framing, filter banks, GRU steps) are compiled with -O in debug builds too:
/// unoptimised they run ~100× slower, which makes the golden and streaming tests slow and the debug
/// binary useless for real streams. Everything else keeps normal debug settings.
let optimisedEvenInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// The modules of the processing loop (runtime, sources) hold their per-stream state in classes; Swift checks
/// exclusive access to a class's stored arrays at run time, at every element in loops that also call closures
/// (perf: ~6 % of a file-input run, in the classify detector alone). Release builds leave the checks out of
/// these modules; debug builds — the tests — keep them, so an overlapping access still fails there.
let uncheckedExclusivityInRelease: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

/// The kernel families (README "CPU baseline"): the same sources (Sources/GrustreamKernelFamilies/Shared, linked
/// into each family's folder) compiled once per CPU level; `Kernels` picks one at run time from cpuid.
/// GRUSTREAM_FMA and GRUSTREAM_AVX512 say what the family's -target-cpu promises (Swift has no `#if` for target
/// features). Other architectures build the baseline family only.
func kernelFamily(_ name: String, _ flags: [String]) -> Target {
    .target(
        name: "GrustreamKernels\(name)", dependencies: ["GrustreamKernelInterface"],
        path: "Sources/GrustreamKernelFamilies/\(name)",
        swiftSettings: optimisedEvenInDebug + (flags.isEmpty ? [] : [.unsafeFlags(flags)]))
}
#if arch(x86_64)
    let kernelFamilies = [
        kernelFamily("Baseline", []),
        kernelFamily("AVX2", ["-target-cpu", "haswell", "-DGRUSTREAM_FMA"]),
        kernelFamily("AVX512", ["-target-cpu", "skylake-avx512", "-DGRUSTREAM_FMA", "-DGRUSTREAM_AVX512"]),
    ]
#else
    let kernelFamilies = [kernelFamily("Baseline", [])]
#endif

let package = Package(
    name: "grustream",
    products: [
        .executable(name: "grustream", targets: ["grustream"]),
        .library(name: "GrustreamDSP", targets: ["GrustreamDSP"]),
        .library(name: "GrustreamNeural", targets: ["GrustreamNeural"]),
        .library(name: "GrustreamIO", targets: ["GrustreamIO"]),
        .library(name: "GrustreamPipeline", targets: ["GrustreamPipeline"]),
        .library(name: "GrustreamDaemon", targets: ["GrustreamDaemon"]),
        .library(name: "GrustreamBench", targets: ["GrustreamBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C at the edges: system libraries found through pkg-config.
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        // libFuzzer's driver entry point (declaration only; `-sanitize=fuzzer` links the runtime).
        .systemLibrary(name: "CLibFuzzer"),
        // cpuid and xgetbv (x86-64), for choosing the kernel family.
        .systemLibrary(name: "CCPUID"),

        // The kernels' shared types and the table of one family's entry points.
        .target(name: "GrustreamKernelInterface", dependencies: ["CCPUID"], swiftSettings: optimisedEvenInDebug),
        // The run-time choice of a family (cpuid, GRUSTREAM_KERNELS).
        .target(
            name: "GrustreamKernels",
            dependencies: ["GrustreamKernelInterface"] + kernelFamilies.map { .target(name: $0.name) },
            swiftSettings: optimisedEvenInDebug),

        // Framing, windows, FFT, mel, MFCC, sensor bands, normalisation.
        .target(
            name: "GrustreamDSP", dependencies: ["CFFTW", "GrustreamKernels"], swiftSettings: optimisedEvenInDebug),
        // Tensors, safetensors/npy files, GRU (weights apart from state), linear head.
        .target(
            name: "GrustreamNeural", dependencies: ["GrustreamKernels"], exclude: ["README.md"],
            swiftSettings: optimisedEvenInDebug),
        // Sources and decoders (WAV, raw PCM; ALSA, stdin, file, socket); resampling and downmix of audio input.
        .target(name: "GrustreamIO", dependencies: ["CALSA", "CSoxr"], swiftSettings: uncheckedExclusivityInRelease),
        // The domain shared by the daemon and the tools: pipeline files (Config), detectors, events and their
        // encoders, Mycroft Precise compatibility, state files, online learning, clip capture, and the processing
        // of one stream (`ResolvedPipeline` → `StreamProcessor`: features → network → detector → events).
        .target(
            name: "GrustreamPipeline",
            dependencies: [
                "GrustreamDSP", "GrustreamNeural", "GrustreamIO", "GrustreamKernels",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: uncheckedExclusivityInRelease
        ),
        // The daemon: `PipelineRunner` (sources → batches of streams → sinks, reload, control), the event socket
        // and its subscribers, systemd glue, logging, the Wyoming server and the jobs the CLI starts.
        .target(
            name: "GrustreamDaemon",
            dependencies: [
                "GrustreamPipeline", "GrustreamDSP", "GrustreamNeural", "GrustreamIO",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: uncheckedExclusivityInRelease
        ),
        // `grustream train` and `eval`: data sets from files, augmentation, the training loops, evaluations that
        // replay recordings through the daemon's `StreamProcessor`.
        .target(
            name: "GrustreamTraining",
            dependencies: ["GrustreamPipeline", "GrustreamDSP", "GrustreamNeural", "GrustreamIO"]
        ),
        // `grustream bench`: timing drivers, synthetic inputs and the hardware ceilings they are compared with.
        .target(
            name: "GrustreamBench",
            dependencies: ["GrustreamPipeline", "GrustreamDSP", "GrustreamNeural", "GrustreamKernels"]
        ),
        // Command line: argument parsing only.
        .executableTarget(
            name: "grustream",
            dependencies: [
                "GrustreamPipeline", "GrustreamDaemon", "GrustreamTraining", "GrustreamBench", "GrustreamKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer targets for every parser of untrusted bytes (scripts/fuzz builds and runs them).
        .executableTarget(
            name: "grustream-fuzz",
            dependencies: ["GrustreamDSP", "GrustreamPipeline", "GrustreamDaemon", "CLibFuzzer"]),

        // Shared test helpers: fixture paths, llm.c-style closeness reports.
        .target(
            name: "GrustreamTestSupport", dependencies: ["GrustreamNeural", "GrustreamKernels"],
            path: "Tests/GrustreamTestSupport"),
        .testTarget(
            name: "GrustreamDSPTests", dependencies: ["GrustreamDSP", "GrustreamKernels", "GrustreamTestSupport"]),
        .testTarget(
            name: "GrustreamNeuralTests", dependencies: ["GrustreamNeural", "GrustreamKernels", "GrustreamTestSupport"]),
        .testTarget(name: "GrustreamIOTests", dependencies: ["GrustreamIO", "GrustreamTestSupport"]),
        .testTarget(
            name: "GrustreamSystemTests",
            dependencies: [
                "GrustreamPipeline", "GrustreamDaemon", "GrustreamTraining", "GrustreamBench", "GrustreamKernels",
                "GrustreamTestSupport",
            ]
        ),
    ] + kernelFamilies
)
