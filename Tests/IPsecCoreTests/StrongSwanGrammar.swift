/// The oracle for the hostile-input tests: strongSwan 5.9's own readers of the files we render, ported
/// rule for rule (libstrongswan/settings/settings_lexer.l and settings_parser.y for swanctl.conf and
/// strongswan.conf; starter/parser/lexer.l for ipsec.conf values; stroke_cred.c's token rules for
/// ipsec.secrets). Test code only: what a port gets wrong, the acceptance tests with the real daemons catch.
enum StrongSwanGrammar {
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// A parsed settings file, flattened: `a.b.key` → value, in file order, later settings replacing earlier
    /// ones as strongSwan's add_setting does; sections as their dotted paths; `include` patterns kept.
    struct Settings: Equatable {
        var values: [String: String] = [:]
        var sections: Set<String> = []
        var includes: [String] = []
    }

    // MARK: swanctl.conf / strongswan.conf

    private enum Token: Equatable {
        case name(String), string(String), open, close, equals, newline, include(String)
    }

    /// The lexer's three start conditions that matter for what we render (INITIAL, val, str; inc is read
    /// as one pattern up to a blank, as our files never quote or escape one).
    private static func tokens(_ text: String) throws -> [Token] {
        let bytes = Array(text.utf8)
        var tokens: [Token] = []
        var index = 0
        var inValue = false
        func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        while index < bytes.count {
            let byte = bytes[index]
            if inValue {
                switch byte {
                case 0x0D, 0x20, 0x09: index += 1
                case UInt8(ascii: "#"), UInt8(ascii: "}"), 0x0A: inValue = false   // left for INITIAL
                case UInt8(ascii: "\""):
                    let (string, next) = try quotedString(bytes, from: index + 1, dropsCarriageReturn: true)
                    tokens.append(.string(string))
                    index = next
                default:
                    let start = index
                    while index < bytes.count, !"#}\"\r\n\t ".utf8.contains(bytes[index]) { index += 1 }
                    tokens.append(.name(String(decoding: bytes[start..<index], as: UTF8.self)))
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
            case 0x09, 0x0D, 0x20: index += 1
            case 0x0A: tokens.append(.newline); index += 1
            case UInt8(ascii: "{"): tokens.append(.open); index += 1
            case UInt8(ascii: "}"): tokens.append(.close); index += 1
            case UInt8(ascii: "="): tokens.append(.equals); index += 1; inValue = true
            case UInt8(ascii: "\""): throw ParseError(description: "unexpected string detected")
            default:
                let start = index
                while index < bytes.count, !"#{}=\"\r\n\t ".utf8.contains(bytes[index]) { index += 1 }
                let word = String(decoding: bytes[start..<index], as: UTF8.self)
                // "include"[\t ]+/[^=]
                var after = index
                while after < bytes.count, isBlank(bytes[after]) { after += 1 }
                if word == "include", after > index, after < bytes.count, bytes[after] != UInt8(ascii: "=") {
                    var end = after
                    while end < bytes.count, !"#}\n\t ".utf8.contains(bytes[end]) { end += 1 }
                    tokens.append(.include(String(decoding: bytes[after..<end], as: UTF8.self)))
                    index = end
                } else {
                    tokens.append(.name(word))
                }
            }
        }
        return tokens
    }

    /// The `str` start condition, shared by both lexers: `\n`, `\r`, `\t` escapes, backslash-newline joins
    /// lines, a backslash takes any other character literally; a raw CR is dropped by the settings lexer
    /// only. Returns the string and the index after its closing quote.
    private static func quotedString(_ bytes: [UInt8], from start: Int, dropsCarriageReturn: Bool) throws -> (String, Int) {
        var out: [UInt8] = []
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                return (String(decoding: out, as: UTF8.self), index + 1)
            case 0x0D where dropsCarriageReturn:
                index += 1
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { throw ParseError(description: "unterminated string detected") }
                let next = bytes[index + 1]
                switch next {
                case UInt8(ascii: "n"): out.append(0x0A); index += 2
                case UInt8(ascii: "r"): out.append(0x0D); index += 2
                case UInt8(ascii: "t"): out.append(0x09); index += 2
                case 0x0A: index += 2
                case 0x0D where index + 2 < bytes.count && bytes[index + 2] == 0x0A: index += 3
                default: out.append(next); index += 2
                }
            default:
                out.append(byte); index += 1
            }
        }
        throw ParseError(description: "unterminated string detected")
    }

    /// settings_parser.y: statements of sections (`NAME {` or `NAME NEWLINE {`) and settings (`NAME = value`,
    /// value parts joined by one space).
    static func parseSettings(_ text: String) throws -> Settings {
        let tokens = try tokens(text)
        var settings = Settings()
        var position = 0
        func statements(_ path: [String]) throws {
            while position < tokens.count {
                switch tokens[position] {
                case .newline: position += 1
                case .close:
                    guard !path.isEmpty else { throw ParseError(description: "unexpected '}'") }
                    return
                case .include(let pattern):
                    settings.includes.append((path + [pattern]).joined(separator: "."))
                    position += 1
                case .name(let name):
                    position += 1
                    var lookahead = position
                    if lookahead < tokens.count, tokens[lookahead] == .newline { lookahead += 1 }
                    if lookahead < tokens.count, tokens[lookahead] == .open {
                        position = lookahead + 1
                        let inner = path + [name]
                        settings.sections.insert(inner.joined(separator: "."))
                        try statements(inner)
                        guard position < tokens.count, tokens[position] == .close else {
                            throw ParseError(description: "section \(name) not closed")
                        }
                        position += 1
                    } else if position < tokens.count, tokens[position] == .equals {
                        position += 1
                        var parts: [String] = []
                        loop: while position < tokens.count {
                            switch tokens[position] {
                            case .name(let part), .string(let part): parts.append(part); position += 1
                            default: break loop
                            }
                        }
                        settings.values[(path + [name]).joined(separator: ".")] = parts.joined(separator: " ")
                    } else {
                        throw ParseError(description: "syntax error after \(name)")
                    }
                default:
                    throw ParseError(description: "syntax error at \(tokens[position])")
                }
            }
            if !path.isEmpty { throw ParseError(description: "unexpected end of file in \(path.joined(separator: "."))") }
        }
        try statements([])
        return settings
    }

    // MARK: ipsec.conf

    /// One `key=value` line of a conn or config section as starter's lexer reads it: the key, and the value
    /// as one STRING token (a word `[^"#= \t\n]+` or a quoted string). Anything more is a parse error here,
    /// which is stricter than starter (it would join or reject), as the renderer must never produce it.
    static func parseIpsecConf(_ text: String) throws -> [(section: String, key: String, value: String)] {
        var result: [(section: String, key: String, value: String)] = []
        var section = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            guard let first = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), bytes[first] != UInt8(ascii: "#") else { continue }
            if first == 0 {
                section = String(decoding: bytes, as: UTF8.self)
                guard section == "config setup" || section.hasPrefix("conn ") else {
                    throw ParseError(description: "not a section header: \(section)")
                }
                continue
            }
            guard let equals = bytes[first...].firstIndex(of: UInt8(ascii: "=")) else {
                throw ParseError(description: "no '=' in \(String(decoding: bytes, as: UTF8.self))")
            }
            let key = String(decoding: bytes[first..<equals], as: UTF8.self)
            guard !key.isEmpty, !key.utf8.contains(where: { "\"#= \t".utf8.contains($0) }) else {
                throw ParseError(description: "bad key \(key)")
            }
            var index = equals + 1
            let value: String
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                (value, index) = try quotedString(bytes, from: index + 1, dropsCarriageReturn: false)
            } else {
                let start = index
                while index < bytes.count, !"\"#= \t".utf8.contains(bytes[index]) { index += 1 }
                value = String(decoding: bytes[start..<index], as: UTF8.self)
            }
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            guard index == bytes.count || bytes[index] == UInt8(ascii: "#") else {
                throw ParseError(description: "more than one value for \(key): \(String(decoding: bytes, as: UTF8.self))")
            }
            result.append((section, key, value))
        }
        return result
    }

    // MARK: ipsec.secrets

    /// The selectors before ` : PSK` as stroke's secrets parser tokenizes them: blank-separated, a token
    /// starting with `"` or `'` runs to the same quote (no escapes).
    static func ipsecSecretsOwners(_ line: String) throws -> [String] {
        guard let range = line.range(of: ": PSK ") else { throw ParseError(description: "no ': PSK' in \(line)") }
        var owners: [String] = []
        var rest = Substring(line[..<range.lowerBound])
        while let first = rest.first {
            if first == " " || first == "\t" { rest.removeFirst(); continue }
            if first == "\"" || first == "'" {
                rest.removeFirst()
                guard let close = rest.firstIndex(of: first) else { throw ParseError(description: "unterminated quote in \(line)") }
                owners.append(String(rest[..<close]))
                rest = rest[rest.index(after: close)...]
            } else {
                let end = rest.firstIndex(where: { $0 == " " || $0 == "\t" }) ?? rest.endIndex
                owners.append(String(rest[..<end]))
                rest = rest[end...]
            }
        }
        return owners
    }
}
