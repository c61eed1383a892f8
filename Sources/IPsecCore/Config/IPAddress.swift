@_exported import IPAddresses

// Addresses and networks are written as text in JSON (`check`, `status --json`), like every configuration
// value that has a text form.
extension IPAddress: TextRepresentable {}
extension IPNetwork: TextRepresentable {}

extension IPAddress {
    /// Why this address cannot be a tunnel endpoint (nil when it can): no peer is reached at, or from,
    /// the unspecified, loopback, broadcast or a multicast address.
    public var unusableAsEndpoint: String? {
        let b = bytes
        if b.allSatisfy({ $0 == 0 }) { return "is the unspecified address" }
        if isIPv6 {
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "is the loopback address" }
            if b[0] == 0xFF { return "is a multicast address" }
        } else {
            if b[0] == 127 { return "is a loopback address" }
            if b[0] >= 224 && b[0] <= 239 { return "is a multicast address" }
            if b.allSatisfy({ $0 == 255 }) { return "is the broadcast address" }
        }
        return nil
    }
}
