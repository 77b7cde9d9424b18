import Foundation
import GrustreamIO
import Testing

@Suite("sample ring")
struct SampleRingTests {
    func read(_ ring: SampleRing, max: Int = 1000) -> (RingRead, [Float]) {
        var out = [Float](repeating: -1, count: max)
        let r = out.withUnsafeMutableBufferPointer { ring.read(into: $0) }
        return (r, Array(out[0..<r.sampleCount]))
    }

    func write(_ ring: SampleRing, _ values: [Float], _ policy: OverflowPolicy = .dropOldest) -> Int {
        values.withUnsafeBufferPointer { ring.write($0, policy: policy) }
    }

    @Test func overflowDropsTheOldestAndCountsExactly() {
        let ring = SampleRing(capacityFrames: 8, channels: 1)
        #expect(write(ring, (0..<5).map(Float.init)) == 0)
        #expect(write(ring, (5..<11).map(Float.init)) == 3)  // 11 written, room for 8: 0, 1, 2 dropped
        #expect(ring.droppedFrames == 3)
        let (r, values) = read(ring)
        #expect(values == (3..<11).map(Float.init))
        #expect(r.firstFrame == 3)
        // One write larger than the ring keeps only its newest frames.
        #expect(write(ring, (100..<120).map(Float.init)) == 12)
        #expect(ring.droppedFrames == 15)
        let (r2, values2) = read(ring)
        #expect(values2 == (112..<120).map(Float.init))
        #expect(r2.firstFrame == 11 + 12)
    }

    @Test func multichannelDropsWholeFramesAndHalfFramesWait() {
        let ring = SampleRing(capacityFrames: 4, channels: 3)
        #expect(write(ring, [1, 2, 3, 4]) == 0)  // one frame and a third
        let (r0, v0) = read(ring)
        #expect(v0 == [1, 2, 3] && r0.firstFrame == 0)
        #expect(write(ring, [5, 6]) == 0)  // completes the second frame
        #expect(write(ring, (10..<22).map(Float.init)) == 1)  // 5 frames for 4 slots: frame 1 dropped
        let (r1, v1) = read(ring, max: 7)  // room for two frames only
        #expect(v1 == (10..<16).map(Float.init) && r1.firstFrame == 2)
        let (r2, v2) = read(ring)
        #expect(v2 == (16..<22).map(Float.init) && r2.firstFrame == 4)
        #expect(ring.droppedFrames == 1)
    }

    @Test func aFullRingNeverBlocksALiveWriter() {
        let ring = SampleRing(capacityFrames: 64, channels: 2)
        let chunk = [Float](repeating: 0.5, count: 100)
        let start = ContinuousClock.now
        for _ in 0..<10_000 { _ = write(ring, chunk) }  // nobody reads
        #expect(ContinuousClock.now - start < .seconds(2))
        #expect(ring.droppedFrames == 10_000 * 50 - 64)
        #expect(ring.availableFrames == 64)
    }

    @Test func waitForSpaceDeliversEverythingInOrder() {
        let ring = SampleRing(capacityFrames: 16, channels: 1)
        let total = 5000
        let writer = Thread {
            var next = 0
            while next < total {
                let values = (next..<min(next + 37, total)).map(Float.init)
                values.withUnsafeBufferPointer { _ = ring.write($0, policy: .waitForSpace) }
                next += values.count
            }
        }
        writer.start()
        var received: [Float] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while received.count < total && ContinuousClock.now < deadline {
            let (_, values) = read(ring, max: 5)
            received += values
            if values.isEmpty { usleep(100) }
        }
        #expect(received == (0..<total).map(Float.init))
        #expect(ring.droppedFrames == 0)
    }

    @Test func blockedWriterWaitsForHalfTheRing() {
        let ring = SampleRing(capacityFrames: 16, channels: 1)
        let done = DispatchSemaphore(value: 0)
        Thread {
            let values = (0..<40).map(Float.init)
            values.withUnsafeBufferPointer { _ = ring.write($0, policy: .waitForSpace) }
            done.signal()
        }.start()
        while ring.framesWritten < 16 { usleep(100) }  // full; the writer waits with 24 samples to go
        var received = read(ring, max: 7).1  // 7 free: less than half the ring
        usleep(50_000)
        #expect(ring.framesWritten == 16, "the writer was woken for 7 free samples")
        received += read(ring, max: 1).1  // 8 free: half the ring, the writer goes on
        let deadline = ContinuousClock.now + .seconds(10)
        while received.count < 40 && ContinuousClock.now < deadline {
            let values = read(ring, max: 5).1
            received += values
            if values.isEmpty { usleep(100) }
        }
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(received == (0..<40).map(Float.init))
        #expect(ring.droppedFrames == 0)
    }

    @Test func cancelReleasesABlockedWriterAndCountsTheRest() {
        let ring = SampleRing(capacityFrames: 4, channels: 1)
        let done = DispatchSemaphore(value: 0)
        let dropped = LockedBox(0)
        Thread {
            let values = [Float](repeating: 1, count: 10)
            dropped.value = values.withUnsafeBufferPointer { ring.write($0, policy: .waitForSpace) }
            done.signal()
        }.start()
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)  // blocked: nobody reads
        ring.cancelWaiting()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(dropped.value == 6 && ring.droppedFrames == 6 && ring.availableFrames == 4)
    }
}

final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
