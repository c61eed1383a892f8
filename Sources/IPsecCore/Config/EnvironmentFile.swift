/// An env file as upstream's `ENVFILE` points to: `KEY=VALUE` lines, an optional `export ` prefix, single or
/// double quotes, `#` comments and blank lines. It is parsed, never executed: `$(...)`, backticks and `$VAR`
/// stay literal text, so a mounted file cannot run commands in the gateway.
public struct EnvironmentFile: Sendable, Equatable {
    public var values: [String: String]

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var line: Int
        public var reason: String
        public var description: String { "\(OneLineText.escaped(path)):\(line): \(OneLineText.escaped(reason, limit: 400))" }
    }

    public init(values: [String: String]) { self.values = values }

    /// Parses the file's text; `path` is only used in error messages.
    public static func parse(_ text: String, path: String) throws(ParseError) -> EnvironmentFile {
        var values: [String: String] = [:]
        // Split on LF, CRLF and CR alike: in Swift "\r\n" is one Character, so splitting on "\n" alone
        // never splits a CRLF file and its whole text became the first key's value.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
        for (index, rawLine) in lines.enumerated() {
            let lineNumber = index + 1
            var line = Substring(rawLine)
            line = Substring(String(line).trimmingSpaces)
            if line.isEmpty || line.first == "#" { continue }
            if line.hasPrefix("export ") || line.hasPrefix("export\t") { line = Substring(String(line.dropFirst(7)).trimmingSpaces) }
            guard let equals = line.firstIndex(of: "=") else {
                throw ParseError(path: path, line: lineNumber, reason: "expected KEY=VALUE")
            }
            let key = String(line[..<equals]).trimmingSpaces
            guard let first = key.first, first == "_" || (first.isASCII && first.isLetter),
                  key.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
            else {
                throw ParseError(path: path, line: lineNumber, reason: "'\(key)' is not a valid variable name")
            }
            values[key] = try parseValue(line[line.index(after: equals)...], path: path, line: lineNumber)
        }
        return EnvironmentFile(values: values)
    }

    private static func parseValue(_ raw: Substring, path: String, line: Int) throws(ParseError) -> String {
        let value = Substring(String(raw).trimmingSpaces)
        guard let quote = value.first, quote == "\"" || quote == "'" else {
            // Unquoted, as in shell: the value ends at the first blank (space or tab); after it only a
            // `#` comment may follow. (Shell would run the rest as a command; here it is refused.)
            guard let blank = value.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return String(value) }
            let rest = String(value[blank...]).trimmingSpaces
            guard rest.isEmpty || rest.hasPrefix("#") else {
                throw ParseError(path: path, line: line, reason: "an unquoted value ends at its first space or tab; quote the value ('...' or \"...\") to keep the rest")
            }
            return String(value[..<blank])
        }
        var result = ""
        var index = value.index(after: value.startIndex)
        while index < value.endIndex {
            let character = value[index]
            if character == quote {
                let rest = String(value[value.index(after: index)...]).trimmingSpaces
                guard rest.isEmpty || rest.hasPrefix("#") else {
                    throw ParseError(path: path, line: line, reason: "unexpected text after the closing quote")
                }
                return result
            }
            // Inside double quotes a backslash escapes ", \, $ and `; single quotes are fully literal.
            if quote == "\"", character == "\\", value.index(after: index) < value.endIndex {
                let next = value[value.index(after: index)]
                if "\"\\$`".contains(next) {
                    result.append(next)
                    index = value.index(index, offsetBy: 2)
                    continue
                }
            }
            result.append(character)
            index = value.index(after: index)
        }
        throw ParseError(path: path, line: line, reason: "missing closing \(quote)")
    }
}
