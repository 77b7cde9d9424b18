import CALSA

#if canImport(Glibc)
    import Glibc
#endif

/// An open ALSA capture PCM configured for interleaved reads. Internal: C types stay in this file.
/// Every libasound call goes through `ALSA.call`.
final class AlsaPCM {
    private let handle: OpaquePointer
    let periodFrames: Int
    let bufferFrames: Int
    /// The rate the device gives (Hz): `format.sampleRate`, or with `anyRate` the nearest it offers.
    let sampleRate: Int

    /// Open `device` for capture and set its hardware parameters. `configuration`: ALSA configuration text
    /// used instead of the system configuration (the PCM is looked up in it). `anyRate`: take the rate nearest
    /// `format.sampleRate` the device offers, instead of failing when it is not exactly that.
    init(
        device: String, format: PCMFormat, periodFrames: Int, bufferFrames: Int, configuration: String?,
        anyRate: Bool = false
    ) throws(ALSAFailure) {
        var pcm: OpaquePointer?
        if let configuration {
            var top: OpaquePointer?
            try ALSA.call("snd_config_top") { snd_config_top(&top) }
            defer { snd_config_delete(top) }
            var input: OpaquePointer?
            let length = configuration.utf8.count
            try ALSA.call("snd_input_buffer_open") { snd_input_buffer_open(&input, configuration, length) }
            defer { snd_input_close(input) }
            try ALSA.call("snd_config_load") { snd_config_load(top, input) }
            try ALSA.call("snd_pcm_open") { snd_pcm_open_lconf(&pcm, device, SND_PCM_STREAM_CAPTURE, 0, top) }
        } else {
            try ALSA.call("snd_pcm_open") { snd_pcm_open(&pcm, device, SND_PCM_STREAM_CAPTURE, 0) }
        }
        handle = pcm!
        do {
            (self.periodFrames, self.bufferFrames, self.sampleRate) = try Self.configure(
                handle, format: format, periodFrames: periodFrames, bufferFrames: bufferFrames, anyRate: anyRate)
        } catch {
            snd_pcm_close(handle)
            throw error
        }
    }

    deinit { snd_pcm_close(handle) }

    private static func configure(
        _ pcm: OpaquePointer, format: PCMFormat, periodFrames: Int, bufferFrames: Int, anyRate: Bool
    ) throws(ALSAFailure) -> (Int, Int, Int) {
        var params: OpaquePointer?
        try ALSA.call("snd_pcm_hw_params_malloc") { snd_pcm_hw_params_malloc(&params) }
        defer { snd_pcm_hw_params_free(params) }
        try ALSA.call("snd_pcm_hw_params_any") { snd_pcm_hw_params_any(pcm, params) }
        try ALSA.call("snd_pcm_hw_params_set_access") {
            snd_pcm_hw_params_set_access(pcm, params, SND_PCM_ACCESS_RW_INTERLEAVED)
        }
        try ALSA.call("snd_pcm_hw_params_set_format") {
            snd_pcm_hw_params_set_format(pcm, params, alsaFormat(format.encoding))
        }
        try ALSA.call("snd_pcm_hw_params_set_channels") {
            snd_pcm_hw_params_set_channels(pcm, params, UInt32(format.channels))
        }
        var rate = UInt32(format.sampleRate)
        try ALSA.call("snd_pcm_hw_params_set_rate_near") { snd_pcm_hw_params_set_rate_near(pcm, params, &rate, nil) }
        guard rate == UInt32(format.sampleRate) || anyRate else {
            throw ALSAFailure(
                function: "snd_pcm_hw_params_set_rate_near", code: -EINVAL,
                detail: "the device gives \(rate) Hz, not \(format.sampleRate) Hz")
        }
        // Period and buffer sizes were asked for in frames at `format.sampleRate`: the same durations at `rate`.
        let scale = Double(rate) / Double(format.sampleRate)
        var period = snd_pcm_uframes_t(max(1, (Double(periodFrames) * scale).rounded()))
        try ALSA.call("snd_pcm_hw_params_set_period_size_near") {
            snd_pcm_hw_params_set_period_size_near(pcm, params, &period, nil)
        }
        var buffer = snd_pcm_uframes_t(max(Int((Double(bufferFrames) * scale).rounded()), Int(period) * 2))
        try ALSA.call("snd_pcm_hw_params_set_buffer_size_near") {
            snd_pcm_hw_params_set_buffer_size_near(pcm, params, &buffer)
        }
        try ALSA.call("snd_pcm_hw_params") { snd_pcm_hw_params(pcm, params) }
        return (Int(period), Int(buffer), Int(rate))
    }

    static func alsaFormat(_ encoding: SampleEncoding) -> snd_pcm_format_t {
        switch encoding {
        case .u8: SND_PCM_FORMAT_U8
        case .s16le: SND_PCM_FORMAT_S16_LE
        case .s24le: SND_PCM_FORMAT_S24_3LE
        case .s32le: SND_PCM_FORMAT_S32_LE
        case .f32le: SND_PCM_FORMAT_FLOAT_LE
        case .f64le: SND_PCM_FORMAT_FLOAT64_LE
        }
    }

    /// Blocking interleaved read of up to `frames` frames into `buffer`. Returns frames read, or the
    /// negative error code (−EPIPE overrun, −ESTRPIPE suspend, −ENODEV unplugged, ...) for the caller.
    func read(into buffer: UnsafeMutableRawPointer, frames: Int) -> Int {
        ALSA.prepareThread()
        return snd_pcm_readi(handle, buffer, snd_pcm_uframes_t(frames))
    }

    /// Wait up to `milliseconds` for data while the PCM runs (so `stop()` is seen even if a device stalls).
    /// True when data is ready or the PCM is not running (the next read starts it).
    func waitForData(milliseconds: Int32) -> Bool {
        guard snd_pcm_state(handle) == SND_PCM_STATE_RUNNING else { return true }
        return snd_pcm_wait(handle, milliseconds) != 0
    }

    /// `snd_pcm_recover` after an overrun or a suspend (silent: no message on stderr).
    func recover(from code: Int) throws(ALSAFailure) {
        try ALSA.call("snd_pcm_recover") { snd_pcm_recover(handle, Int32(truncatingIfNeeded: code), 1) }
    }
}
