/// Configuration values that are written as text (addresses, networks, endpoints, identities) are encoded
/// as that text in JSON (`status --json`, `check`), and decoded by parsing it.
protocol TextRepresentable: Codable, CustomStringConvertible {
    init?(_ text: String)
}

extension TextRepresentable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a valid \(Self.self): \(text)"))
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
