import NetlinkKit

/// An IPv4 or IPv6 address, parsed with the C library's `inet_pton` and printed in canonical form (both by
/// NetlinkKit's ``InetAddress``, which is what the kernel is handed in the end).
public enum IPAddress: Sendable, Hashable, TextRepresentable {
    case v4([UInt8])
    case v6([UInt8])

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text; nil for anything else (including prefixes).
    public init?(_ text: String) {
        guard let address = InetAddress(text) else { return nil }
        self.init(address)
    }

    public init(_ address: InetAddress) {
        self = address.isIPv6 ? .v6(address.bytes) : .v4(address.bytes)
    }

    /// The address in network byte order (4 or 16 bytes).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let b), .v6(let b): b
        }
    }

    /// The same address as netlink carries it.
    public var inetAddress: InetAddress {
        // Both cases hold 4 or 16 bytes by construction.
        InetAddress(bytes: bytes)!
    }

    public var isIPv6: Bool { if case .v6 = self { true } else { false } }
    public var bitWidth: Int { isIPv6 ? 128 : 32 }

    public var description: String { inetAddress.description }
}

/// An address with a prefix length (`198.51.100.0/24`, `2001:db8::/32`).
public struct IPNetwork: Sendable, Hashable, TextRepresentable {
    public var address: IPAddress
    public var prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// The same network as netlink carries it (an interface address or a route destination).
    public var inetPrefix: InetPrefix { InetPrefix(address.inetAddress, length: UInt8(prefixLength)) }

    /// Parses `ADDRESS/PREFIX` or a bare address (a host: /32 or /128).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
                  (0...address.bitWidth).contains(prefix)
            else { return nil }
            self.init(address: address, prefixLength: prefix)
        } else {
            self.init(address: address, prefixLength: address.bitWidth)
        }
    }

    /// The same network with the host bits cleared (`10.1.2.3/24` → `10.1.2.0/24`).
    public var masked: IPNetwork {
        var bytes = address.bytes
        for index in bytes.indices {
            let bitsBefore = index * 8
            if bitsBefore >= prefixLength {
                bytes[index] = 0
            } else if bitsBefore + 8 > prefixLength {
                bytes[index] &= UInt8(truncatingIfNeeded: 0xFF << (8 - (prefixLength - bitsBefore)))
            }
        }
        return IPNetwork(address: address.isIPv6 ? .v6(bytes) : .v4(bytes), prefixLength: prefixLength)
    }

    public var description: String { "\(address)/\(prefixLength)" }

}

extension IPAddress {
    /// Why this address cannot be a tunnel endpoint (nil when it can): no peer is reached at, or from,
    /// the unspecified, loopback, broadcast or a multicast address.
    public var unusableAsEndpoint: String? {
        let b = bytes
        if b.allSatisfy({ $0 == 0 }) { return "is the unspecified address" }
        switch self {
        case .v4:
            if b[0] == 127 { return "is a loopback address" }
            if b[0] >= 224 && b[0] <= 239 { return "is a multicast address" }
            if b.allSatisfy({ $0 == 255 }) { return "is the broadcast address" }
        case .v6:
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "is the loopback address" }
            if b[0] == 0xFF { return "is a multicast address" }
        }
        return nil
    }
}

extension IPNetwork {
    /// Whether `address` lies inside this network.
    public func contains(_ address: IPAddress) -> Bool {
        guard address.isIPv6 == self.address.isIPv6 else { return false }
        return IPNetwork(address: address, prefixLength: prefixLength).masked.address == masked.address
    }
}
