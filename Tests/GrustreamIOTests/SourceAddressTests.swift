import GrustreamIO
import Testing

@Suite("source addresses")
struct SourceAddressTests {
    @Test func parsesEveryForm() throws {
        #expect(try SourceAddress(parsing: "-") == .standardInput)
        #expect(try SourceAddress(parsing: "alsa:") == .alsa(device: "default"))
        #expect(try SourceAddress(parsing: "alsa:plughw:1,0") == .alsa(device: "plughw:1,0"))
        #expect(try SourceAddress(parsing: "unix:/run/x.sock") == .unixSocket(path: "/run/x.sock"))
        #expect(try SourceAddress(parsing: "rec.wav") == .file(path: "rec.wav"))
        #expect(throws: CaptureError.self) { try SourceAddress(parsing: "unix:") }
        #expect(try SourceAddress(parsing: "alsa:hw:1").makeSource(SourceSettings()).name == "alsa:hw:1")
        #expect(try SourceAddress(parsing: "unix:/tmp/a").makeSource(SourceSettings()).name == "unix:/tmp/a")
        #expect(try SourceAddress(parsing: "-").makeSource(SourceSettings()).name == "stdin")
    }
}
