// swift-tools-version:6.1
// grustream's ordo-one/benchmark suites, a package apart from the main one (as SwiftNIO's Benchmarks/), so that
// `swift test` of grustream never builds them. Run:  cd Benchmarks && swift package benchmark
// (the kernels run the CPU's fastest family, as in every build; GRUSTREAM_KERNELS=baseline|avx2|avx512 picks one).
import Foundation
import PackageDescription

/// SwiftPM names a path dependency after its folder (the checkout may be `grustream`, `main`, `wt-bench`, ...).
let grustream = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "grustream-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "FeatureBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GrustreamDSP", package: grustream),
                .product(name: "GrustreamBench", package: grustream),
            ],
            path: "Benchmarks/FeatureBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "GRUBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "GrustreamNeural", package: grustream),
                .product(name: "GrustreamBench", package: grustream),
            ],
            path: "Benchmarks/GRUBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
