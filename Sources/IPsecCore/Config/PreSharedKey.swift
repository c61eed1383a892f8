/// The IKE pre-shared key. Its description, debug description and encoding are redacted, so printing a
/// `TunnelConfig` (or logging it by accident) never reveals it; `secret` is read only by the renderers.
public struct PreSharedKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, Encodable {
    /// The key itself. Deliberately not part of any description.
    public let secret: String

    public init(_ secret: String) { self.secret = secret }

    public var description: String { "<redacted \(secret.utf8.count) bytes>" }
    public var debugDescription: String { description }

    /// Why this key is too weak to use unprotected, or nil when it is fine.
    /// Short keys and all-digit keys fall to offline dictionary attacks on captured IKE exchanges.
    public var weakness: String? {
        if secret.count < 20 { return "is shorter than 20 characters" }
        if secret.allSatisfy(\.isNumber) { return "is made only of digits" }
        if Set(secret).count == 1 { return "repeats one character" }
        return nil
    }

    /// The longest key accepted. charon's VICI messages are bounded (a key of 65,535 bytes or more cannot
    /// be loaded at all, and the gateway sat there without its key), and no real PSK comes close.
    public static let maximumBytes = 4096

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The key in strongSwan's config syntax: quoted when that is unambiguous, hex (`0x…`) otherwise,
    /// so no character of the key can break out of the quoted string.
    var strongSwanLiteral: String {
        let quotable = secret.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "\\" }
        if quotable { return "\"\(secret)\"" }
        return "0x" + secret.utf8.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}

extension String {
    package func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

/// IKE version: `ike` lets the initiator use IKEv2 and the responder accept both.
public enum KeyExchange: String, Sendable, Hashable, CaseIterable, Codable {
    case ike, ikev1, ikev2

    /// swanctl's `version` value.
    var swanctlVersion: String {
        switch self {
        case .ike: "0"
        case .ikev1: "1"
        case .ikev2: "2"
        }
    }
}
