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
        #expect(throws: InputError.self) { try SourceAddress(parsing: "unix:") }
    }
}

extension SourceAddressTests {
    @Test func optionsPrintEveryField() {
        #expect(
            AlsaSource.Options().description
                == "device=default rate=16000Hz channels=1 format=s16le period=160frames buffer=3200frames retry=off ring=2.0s frame_limit=none configuration=system"
        )
        #expect(
            FileSource.Options(format: .csv(CSVOptions(channels: 3, timestampColumn: true))).description
                == "format=csv(columns=3 timestamp=true header=auto) rate=16000Hz channels=1 realtime=false bad_frames=skip ring=2.0s read_bytes=16384 overflow=wait (back-pressure)"
        )
        #expect(UnixSocketSource.Options().description.hasPrefix("format=f32le rate=100Hz channels=1 bad_frames=skip"))
    }
}
