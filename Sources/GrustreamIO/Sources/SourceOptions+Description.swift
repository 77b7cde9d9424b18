// Every option printed at start-up, with its default and meaning: one line per source.

extension AlsaSource.Options: CustomStringConvertible {
    public var description: String {
        "device=\(device) rate=\(sampleRate)Hz channels=\(channels) format=\(encoding.rawValue)"
            + " period=\(period)frames buffer=\(buffer)frames"
            + " retry=\(retry.map { "\($0.initialDelay)..\($0.maximumDelay)" } ?? "off")"
            + " ring=\(ringCapacityFrames.map { "\($0)frames" } ?? "\(SourceHub.defaultRingSeconds)s")"
            + " frame_limit=\(frameLimit.map(String.init) ?? "none")"
            + " configuration=\(configuration == nil ? "system" : "in-process")"
    }
}

extension FileSource.Options: CustomStringConvertible {
    public var description: String {
        "format=\(formatDescription(format, channels: channels)) rate=\(sampleRate)Hz channels=\(channels)"
            + " realtime=\(realtime) bad_frames=\(badFramePolicy.rawValue)"
            + " ring=\(ringCapacityFrames.map { "\($0)frames" } ?? "\(SourceHub.defaultRingSeconds)s")"
            + " read_bytes=\(readBytes) overflow=wait (back-pressure)"
    }
}

extension UnixSocketSource.Options: CustomStringConvertible {
    public var description: String {
        "format=\(formatDescription(format, channels: channels)) rate=\(sampleRate)Hz channels=\(channels)"
            + " bad_frames=\(badFramePolicy.rawValue)"
            + " ring=\(ringCapacityFrames.map { "\($0)frames" } ?? "\(SourceHub.defaultRingSeconds)s")"
            + " max_connections=\(maximumConnections) mode=\(mode.map { String($0, radix: 8) } ?? "umask")"
            + " overflow=drop-oldest"
    }
}

private func formatDescription(_ format: InputFormat, channels: Int) -> String {
    guard case .csv(let options) = format else { return format.description }
    return "csv(columns=\(options.channels) timestamp=\(options.timestampColumn) header=\(options.header.rawValue))"
}
