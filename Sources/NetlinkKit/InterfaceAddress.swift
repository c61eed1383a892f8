/// An address on an interface; with `peer` it is point-to-point (`ip addr add LOCAL peer PEER`).
public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    public var interfaceIndex: Int32
    /// The local address and the prefix length (of the peer's prefix for point-to-point).
    public var local: IPNetwork
    public var peer: IPAddress?

    public init(interfaceIndex: Int32, local: IPNetwork, peer: IPAddress? = nil) {
        self.interfaceIndex = interfaceIndex
        self.local = local
        self.peer = peer
    }

    public var description: String {
        peer.map { "\(local.address) peer \($0)/\(local.prefixLength)" } ?? local.description
    }
}
