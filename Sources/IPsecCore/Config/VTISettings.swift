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
    /// The VTI's MTU (`IPSEC_VTI_MTU`); nil keeps the kernel's choice (the WAN link's MTU minus the outer
    /// header, which ignores ESP's own overhead).
    public var mtu: UInt32?
    /// The metric of the routes into the VTI (`IPSEC_VTI_ROUTE_METRIC`); nil: the kernel's 0. Two tunnels
    /// may route the same networks with different metrics: the lower is the primary, the other its backup.
    public var routeMetric: UInt32?

    public init(key: UInt32, staticRoutes: [IPNetwork] = [], localAddress: IPNetwork? = nil, peerAddress: IPNetwork? = nil,
                mtu: UInt32? = nil, routeMetric: UInt32? = nil) {
        self.routeMetric = routeMetric
        self.key = key
        self.staticRoutes = staticRoutes
        self.localAddress = localAddress
        self.peerAddress = peerAddress
        self.mtu = mtu
    }

    /// The MTUs `IPSEC_VTI_MTU` accepts: IPv4's historic minimum datagram up to common jumbo frames.
    public static let mtuRange: ClosedRange<UInt32> = 576...9216

    /// Upstream's interface name: `vti<KEY>`.
    public var interfaceName: String { "vti\(key)" }
}
