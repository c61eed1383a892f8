import CLibmnl
#if canImport(Glibc)
import Glibc
#endif

/// The requests NetlinkKit sends, laid out attribute for attribute as iproute2 6.1 lays out the same
/// request (the message tests compare the bytes against captures of `ip`).
enum RequestEncoding {
    static let create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    static let replace = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
    static let plain = NLM_F_REQUEST | NLM_F_ACK

    static func ifinfomsg(family: UInt8 = 0, index: Int32 = 0, flags: UInt32 = 0, change: UInt32 = 0) -> [UInt8] {
        [family, 0] + le16(0) + le32(UInt32(bitPattern: index)) + le32(flags) + le32(change)
    }

    static func ifaddrmsg(_ address: InterfaceAddress) -> [UInt8] {
        [address.local.address.family, UInt8(address.local.prefixLength), 0, 0] + le32(UInt32(bitPattern: address.interfaceIndex))
    }

    static func rtmsg(family: UInt8, destinationLength: UInt8, table: UInt8, protocolID: UInt8, scope: UInt8, type: UInt8) -> [UInt8] {
        [family, destinationLength, 0, 0, table, protocolID, scope, type] + le32(0)
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    // MARK: links

    /// RTM_NEWLINK with the attributes every kind shares, in iproute2's order; `data` fills IFLA_INFO_DATA.
    private static func addLink(_ attributes: LinkAttributes, kind: String, data: (NetlinkRequest) -> Void) -> NetlinkRequest {
        let request = NetlinkRequest(type: UInt16(RTM_NEWLINK), flags: create, familyHeader: ifinfomsg(),
                                     operation: "link add \(attributes.name) type \(kind)")
        request.put(Int(IFLA_IFNAME), string: attributes.name)
        if let mtu = attributes.mtu { request.put(Int(IFLA_MTU), u32: mtu) }
        request.nest(Int(IFLA_LINKINFO)) {
            request.put(Int(IFLA_INFO_KIND), unterminated: kind)
            request.nest(Int(IFLA_INFO_DATA)) { data(request) }
        }
        return request
    }

    static func addVTI(_ link: VTILink) -> NetlinkRequest {
        addLink(link.attributes, kind: link.kind) { request in
            // Keys are big-endian on the wire (__be32), as the kernel compares them with the SPI-side mark.
            request.put(Int(IFLA_VTI_IKEY), u32: link.inputKey.bigEndian)
            request.put(Int(IFLA_VTI_OKEY), u32: link.outputKey.bigEndian)
            request.put(Int(IFLA_VTI_LOCAL), bytes: link.local.bytes)
            request.put(Int(IFLA_VTI_REMOTE), bytes: link.remote.bytes)
            if link.underlyingLink != 0 { request.put(Int(IFLA_VTI_LINK), u32: link.underlyingLink) }
            request.put(Int(IFLA_VTI_FWMARK), u32: 0)
        }
    }

    static func addVeth(_ link: VethLink) -> NetlinkRequest {
        addLink(link.attributes, kind: "veth") { request in
            request.nest(Int(VETH_INFO_PEER)) {
                request.append(raw: ifinfomsg())
                request.put(Int(IFLA_IFNAME), string: link.peerName)
            }
        }
    }

    static func deleteLink(index: Int32, name: String) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_DELLINK), flags: plain, familyHeader: ifinfomsg(index: index), operation: "link delete \(name)")
    }

    static func setLinkUp(index: Int32, name: String, up: Bool) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_NEWLINK), flags: plain,
                       familyHeader: ifinfomsg(index: index, flags: up ? UInt32(IFF_UP.rawValue) : 0, change: UInt32(IFF_UP.rawValue)),
                       operation: "link set \(name) \(up ? "up" : "down")")
    }

    static func setMTU(index: Int32, name: String, mtu: UInt32) -> NetlinkRequest {
        let request = NetlinkRequest(type: UInt16(RTM_NEWLINK), flags: plain, familyHeader: ifinfomsg(index: index),
                                     operation: "link set \(name) mtu \(mtu)")
        request.put(Int(IFLA_MTU), u32: mtu)
        return request
    }

    static func getLink(name: String) -> NetlinkRequest {
        let request = NetlinkRequest(type: UInt16(RTM_GETLINK), flags: plain, familyHeader: ifinfomsg(), operation: "link get \(name)")
        request.put(Int(IFLA_IFNAME), string: name)
        return request
    }

    static func dumpLinks() -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETLINK), flags: NLM_F_REQUEST | NLM_F_DUMP, familyHeader: ifinfomsg(), operation: "link list")
    }

    // MARK: addresses

    static func address(_ address: InterfaceAddress, add: Bool) -> NetlinkRequest {
        let request = NetlinkRequest(type: UInt16(add ? RTM_NEWADDR : RTM_DELADDR), flags: add ? create : plain,
                                     familyHeader: ifaddrmsg(address), operation: "address \(add ? "add" : "delete") \(address)")
        // iproute2's order: IFA_LOCAL, then IFA_ADDRESS (the peer for point-to-point, else the local address).
        request.put(Int(IFA_LOCAL), bytes: address.local.address.bytes)
        request.put(Int(IFA_ADDRESS), bytes: (address.peer ?? address.local.address).bytes)
        return request
    }

    static func dumpAddresses() -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETADDR), flags: NLM_F_REQUEST | NLM_F_DUMP, familyHeader: [0, 0, 0, 0] + le32(0), operation: "address list")
    }

    // MARK: routes

    enum RouteChange { case add, replace, delete }

    static func route(_ route: Route, _ change: RouteChange) -> NetlinkRequest {
        let destination = route.destination
        let table = route.table.id
        let inlineTable: UInt8 = table < 256 ? UInt8(table) : 0
        let header: [UInt8]
        let flags: Int32
        let type: UInt16
        switch change {
        case .add, .replace:
            // iproute2: link scope for an IPv4 unicast route without gateway, universe otherwise.
            let scope = (route.type == .unicast && !destination.address.isIPv6 && route.gateway == nil)
                ? UInt8(RT_SCOPE_LINK.rawValue) : UInt8(RT_SCOPE_UNIVERSE.rawValue)
            header = rtmsg(family: destination.address.family, destinationLength: UInt8(destination.prefixLength), table: inlineTable,
                           protocolID: route.protocolID, scope: scope, type: route.type.rawValue)
            flags = change == .add ? create : replace
            type = UInt16(RTM_NEWROUTE)
        case .delete:
            header = rtmsg(family: destination.address.family, destinationLength: UInt8(destination.prefixLength), table: inlineTable,
                           protocolID: 0, scope: UInt8(RT_SCOPE_NOWHERE.rawValue), type: route.type == .unicast ? 0 : route.type.rawValue)
            flags = plain
            type = UInt16(RTM_DELROUTE)
        }
        let verb = change == .add ? "add" : change == .replace ? "replace" : "delete"
        let request = NetlinkRequest(type: type, flags: flags, familyHeader: header, operation: "route \(verb) \(route)")
        request.put(Int(RTA_DST.rawValue), bytes: destination.address.bytes)
        if table >= 256 { request.put(Int(RTA_TABLE.rawValue), u32: table) }
        if let gateway = route.gateway { request.put(Int(RTA_GATEWAY.rawValue), bytes: gateway.bytes) }
        if let metric = route.metric { request.put(Int(RTA_PRIORITY.rawValue), u32: metric) }
        if let source = route.preferredSource { request.put(Int(RTA_PREFSRC.rawValue), bytes: source.bytes) }
        if let index = route.outputInterface { request.put(Int(RTA_OIF.rawValue), u32: UInt32(bitPattern: index)) }
        return request
    }

    static func dumpRoutes(family: UInt8) -> NetlinkRequest {
        NetlinkRequest(type: UInt16(RTM_GETROUTE), flags: NLM_F_REQUEST | NLM_F_DUMP,
                       familyHeader: rtmsg(family: family, destinationLength: 0, table: 0, protocolID: 0, scope: 0, type: 0),
                       operation: "route list")
    }

    static func getRoute(to destination: IPAddress) -> NetlinkRequest {
        let request = NetlinkRequest(type: UInt16(RTM_GETROUTE), flags: plain,
                                     familyHeader: rtmsg(family: destination.family, destinationLength: UInt8(destination.bitWidth),
                                                         table: 0, protocolID: 0, scope: 0, type: 0),
                                     operation: "route get \(destination)")
        request.put(Int(RTA_DST.rawValue), bytes: destination.bytes)
        return request
    }
}
