#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, parsed with the C library's `inet_pton` and printed in canonical form.
public enum IPAddress: Sendable, Hashable, TextRepresentable {
    case v4([UInt8])
    case v6([UInt8])

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text; nil for anything else (including prefixes).
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self = .v4(withUnsafeBytes(of: &v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self = .v6(withUnsafeBytes(of: &v6) { Array($0) })
            return
        }
        return nil
    }

    /// The address in network byte order (4 or 16 bytes).
    public var bytes: [UInt8] {
        switch self {
        case .v4(let b), .v6(let b): b
        }
    }

    public var isIPv6: Bool { if case .v6 = self { true } else { false } }
    public var bitWidth: Int { isIPv6 ? 128 : 32 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = bytes
        let family = isIPv6 ? AF_INET6 : AF_INET
        _ = inet_ntop(family, &raw, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

}

/// An address with a prefix length (`198.51.100.0/24`, `2001:db8::/32`).
public struct IPNetwork: Sendable, Hashable, TextRepresentable {
    public var address: IPAddress
    public var prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

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
