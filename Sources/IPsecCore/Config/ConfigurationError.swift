/// One thing wrong with the configuration: which variable, what it held, what was expected.
public struct ConfigurationProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var variable: String
    /// The offending value as it may be shown (nil for missing variables and for secrets).
    public var shownValue: String?
    public var expected: String

    public init(_ variable: ConfigVariable, value: String?, expected: String) {
        self.init(name: variable.rawValue, value: variable == .psk ? nil : value, expected: expected)
    }

    public init(name: String, value: String?, expected: String) {
        variable = name
        shownValue = value
        self.expected = expected
    }

    /// One line: the name, the value and the message are escaped (``OneLineText``); values are cut short.
    public var description: String {
        let name = OneLineText.escaped(variable)
        if let shownValue { return "\(name)=\"\(OneLineText.escaped(shownValue))\": \(OneLineText.escaped(expected, limit: 400))" }
        return "\(name): \(OneLineText.escaped(expected, limit: 400))"
    }
}

/// Every problem found in one pass, so an operator fixes them all at once rather than one per restart.
public struct ConfigurationErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ConfigurationProblem]
    /// Found in the same pass; they often explain a problem (a misspelt variable makes a required one missing).
    public var warnings: [ConfigurationWarning]
    /// The configuration file the problems are in; nil for the environment.
    public var source: String?

    public init(_ problems: [ConfigurationProblem], warnings: [ConfigurationWarning] = [], source: String? = nil) {
        self.problems = problems
        self.warnings = warnings
        self.source = source
    }

    public var description: String {
        let noun = problems.count == 1 ? "problem" : "problems"
        let subject = source.map { "configuration file \(OneLineText.escaped($0))" } ?? "configuration"
        return "\(subject) has \(problems.count) \(noun):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Something that works but deserves the operator's attention (an unknown variable, a normalised subnet).
public struct ConfigurationWarning: Sendable, Equatable, CustomStringConvertible {
    public var variable: String
    public var message: String
    public init(variable: String, message: String) {
        self.variable = variable
        self.message = message
    }
    public var description: String { "\(OneLineText.escaped(variable)): \(OneLineText.escaped(message, limit: 400))" }
}
