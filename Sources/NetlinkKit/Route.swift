/// A routing table: main (254), local (255), or any other number up to 2^32−1. Tables above 255 travel in
/// the RTA_TABLE attribute because rtmsg's table field is one byte.
public struct RouteTable: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var id: UInt32
    public init(_ id: UInt32) { self.id = id }
    public init(integerLiteral value: UInt32) { id = value }

    public static let main = RouteTable(254)
    public static let local = RouteTable(255)

    public var description: String {
        switch id {
        case 254: "main"
        case 255: "local"
        default: String(id)
        }
    }
}

/// A route's type (rtm_type, RTN_*): unicast forwards; blackhole, unreachable and prohibit drop (the last
/// two answer with an ICMP error). Any other value the kernel reports (local, broadcast …) is kept as is.
public struct RouteType: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unicast = RouteType(rawValue: 1)
    public static let blackhole = RouteType(rawValue: 6)
    public static let unreachable = RouteType(rawValue: 7)
    public static let prohibit = RouteType(rawValue: 8)

    public var description: String {
        switch rawValue {
        case 1: "unicast"
        case 2: "local"
        case 3: "broadcast"
        case 6: "blackhole"
        case 7: "unreachable"
        case 8: "prohibit"
        default: "type \(rawValue)"
        }
    }
}

/// A route (vishvananda/netlink's Route): unicast through an interface or gateway, or one that drops.
public struct Route: Sendable, Hashable, CustomStringConvertible {
    public var type: RouteType = .unicast
    public var destination: IPNetwork
    public var outputInterface: Int32?
    public var gateway: IPAddress?
    public var preferredSource: IPAddress?
    public var metric: UInt32?
    public var table: RouteTable
    /// RTPROT_*: 3 (boot) is what `ip route add` uses; kernel routes say 2.
    public var protocolID: UInt8 = 3

    public init(destination: IPNetwork, outputInterface: Int32? = nil, gateway: IPAddress? = nil,
                preferredSource: IPAddress? = nil, metric: UInt32? = nil, table: RouteTable = .main) {
        self.destination = destination
        self.outputInterface = outputInterface
        self.gateway = gateway
        self.preferredSource = preferredSource
        self.metric = metric
        self.table = table
    }

    public var description: String {
        var text = (type == .unicast ? "" : "\(type) ") + destination.description
        if let gateway { text += " via \(gateway)" }
        if let outputInterface { text += " dev #\(outputInterface)" }
        if let preferredSource { text += " src \(preferredSource)" }
        if let metric { text += " metric \(metric)" }
        if table != .main { text += " table \(table)" }
        return text
    }
}
