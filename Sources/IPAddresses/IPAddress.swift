#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address: 4 or 16 bytes in network order, parsed with the C library's `inet_pton` and
/// printed canonically with `inet_ntop`. The one address type of vnf-ipsec: the configuration holds it and
/// netlink carries it unchanged. It cannot hold any other number of bytes, so printing it never traps.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public let bytes: [UInt8]

    /// Dotted-quad IPv4 or RFC 4291 IPv6 text; nil for anything else (prefixes included).
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    /// From raw bytes; nil unless there are exactly 4 or 16.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var isIPv6: Bool { bytes.count == 16 }
    /// AF_INET or AF_INET6, as netlink headers carry it.
    public var family: UInt8 { UInt8(isIPv6 ? AF_INET6 : AF_INET) }
    /// 32 or 128.
    public var bitWidth: Int { isIPv6 ? 128 : 32 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = bytes
        _ = inet_ntop(isIPv6 ? AF_INET6 : AF_INET, &raw, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
