import ArgumentParser
import Foundation

/// How a command prints what it found: for people, or as JSON for tools. Shared by `check` and `status`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print JSON (stable keys, sorted) instead of text.")
    var json = false

    /// `value` as the JSON the commands print: sorted keys, indented, no escaped slashes.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self) + "\n"
    }
}
