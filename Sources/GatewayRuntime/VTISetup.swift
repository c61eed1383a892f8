import IPsecCore
import VICI
import NetlinkKit

/// What `init` does to the kernel for a route-based tunnel, as a plan that can be shown (`--dry-run`),
/// applied idempotently, and undone.
public struct VTISetup: Sendable {
    public var link: VTILink
    public var address: (local: IPNetwork, peer: IPAddress?)?
    public var routes: [IPNetwork]
    /// The routes' metric; nil: the kernel's default.
    public var routeMetric: UInt32?
    public var mtu: UInt32?

    /// The plan for `config`; nil when the configuration has no VTI.
    /// Precondition: the endpoints are addresses (``TunnelConfig/load(environment:purpose:readFile:)`` with
    /// `.vtiOnly` guarantees it).
    public init?(_ config: TunnelConfig) {
        guard let vti = config.vti, let local = config.local.address, let remote = config.remote.address else { return nil }
        link = VTILink(name: vti.interfaceName, local: local, remote: remote, key: vti.key)
        if let localAddress = vti.localAddress {
            // Point-to-point: the prefix length belongs to the peer's side when one is given.
            let length = vti.peerAddress?.prefixLength ?? localAddress.prefixLength
            // Both are validated networks of one family (the configuration's rule), so the length fits.
            address = (IPNetwork(address: localAddress.address, prefixLength: length) ?? IPNetwork(host: localAddress.address),
                       vti.peerAddress.map { $0.address })
        }
        mtu = vti.mtu
        routes = vti.staticRoutes
        routeMetric = vti.routeMetric
    }

    /// The plan in `ip` terms, one step a line.
    public var steps: [String] {
        var steps = ["link add \(link.attributes.name) type \(link.kind) local \(link.local) remote \(link.remote) key \(link.inputKey)",
                     "sysctl net.ipv4.conf.\(link.attributes.name).disable_policy=1",
                     "sysctl net.ipv6.conf.\(link.attributes.name).disable_policy=1 (where the kernel has it)"]
        if let mtu { steps.append("link set \(link.attributes.name) mtu \(mtu)") }
        if let address {
            let length = address.local.prefixLength
            let target = address.peer.map { "\(address.local.address) peer \($0)/\(length)" } ?? "\(address.local.address)/\(length)"
            steps.append("address add \(target) dev \(link.attributes.name)")
        }
        steps.append("link set \(link.attributes.name) up")
        steps += routes.map { "route replace \($0) dev \(link.attributes.name)" + (routeMetric.map { " metric \($0)" } ?? "") }
        return steps
    }

    /// Applies the plan; running it again changes nothing. Returns one line per step saying what happened.
    /// With `up` false the VTI is made as planned but left administratively down, without routes: what a
    /// tunnel without a CHILD_SA gets when the VTI follows its SA (the kernel withdraws the routes through a
    /// link that goes down, so the traffic meets the fail-closed guard, a backup route or nothing).
    /// - Throws: ``NetlinkError`` (e.g. `.unsupportedLinkKind` without VTI support, `.exists` when a link of
    ///   that name has other settings).
    public func apply(_ handle: NetlinkHandle, up: Bool = true) throws(NetlinkError) -> [String] {
        var report: [String] = []
        let name = link.attributes.name
        report.append("\(name): " + (try handle.ensureLink(link) == .created ? "created" : "already present"))
        try handle.setSysctl(.disablePolicy(true), interface: name)
        do {
            try handle.setSysctl(.disablePolicyIPv6(true), interface: name)
        } catch where error.kind == .notFound {
            // Kernels before 5.17 have no IPv6 disable_policy; IPv6 over the VTI then needs matching policies.
        }
        let current = try handle.link(named: name)
        let index = current.index
        if let mtu {
            // Set apart from creation so that the creation request stays iproute2's `ip link add ... type vti`.
            if current.attributes.mtu == mtu {
                report.append("mtu \(mtu): already set")
            } else {
                try handle.linkSetMTU(named: name, mtu: mtu)
                report.append("mtu \(mtu): set (was \(current.attributes.mtu.map(String.init) ?? "unknown"))")
            }
        }
        let wanted = address.map { InterfaceAddress(interfaceIndex: index, local: $0.local, peer: $0.peer) }
        if let wanted {
            report.append("address \(wanted): " + (try handle.ensureAddress(wanted) == .created ? "added" : "already present"))
        }
        // The VTI is init's own: an address on it that the configuration no longer names is an earlier
        // configuration's, and keeping it would leave two p2p addresses answering. (IPv6 link-local
        // addresses are the kernel's.)
        for stale in try handle.addresses(interfaceIndex: index) where stale != wanted && !Self.isLinkLocal(stale.local.address) {
            try handle.addressDelete(stale)
            report.append("address \(stale): removed (no longer configured)")
        }
        guard up else {
            if current.attributes.isUp {
                try handle.linkSetDown(named: name)
                report.append("\(name): set down")
            } else {
                report.append("\(name): already down")
            }
            return report
        }
        try handle.linkSetUp(named: name)
        for destination in routes {
            let route = Route(destination: destination, outputInterface: index, metric: routeMetric)
            let metric = routeMetric.map { " metric \($0)" } ?? ""
            report.append("route \(destination) dev \(name)\(metric): " + (try handle.ensureRoute(route) == .created ? "added" : "already present"))
        }
        // Likewise a route into the VTI that the configuration no longer names (added the way `ip route
        // add` does, protocol boot; the kernel's own routes for the p2p address are left alone).
        for stale in try handle.routes(table: .main)
        where stale.outputInterface == index && stale.protocolID == 3 && stale.gateway == nil
            && !(routes.contains(stale.destination) && (routeMetric == nil || stale.metric == routeMetric)) {
            try handle.routeDelete(stale)
            report.append("route \(stale.destination) dev \(name): removed (no longer configured)")
        }
        return report
    }

    static func isLinkLocal(_ address: IPAddress) -> Bool {
        let bytes = address.bytes
        return bytes.count == 16 && bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80
    }

    /// Removes the VTI (its addresses and routes go with it). Absent already is fine.
    public func remove(_ handle: NetlinkHandle) throws(NetlinkError) {
        guard try handle.linkIfPresent(named: link.attributes.name) != nil else { return }
        try handle.linkDelete(named: link.attributes.name)
    }
}
