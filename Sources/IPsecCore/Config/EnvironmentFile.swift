/// An env file as upstream's `ENVFILE` points to: `KEY=VALUE` lines, an optional `export ` prefix, single or
/// double quotes, `#` comments and blank lines. It is parsed, never executed: `$(...)`, backticks and `$VAR`
/// stay literal text, so a mounted file cannot run commands in the gateway.
public struct EnvironmentFile: Sendable, Equatable {
    public var values: [String: String]

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var line: Int
        public var reason: String
        public var description: String { "\(path):\(line): \(reason)" }
    }

    public init(values: [String: String]) { self.values = values }

    /// Parses the file's text; `path` is only used in error messages.
    public static func parse(_ text: String, path: String) throws(ParseError) -> EnvironmentFile {
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
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
            // Unquoted: a ` #` starts a comment, as in shell.
            if let comment = value.range(of: " #") { return String(value[..<comment.lowerBound]).trimmingSpaces }
            return String(value)
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
