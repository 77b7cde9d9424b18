import Foundation
import GrustreamNeural
import GrustreamTestSupport
import Testing

@testable import GrustreamPipeline

#if canImport(Glibc)
    import Glibc
#endif

/// State files as hostile input (sizes, detector values), how many streams they keep and for how long, and how
/// they are written (no planted symlink followed, an unwritable folder caught at start).
@Suite("hostile state files")
struct HostileStateFileTests {
    let temp = FileManager.default.temporaryDirectory.appendingPathComponent("gs-hostile-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true) }

    static func snapshot(_ name: String, idleSince: WallTime? = nil) -> StreamStateSnapshot {
        StreamStateSnapshot(
            stream: name, gru: GRUState(hidden: Tensor(shape: [1, 2], scalars: [0.5, -0.5])), labels: ["a"],
            detector: nil, idleSince: idleSince)
    }

    @Test func aStateFileWhoseShapeOverflowsIsRefused() {
        let header =
            #"{"__metadata__":{"grustream_state":"1","streams":"[{\"name\":\"x\",\"labels\":[]}]","#
            + #""checksum":"0","model_hash":"0"},"s0.hidden":{"dtype":"F32","shape":[4611686018427387904,4],"#
            + #""data_offsets":[0,0]}}"#
        let bytes = Array(header.utf8)
        let length = UInt64(bytes.count)
        let data = Data((0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + bytes)
        #expect {
            try StateFile.decode(data, name: "kws.state")
        } throws: { "\($0)".contains("element count overflows") && "\($0)".hasPrefix("kws.state: ") }
    }

    @Test func aHugeStateFileIsRefusedBeforeItIsRead() throws {
        let url = temp.appendingPathComponent("huge.state")
        #expect(FileManager.default.createFile(atPath: url.path, contents: nil))
        #expect(truncate(url.path, off_t(StateFile.maximumFileBytes + 1)) == 0)  // sparse: no disk space used
        #expect {
            try StateFile.read(url)
        } throws: { "\($0)".contains("\(StateFile.maximumFileBytes + 1) bytes, more than the") }
    }

