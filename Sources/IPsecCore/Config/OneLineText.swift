/// Text from the environment or a file, made safe to echo into a log: one line, no terminal control.
///
/// A value may hold newlines (a forged second log line), escape sequences (that recolour or rewrite the
/// operator's terminal) or be megabytes long. Every message that quotes such a value goes through
/// ``escaped(_:limit:)``, so what the operator reads is exactly one line per problem.
public enum OneLineText {
    /// Control characters as `\n`, `\r`, `\t` or `\u{XX}` (C0, DEL, C1, and the Unicode line and paragraph
    /// separators and bidirectional overrides), a backslash as `\\`; longer than `limit` characters, cut
    /// with the number of characters left out.
    public static func escaped(_ text: String, limit: Int = 160) -> String {
        var out = ""
        var shown = 0
        for scalar in text.unicodeScalars {
            if shown == limit {
                return out + "…(\(text.unicodeScalars.count - shown) more characters)"
            }
            shown += 1
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case _ where isControl(scalar):
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
