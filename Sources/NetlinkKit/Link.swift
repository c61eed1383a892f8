/// Attributes every link has (vishvananda/netlink's LinkAttrs).
public struct LinkAttributes: Sendable, Hashable {
    public var name: String
    /// Interface index; 0 until the kernel assigned one.
    public var index: Int32 = 0
    public var mtu: UInt32?
    public var isUp: Bool = false

    public init(name: String, index: Int32 = 0, mtu: UInt32? = nil, isUp: Bool = false) {
        self.name = name
        self.index = index
        self.mtu = mtu
        self.isUp = isUp
    }
}

/// A virtual tunnel interface (`vti` for IPv4 endpoints, `vti6` for IPv6): ESP SAs whose mark equals the
/// key are routed through it.
public struct VTILink: Sendable, Hashable {
    public var attributes: LinkAttributes
    public var local: IPAddress
    public var remote: IPAddress
    public var inputKey: UInt32
    public var outputKey: UInt32
    /// Index of the underlying device (0: any).
    public var underlyingLink: UInt32 = 0

    public init(name: String, local: IPAddress, remote: IPAddress, key: UInt32, underlyingLink: UInt32 = 0) {
        attributes = LinkAttributes(name: name)
        self.local = local
        self.remote = remote
        inputKey = key
        outputKey = key
        self.underlyingLink = underlyingLink
    }

    /// `vti6` when the endpoints are IPv6.
    public var kind: String { local.isIPv6 ? "vti6" : "vti" }
}

/// A veth pair; `peerName` is the other end's name.
public struct VethLink: Sendable, Hashable {
    public var attributes: LinkAttributes
    public var peerName: String

    public init(name: String, peerName: String) {
        attributes = LinkAttributes(name: name)
        self.peerName = peerName
    }
}

/// A link as the kernel reports it.
public struct Link: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case vti(local: IPAddress?, remote: IPAddress?, inputKey: UInt32, outputKey: UInt32)
        case veth
        /// Any other kind (`dummy`, `bridge` …), or `nil` for devices without link info (loopback, physical).
        case other(String?)
    }

    public var attributes: LinkAttributes
    public var kind: Kind

    public var name: String { attributes.name }
    public var index: Int32 { attributes.index }
}
