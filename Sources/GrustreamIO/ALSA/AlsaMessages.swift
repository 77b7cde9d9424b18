/// The user-facing wording of ALSA failures: what happened, ALSA's own words, what to do.
package enum AlsaMessages {
    package static func openError(_ failure: ALSAFailure, source: String, options: AlsaSource.Options) -> InputError {
        let lower = failure.messages.joined(separator: "\n").lowercased()
        let what: String
        if lower.contains("cannot find card") || lower.contains("cannot get card index") {
            what =
                "no sound card found (\(failure.explanation)); list devices with 'arecord -L' or use --source - to read stdin"
        } else if lower.contains("unknown pcm \(options.device.lowercased())") {
            what = "no ALSA device named '\(options.device)' (\(failure.explanation)); list devices with 'arecord -L'"
        } else if failure.isCode(EBUSY) {
            what =
                "device is busy (\(failure.explanation)); another program is capturing from it ('fuser -v /dev/snd/*' shows which), or use a 'dsnoop' device to share it"
        } else if failure.isCode(EACCES) || failure.isCode(EPERM) {
            what = "permission denied (\(failure.explanation)); add the user to the 'audio' group"
        } else if failure.isCode(ENODEV) || failure.isCode(ENOENT) {
            what = "no such device (\(failure.explanation)); is it plugged in? list devices with 'arecord -L'"
        } else if failure.function.hasPrefix("snd_pcm_hw_params") {
            let setting = failure.function.replacingOccurrences(of: "snd_pcm_hw_params_set_", with: "")
            what =
                "the device does not support \(setting) \(value(of: setting, options)) (\(failure.explanation)); use a 'plug:' device (or 'default') to convert"
        } else {
            what = "\(failure.function) failed (\(failure.explanation))"
        }
        return InputError("\(source): cannot open capture device: \(what)")
    }

    package static func readError(_ failure: ALSAFailure, source: String) -> InputError {
        if failure.isCode(ENODEV) || failure.isCode(EBADFD) || failure.isCode(EIO) {
            return InputError("\(source): capture device disappeared (\(failure.explanation)); was it unplugged?")
        }
        return InputError("\(source): capture failed: \(failure.function) (\(failure.explanation))")
    }

    private static func value(of setting: String, _ options: AlsaSource.Options) -> String {
        switch setting {
        case "format": "\(options.encoding.rawValue)"
        case "channels": "\(options.channels) channels"
        case "rate_near": "\(options.sampleRate) Hz"
        case "access": "interleaved reads"
        default: ""
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
import Foundation
