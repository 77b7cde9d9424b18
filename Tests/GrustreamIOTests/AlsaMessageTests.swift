import Foundation
import GrustreamIO
import Testing

/// The wording of ALSA failures that cannot be produced without hardware (busy, unplugged, permissions).
@Suite("ALSA messages")
struct AlsaMessageTests {
    let options = AlsaSource.Options(device: "hw:1,0")

    func open(_ code: Int32, _ function: String = "snd_pcm_open", messages: [String] = []) -> String {
        AlsaMessages.openError(
            ALSAFailure(function: function, code: -code, detail: messages.first, messages: messages),
            source: "alsa:hw:1,0", options: options
        ).description
    }

    @Test func openFailures() {
        #expect(
            open(EBUSY)
                == "alsa:hw:1,0: cannot open capture device: device is busy (ALSA: Device or resource busy); another program is capturing from it ('fuser -v /dev/snd/*' shows which), or use a 'dsnoop' device to share it"
        )
        #expect(
            open(EACCES).hasSuffix("permission denied (ALSA: Permission denied); add the user to the 'audio' group"))
        #expect(open(ENODEV).contains("no such device (ALSA: No such device); is it plugged in?"))
        #expect(
            open(EINVAL, "snd_pcm_hw_params_set_format").hasSuffix(
                "the device does not support format s16le (ALSA: Invalid argument); use a 'plug:' device (or 'default') to convert"
            ))
        #expect(
            open(ENOENT, messages: ["cannot find card '0'", "Unknown PCM default"])
                == "alsa:hw:1,0: cannot open capture device: no sound card found (ALSA: cannot find card '0'); list devices with 'arecord -L' or use --source - to read stdin"
        )
    }

    @Test func readFailures() {
        let unplugged = AlsaMessages.readError(
            ALSAFailure(function: "snd_pcm_readi", code: -ENODEV), source: "alsa:usb")
        #expect(
            unplugged.description == "alsa:usb: capture device disappeared (ALSA: No such device); was it unplugged?")
        let other = AlsaMessages.readError(ALSAFailure(function: "snd_pcm_recover", code: -EINVAL), source: "alsa:usb")
        #expect(other.description == "alsa:usb: capture failed: snd_pcm_recover (ALSA: Invalid argument)")
    }
}
