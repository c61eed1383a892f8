import CLibmnl

/// Turns the kernel's RTM_NEWLINK/NEWADDR/NEWROUTE messages into values. Every read is bounds-checked;
/// a message that does not fit its own lengths is `.malformedReply`, never a crash.
enum ReplyDecoding {
    static func link(_ message: NetlinkMessage) throws(NetlinkError) -> Link {
        let operation = "decode link"
        let payload = message.payload[...]
        guard message.type == UInt16(RTM_NEWLINK), payload.count >= 16 else {
            throw .malformed(operation, "expected RTM_NEWLINK with an ifinfomsg, got type \(message.type), \(payload.count) bytes")
        }
        let index = payload.readI32(at: payload.startIndex + 4)
        let flags = payload.readU32(at: payload.startIndex + 8)
        var attributes = LinkAttributes(name: "", index: index, isUp: flags & UInt32(IFF_UP.rawValue) != 0)
        var kindName: String?
        var vti: (local: IPAddress?, remote: IPAddress?, ikey: UInt32, okey: UInt32) = (nil, nil, 0, 0)
        for attribute in try NetlinkAttribute.parse(payload.dropFirst(16), operation: operation) {
            switch Int(attribute.kind) {
            case Int(IFLA_IFNAME): attributes.name = attribute.string
            case Int(IFLA_MTU): attributes.mtu = try attribute.u32(operation)
            case Int(IFLA_LINKINFO):
                for info in try NetlinkAttribute.parse(attribute.value, operation: operation) {
                    if info.kind == UInt16(IFLA_INFO_KIND) { kindName = info.string }
                    if info.kind == UInt16(IFLA_INFO_DATA), kindName == "vti" || kindName == "vti6" {
                        for data in try NetlinkAttribute.parse(info.value, operation: operation) {
                            switch Int(data.kind) {
                            case Int(IFLA_VTI_IKEY): vti.ikey = UInt32(bigEndian: try data.u32(operation))
                            case Int(IFLA_VTI_OKEY): vti.okey = UInt32(bigEndian: try data.u32(operation))
                            case Int(IFLA_VTI_LOCAL): vti.local = IPAddress(bytes: Array(data.value))
                            case Int(IFLA_VTI_REMOTE): vti.remote = IPAddress(bytes: Array(data.value))
                            default: break
                            }
                        }
                    }
                }
            default: break
            }
        }
        guard !attributes.name.isEmpty else { throw .malformed(operation, "link \(index) without a name") }
        let kind: Link.Kind = switch kindName {
        case "vti", "vti6": .vti(local: vti.local, remote: vti.remote, inputKey: vti.ikey, outputKey: vti.okey)
        case "veth": .veth
        default: .other(kindName)
        }
        return Link(attributes: attributes, kind: kind)
    }

    static func address(_ message: NetlinkMessage) throws(NetlinkError) -> InterfaceAddress {
        let operation = "decode address"
        let payload = message.payload[...]
        guard message.type == UInt16(RTM_NEWADDR), payload.count >= 8 else {
            throw .malformed(operation, "expected RTM_NEWADDR with an ifaddrmsg, got type \(message.type), \(payload.count) bytes")
        }
        let prefixLength = payload[payload.startIndex + 1]
        let index = payload.readI32(at: payload.startIndex + 4)
        var local: IPAddress?, address: IPAddress?
        for attribute in try NetlinkAttribute.parse(payload.dropFirst(8), operation: operation) {
            if attribute.kind == UInt16(IFA_LOCAL) { local = IPAddress(bytes: Array(attribute.value)) }
            if attribute.kind == UInt16(IFA_ADDRESS) { address = IPAddress(bytes: Array(attribute.value)) }
        }
        // IPv6 addresses carry only IFA_ADDRESS; IPv4 carries both, and they differ for point-to-point.
        guard let mine = local ?? address else { throw .malformed(operation, "address on link \(index) without IFA_LOCAL/IFA_ADDRESS") }
        let peer = (local != nil && address != nil && local != address) ? address : nil
        guard let network = IPNetwork(address: mine, prefixLength: Int(prefixLength)) else {
            throw .malformed(operation, "prefix length \(prefixLength) longer than the address")
        }
        return InterfaceAddress(interfaceIndex: index, local: network, peer: peer)
    }

    static func route(_ message: NetlinkMessage) throws(NetlinkError) -> Route {
        let operation = "decode route"
        let payload = message.payload[...]
        guard message.type == UInt16(RTM_NEWROUTE), payload.count >= 12 else {
            throw .malformed(operation, "expected RTM_NEWROUTE with an rtmsg, got type \(message.type), \(payload.count) bytes")
        }
        let family = payload[payload.startIndex]
        let destinationLength = payload[payload.startIndex + 1]
        var table = UInt32(payload[payload.startIndex + 4])
        let protocolID = payload[payload.startIndex + 5]
        var destination: IPAddress?
        var route = Route(destination: IPNetwork(host: IPAddress(bytes: [0, 0, 0, 0])!))
        for attribute in try NetlinkAttribute.parse(payload.dropFirst(12), operation: operation) {
            switch Int(attribute.kind) {
            case Int(RTA_DST.rawValue): destination = IPAddress(bytes: Array(attribute.value))
            case Int(RTA_OIF.rawValue): route.outputInterface = Int32(bitPattern: try attribute.u32(operation))
            case Int(RTA_GATEWAY.rawValue): route.gateway = IPAddress(bytes: Array(attribute.value))
            case Int(RTA_PRIORITY.rawValue): route.metric = try attribute.u32(operation)
            case Int(RTA_PREFSRC.rawValue): route.preferredSource = IPAddress(bytes: Array(attribute.value))
            case Int(RTA_TABLE.rawValue): table = try attribute.u32(operation)
            default: break
            }
        }
        let unspecified = IPAddress(bytes: [UInt8](repeating: 0, count: family == UInt8(AF_INET6) ? 16 : 4))!
        let address = destination ?? unspecified
        guard let network = IPNetwork(address: address, prefixLength: Int(destinationLength)) else {
            throw .malformed(operation, "prefix length \(destinationLength) longer than the address")
        }
        route.destination = network
        route.table = RouteTable(table)
        route.protocolID = protocolID
        route.type = RouteType(rawValue: payload[payload.startIndex + 7])
        return route
    }
}
