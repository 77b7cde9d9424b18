import ArgumentParser
import Foundation
import GrustreamDSP
import GrustreamIO
import GrustreamNeural
import GrustreamPipeline

/// An error the user can fix — bad usage, configuration, model or input file — as opposed to a failure of the
/// system (a socket that cannot be bound, a full disk). The command exits with status 2 for these, 1 otherwise.
protocol UserFixableError: Error {}

extension ValidationError: UserFixableError {}
extension PipelineConfigError: UserFixableError {}
extension FeatureConfigError: UserFixableError {}
extension InputError: UserFixableError {}
extension TensorFileError: UserFixableError {}
extension ModelLoadError: UserFixableError {}

/// Runs a command: any error is one line on stderr (no stack trace) and exit status 2 (`UserFixableError`) or 1.
func runReportingErrors(_ command: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch {
        FileHandle.standardError.write(Data("grustream \(command): \(error)\n".utf8))
        throw ExitCode(error is UserFixableError ? 2 : 1)
    }
}

/// `key=value` with a TOML value (`mel_bins=40`, `window="hann"`, `norm_mean=[0, 1]`).
func parseAssignment(_ text: String, option: String) throws -> (String, ConfigValue) {
    guard let equals = text.firstIndex(of: "=") else {
        throw ValidationError("\(option) \(text): expected KEY=VALUE, e.g. mel_bins=40 or window=\"hann\"")
    }
    let key = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
    var valueText = String(text[text.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
    // Bare words are strings: window=hann works as window="hann".
    if let first = valueText.first, first.isLetter, !["true", "false", "inf", "nan"].contains(valueText) {
        valueText = "\"\(valueText)\""
    }
    let document = try ConfigValue.parseTOML("v = \(valueText)", file: option)
    return (key.hasPrefix("features.") ? String(key.dropFirst(9)) : key, document["v"]!)
}
