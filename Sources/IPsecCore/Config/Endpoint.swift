/// Where a side of the tunnel is reached: an address, any address (`%any`), or a DNS name charon resolves.
public enum Endpoint: Sendable, Hashable, TextRepresentable {
    case any
    case address(IPAddress)
    case hostname(String)

    /// Parses upstream's syntax; nil when the text is none of the three forms.
    public init?(_ text: String) {
        if text == "%any" || text == "%any4" || text == "%any6" {
            self = .any
        } else if let address = IPAddress(text) {
            self = .address(address)
        } else if Endpoint.isHostname(text) {
            self = .hostname(text)
        } else {
            return nil
        }
    }

    public var address: IPAddress? { if case .address(let a) = self { a } else { nil } }

    public var description: String {
        switch self {
        case .any: "%any"
        case .address(let address): address.description
        case .hostname(let name): name
        }
    }

    /// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, at least one letter
    /// somewhere (so a mistyped address such as `192.0.2.300` is not taken for a name).
    static func isHostname(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253, text.contains(where: \.isLetter) else { return false }
        let labels = text.hasSuffix(".") ? text.dropLast().split(separator: ".", omittingEmptySubsequences: false)
                                         : text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

}

/// How a peer names itself during IKE authentication (strongSwan's identity syntax).
public enum Identity: Sendable, Hashable, TextRepresentable {
    case any
    case address(IPAddress)
    /// `gw.example.com` or `@gw.example.com` (the `@` forces FQDN and stops strongSwan resolving it).
    case fqdn(String)
    /// `user@example.com`.
    case userFQDN(String)
    /// An X.500 distinguished name such as `C=CH, O=Example, CN=gw`.
    case distinguishedName(String)

    public init?(_ text: String) {
        let trimmed = text.trimmingSpaces
        // No quote, backslash or control character (a tab split ipsec.conf's line): ipsec.secrets' parser
        // has no escapes, and no real identity holds one.
        guard !trimmed.isEmpty,
              !trimmed.unicodeScalars.contains(where: { $0 == "\"" || $0 == "\\" || OneLineText.isControl($0) })
        else { return nil }
        if trimmed == "%any" {
            self = .any
        } else if let address = IPAddress(trimmed) {
            self = .address(address)
        } else if trimmed.contains("=") {
            // Every relative distinguished name is TYPE=VALUE, both non-empty (`=` alone is nothing).
            let parts = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            guard parts.allSatisfy({ part in
                guard let equals = part.firstIndex(of: "=") else { return false }
                return !String(part[..<equals]).trimmingSpaces.isEmpty && !String(part[part.index(after: equals)...]).trimmingSpaces.isEmpty
            }) else { return nil }
            self = .distinguishedName(trimmed)
        } else if trimmed.hasPrefix("@") {
            // `@name` (FQDN, not resolved) or `@#hex` (a key id); never a second `@`.
            let rest = trimmed.dropFirst()
            guard !rest.isEmpty, !rest.contains("@"), !rest.contains(where: \.isWhitespace) else { return nil }
            self = .fqdn(trimmed)
        } else if trimmed.contains("@") {
            let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, Endpoint.isHostname(String(parts[1])),
                  !trimmed.contains(where: \.isWhitespace) else { return nil }
            self = .userFQDN(trimmed)
        } else if Endpoint.isHostname(trimmed) {
            self = .fqdn(trimmed)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .any: "%any"
        case .address(let a): a.description
        case .fqdn(let s), .userFQDN(let s), .distinguishedName(let s): s
        }
    }

}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first?.isWhitespace == true { s.removeFirst() }
        while s.last?.isWhitespace == true { s.removeLast() }
        return String(s)
    }
}
