/// The one rule by which a value reaches strongSwan's configuration files.
///
/// swanctl.conf and strongswan.conf (libstrongswan's settings lexer) and ipsec.conf (starter's lexer) read a
/// double-quoted string the same way: it ends only at an unescaped `"`, a backslash takes the next character
/// literally except `\n`, `\r` and `\t`, and a raw carriage return is dropped. So every value that is not a
/// plain word is written as such a string with `\`, `"`, CR, LF and TAB escaped: whatever it holds, it stays
/// one value and cannot end its line, close a section or start a setting. A plain word needs no quotes in
/// either syntax and reads back unchanged.
///
/// What quoting cannot protect is meaning inside a value: lists are split on commas by strongSwan after
/// parsing (`"a,b"` is two interfaces), and ipsec.secrets' parser knows no escapes. The typed values that
/// reach those places refuse commas and quotes when they are read (interface names, identities).
public enum ConfigSyntax {
    /// Letters, digits and `._:/%@+-,!`: what addresses, prefixes, names, numbers, proposals and their
    /// comma-separated lists are made of. None of these is special to either lexer outside a string.
    public static func isPlainWord(_ text: String) -> Bool {
        // Byte by byte: every byte of a non-ASCII character is ≥ 0x80 and so not plain either.
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "%"), UInt8(ascii: "@"),
                 UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ","), UInt8(ascii: "!"): true
            default: false
            }
        }
    }

    /// `text` as a double-quoted string with the escapes both lexers read back to `text`.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A value as written after `key =` (settings) or `key=` (ipsec.conf): plain words bare, all else quoted.
    public static func value(_ text: String) -> String {
        isPlainWord(text) ? text : quoted(text)
    }
}
