/// An address with a prefix length: a subnet (`198.51.100.0/24`), an interface address or a route
/// destination. The length always fits the address's family.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    /// 0 to 32 (IPv4) or 0 to 128 (IPv6).
    public let prefixLength: Int

    /// Nil when `prefixLength` does not fit the address's family.
    public init?(address: IPAddress, prefixLength: Int) {
        guard (0 ... address.bitWidth).contains(prefixLength) else { return nil }
        self.address = address
        self.prefixLength = prefixLength
    }

    /// The address alone: a /32 or /128.
    public init(host address: IPAddress) {
        self.address = address
        prefixLength = address.bitWidth
    }

    /// `ADDRESS/PREFIX` (the prefix in decimal digits) or a bare address (a host).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        guard parts.count == 2 else {
            self.init(host: address)
            return
        }
        guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
              let length = Int(parts[1]) else { return nil }
        self.init(address: address, prefixLength: length)
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
        // Same byte count and length as self: both initialisers succeed.
        return IPNetwork(address: IPAddress(bytes: bytes)!, prefixLength: prefixLength)!
    }

    /// Whether `other` lies inside this network. Compared byte by byte under the prefix, allocating
    /// nothing: validation asks this for every pair of many tunnels' networks.
    public func contains(_ other: IPAddress) -> Bool {
        guard other.isIPv6 == address.isIPv6 else { return false }
        var remaining = prefixLength
        var index = 0
        while remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if address.bytes[index] & mask != other.bytes[index] & mask { return false }
            remaining -= bits
            index += 1
        }
        return true
    }

    /// Whether the two networks share any address: the shorter prefix contains the other's address.
    public func overlaps(_ other: IPNetwork) -> Bool {
        prefixLength <= other.prefixLength ? contains(other.address) : other.contains(address)
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