    @Test func detectorValuesBeyondAnyRealStreamAreRefused() throws {
        var options = ClassifyOptions()
        options.smoothMilliseconds = 50
        let detector = try ClassifyDetector(labels: ["a"], options: options, hopSeconds: 0.01)
        for (key, value) in [("frames_seen", 1e300), ("quiet_until", -1e19), ("run_start", -9.3e18)] {
            var snapshot = detector.snapshot(nextFrame: 0, nextTime: 0)
            snapshot.values[key] = snapshot.values[key].map { $0.map { _ in value } }
            #expect(throws: StateFileError.self, "\(key) = \(value)") {
                try detector.restore(snapshot, nextFrame: 0, nextTime: 0)
            }
        }
        let anomaly = try AnomalyDetector(inputSize: 1, outputSize: 1, options: AnomalyOptions(), hopSeconds: 0.01)
        var snapshot = anomaly.snapshot(nextFrame: 0, nextTime: 0)
        snapshot.values["span_start_frame"] = [9.2e18]
        #expect {
            try anomaly.restore(snapshot, nextFrame: 0, nextTime: 0)
        } throws: { "\($0)".contains("\"span_start_frame\" holds 9.2e+18, beyond") }
    }

    @Test func idleTimesRoundTripThroughTheFile() throws {
        let file = StateFile(
            pipeline: "p", model: "m", modelHash: "0",
            streams: [
                Self.snapshot("a", idleSince: WallTime(millisecondsSinceEpoch: 1_764_000_000_123)), Self.snapshot("b"),
            ])
        #expect(try StateFile.decode(file.encode(), name: "x") == file)
    }

    @Test func closedStreamsExpireAndTheFileHasACap() {
        let now = WallTime(millisecondsSinceEpoch: 2_000_000_000_000)
        func ago(_ seconds: Int) -> WallTime {
            WallTime(millisecondsSinceEpoch: now.millisecondsSinceEpoch - Int64(seconds) * 1000)
        }
        let day = StateKeeper.retentionSeconds
        let kept = StateKeeper.streamsToKeep(
            open: [Self.snapshot("open")],
            idle: [
                Self.snapshot("fresh", idleSince: ago(60)), Self.snapshot("stale", idleSince: ago(day + 1)),
                Self.snapshot("open", idleSince: ago(5)), Self.snapshot("edge", idleSince: ago(day)),
            ],
            now: now)
        #expect(kept.map(\.stream) == ["edge", "fresh", "open"])
        #expect(kept.last?.idleSince == nil, "the open stream's own snapshot, not the idle one")
        let many = (0..<(StateKeeper.maximumSavedStreams + 500)).map { Self.snapshot("s\($0)", idleSince: ago($0)) }
        let capped = StateKeeper.streamsToKeep(open: [Self.snapshot("live")], idle: many.shuffled(), now: now)
        #expect(capped.count == StateKeeper.maximumSavedStreams)
        #expect(capped.contains { $0.stream == "live" })
        #expect(!capped.contains { $0.stream == "s\(StateKeeper.maximumSavedStreams - 1)" }, "the oldest go first")
        #expect(capped.contains { $0.stream == "s\(StateKeeper.maximumSavedStreams - 2)" })
    }

    @Test func aPlantedSymlinkAtTheTemporaryNameIsNotFollowed() throws {
        let url = temp.appendingPathComponent("kws.state")
        let victim = temp.appendingPathComponent("victim.txt")
        try Data("precious\n".utf8).write(to: victim)
        let temporary = temp.appendingPathComponent(".kws.state.\(getpid()).tmp")
        try FileManager.default.createSymbolicLink(at: temporary, withDestinationURL: victim)
        let file = StateFile(pipeline: "p", model: "m", modelHash: "0", streams: [Self.snapshot("a")])
        try file.write(to: url)
        #expect(try String(contentsOf: victim, encoding: .utf8) == "precious\n")
        #expect(try StateFile.read(url) == file)
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        #expect(!FileManager.default.fileExists(atPath: temporary.path), "no temporary name left behind")
    }

    @Test func aStateFolderThatCannotBeWrittenIsAConfigurationError() throws {
        let plainFile = temp.appendingPathComponent("not-a-folder")
        try Data().write(to: plainFile)
        #expect {
            try StateFile.checkWritable(plainFile.appendingPathComponent("sub/kws.state"))
        } throws: { error in
            error is PipelineConfigError
                && "\(error)".hasPrefix("runtime.state_file: \(plainFile.path)/sub/kws.state: ")
                && "\(error)".contains("\(plainFile.path) is not a directory")
        }
        try StateFile.checkWritable(temp.appendingPathComponent("new/deeper/kws.state"))
        try StateFile.checkWritable(stateFile: "")
        if geteuid() != 0 {  // root may write anywhere: only the not-a-directory case applies to it
            let locked = temp.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
            chmod(locked.path, 0o500)
            defer { chmod(locked.path, 0o700) }
            #expect(throws: PipelineConfigError.self) {
                try StateFile.checkWritable(locked.appendingPathComponent("kws.state"))
            }
        }
    }

    @Test func runAndCheckRefuseAnUnwritableStateFileAtStart() throws {
        let plainFile = temp.appendingPathComponent("not-a-folder")
        try Data().write(to: plainFile)
        let state = plainFile.appendingPathComponent("e2e.state").path
        let pipeline = try DaemonPipelines.write(in: temp, runtime: "state_file = \"\(state)\"\n")
        for arguments in [["check", pipeline.path], ["run", pipeline.path]] {
            let result = try CommandLineTool.run(arguments)
            #expect(result.status == 2, "\(arguments[0]): \(result.stderr)")
            #expect(result.stderr.contains("runtime.state_file: \(state): \(plainFile.path) is not a directory"))
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
            #expect(result.stdout.isEmpty || arguments[0] == "check")
        }
    }
}
