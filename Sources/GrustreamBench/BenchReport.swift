import Foundation
import GrustreamKernels

/// What `grustream bench` prints: a table for people, or JSON for scripts/bench.
public struct BenchReport: Sendable {
    public var measurements: [BenchMeasurement]
    /// CPU model, cores, build kind, input description.
    public var environment: [String: String]

    public init(measurements: [BenchMeasurement], environment: [String: String]) {
        self.measurements = measurements
        self.environment = environment
    }

    /// The machine and build, for the report header.
    public static func environment(input: String, seconds: Double, rounds: Int) -> [String: String] {
        var cpu = "unknown"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let colon = line.firstIndex(of: ":")
        {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        #if DEBUG
            let build = "debug"
        #else
            let build = "release"
        #endif
        return [
            "cpu": cpu, "cores": "\(ProcessInfo.processInfo.activeProcessorCount)", "build": build,
            "input": input, "seconds_per_case": "\(seconds)", "rounds": "\(rounds)",
            "kernels": Kernels.selected.rawValue,
        ]
    }

    public var table: String {
        var lines = [
            "grustream bench — \(environment["cpu"] ?? "?"), \(environment["build"] ?? "?") build, "
                + "\(environment["kernels"] ?? "?") kernels, median of \(environment["rounds"] ?? "?") rounds",
            "input: \(environment["input"] ?? "?")",
        ]
        let header = ["case", "frames/s", "µs/item", "RTF / GFLOP/s", "spread", "wall/CPU"]
        var rows: [[String]] = []
        for m in measurements {
            let perItem = String(format: "%.3f", m.microsecondsPerItem)
            let rate = String(format: "%.0f", m.itemsPerSecond)
            let derived =
                m.group == "features"
                ? String(format: "RTF %.2e", m.realTimeFactor)
                : String(format: m.name.hasPrefix("read-") ? "%.2f GB/s" : "%.2f GFLOP/s", m.gflops)
            rows.append([
                m.description, rate, perItem, derived, String(format: "%.0f%%", 100 * m.spread),
                String(format: "%.2f", m.wallOverCPU),
            ])
        }
        let widths = header.indices.map { i in max(header[i].count, rows.map { $0[i].count }.max() ?? 0) }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                i == 0
                    ? c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - c.count) + c
            }.joined(separator: "  ")
        }
        lines.append(line(header))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        var group = measurements.first?.group
        for (m, row) in zip(measurements, rows) {
            if m.group != group {
                lines.append("")
                group = m.group
            }
            lines.append(line(row))
        }
        lines.append("Times are process CPU time (wall/CPU > 1: other processes shared the core during the run).")
        lines.append("µs/item: per frame (features), per step of one stream (GRU; 64 streams: per stream-step).")
        lines.append("RTF = compute time / audio time. GFLOP/s counts the GRU matrix products (2·3·H·(I+H) per layer).")
        if measurements.contains(where: { $0.group == "ceiling" }) {
            lines.append("ceiling: this core's limits for any float32 GRU (KernelCeilings); GB/s: bytes read per s.")
        }
        return lines.joined(separator: "\n")
    }

    /// JSON: {"environment": {...}, "results": [{name, group, ..., median_ns_per_item, items_per_second, ...}]}.
    public var json: String {
        let results: [[String: Any]] = measurements.map { m in
            [
                "group": m.group, "name": m.name, "description": m.description,
                "items_per_iteration": m.itemsPerIteration, "samples_ns_per_iteration": m.samplesNanoseconds,
                "median_ns_per_item": m.medianNanosecondsPerItem, "items_per_second": m.itemsPerSecond,
                "us_per_item": m.microsecondsPerItem, "real_time_factor": m.realTimeFactor, "gflops": m.gflops,
                "flops_per_item": m.flopsPerItem, "spread": m.spread,
                "wall_ns_per_iteration": m.wallNanoseconds, "wall_over_cpu": m.wallOverCPU,
            ]
        }
        let object: [String: Any] = ["environment": environment, "results": results]
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
