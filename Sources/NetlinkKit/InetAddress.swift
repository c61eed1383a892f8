#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as netlink carries it (4 or 16 bytes, network order).
public struct InetAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

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
    public var family: UInt8 { UInt8(isIPv6 ? AF_INET6 : AF_INET) }
    public var bitWidth: UInt8 { isIPv6 ? 128 : 32 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = bytes
        _ = inet_ntop(isIPv6 ? AF_INET6 : AF_INET, &raw, &buffer, socklen_t(buffer.count))
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// An address with a prefix length: an interface address or a route destination.
public struct InetPrefix: Sendable, Hashable, CustomStringConvertible {
    public var address: InetAddress
    public var length: UInt8

    public init(_ address: InetAddress, length: UInt8) {
        self.address = address
        self.length = length
    }

    /// `ADDRESS/LEN` or a bare address (full length).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = InetAddress(String(parts[0])) else { return nil }
        if parts.count == 2 {
            guard let length = UInt8(parts[1]), length <= address.bitWidth else { return nil }
            self.init(address, length: length)
        } else {
            self.init(address, length: address.bitWidth)
        }
    }

    public var description: String { "\(address)/\(length)" }
}
