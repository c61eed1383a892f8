/// Route-based tunnel settings: the VTI that `init` creates and the mark charon puts on the SAs.
public struct VTISettings: Sendable, Hashable, Codable {
    /// The VTI key, also the XFRM mark of the SAs (1 … 2^32−1).
    public var key: UInt32
    /// Routes sent through the VTI.
    public var staticRoutes: [IPNetwork]
    /// Point-to-point address on the VTI (`IPSEC_VTI_IPADDR_LOCAL`), with its prefix.
    public var localAddress: IPNetwork?
    /// The peer's point-to-point address (`IPSEC_VTI_IPADDR_PEER`).
    public var peerAddress: IPNetwork?

    public init(key: UInt32, staticRoutes: [IPNetwork] = [], localAddress: IPNetwork? = nil, peerAddress: IPNetwork? = nil) {
        self.key = key
        self.staticRoutes = staticRoutes
        self.localAddress = localAddress
        self.peerAddress = peerAddress
    }

    /// Upstream's interface name: `vti<KEY>`.
    public var interfaceName: String { "vti\(key)" }
}
