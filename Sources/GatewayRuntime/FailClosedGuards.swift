import IPsecCore
import NetlinkKit

/// The fail-closed guards: kernel objects of vnf-ipsec's own that drop a tunnel's traffic whenever nothing
/// of charon's carries it — before charon has loaded the tunnel, after it died or stopped, after the VTI or
/// its routes went — instead of letting it leave in cleartext along the default route.
/// - Policy-based tunnels: XFRM block policies from each local to each remote subnet, at a priority below
///   every policy charon installs, so charon's policy wins while it is there.
/// - Route-based tunnels: `unreachable` routes to the networks routed into the VTI, at a metric above every
///   other route to them, so the VTI's route (or a backup's, or a routing daemon's) wins while it is there.
///   A block policy cannot serve here: a forwarded packet is looked up against the policies before the VTI
///   has marked it, so an unmarked guard would drop what is on its way into the VTI.
///
/// They outlive charon and `run`, which is the point. Only ``removeAll(_:)`` (`vnf-ipsec teardown`, or
/// `run` with fail_closed off) and a reload that drops a tunnel take them away. See docs/architecture.md.
public struct FailClosedGuards: Sendable, Equatable {
    /// Worse than any priority of charon's (below 1,000,000 for all its kinds); distinctive, so ours are
    /// recognised among the operator's.
    public static let priority: UInt32 = 4_000_000_000
    /// Worse than any metric a VTI, an operator or a routing daemon normally uses; distinctive likewise.
    public static let routeMetric: UInt32 = 4_000_000_000

    /// Two marks that together match every packet, whatever its mark. A guard cannot use mask 0: the kernel
    /// tells policies apart by selector, direction and mark, so a guard without one would be the same object
    /// as charon's policy for the selector, replaced and then deleted by charon.
    static let marks = [XfrmMark(value: 0, mask: 0x8000_0000), XfrmMark(value: 0x8000_0000, mask: 0x8000_0000)]

    /// One tunnel's guards: policies (policy-based) or routes (route-based).
    public struct TunnelGuards: Sendable, Equatable {
        public var policies: [XfrmPolicy] = []
        public var routes: [Route] = []
        public var isEmpty: Bool { policies.isEmpty && routes.isEmpty }

        /// What is guarded, in words.
        public var pairs: [String] {
            Set(policies.map { "\($0.source) -> \($0.destination)" }).sorted() + routes.map { "unreachable \($0.destination)" }
        }
    }

    /// Every guard wanted, by tunnel name.
    public let byTunnel: [String: TunnelGuards]

    /// The guards `config` wants: none in upstream's manual mode (the mounted files decide what is
    /// protected) or with fail_closed off.
    public init(_ config: GatewayConfig) {
        guard config.failClosed, !config.isManual else {
            byTunnel = [:]
            return
        }
        byTunnel = Dictionary(config.tunnels.map { ($0.name, Self.guards(for: $0)) }) { first, _ in first }
    }

    static func guards(for tunnel: TunnelConfig) -> TunnelGuards {
        var guards = TunnelGuards()
        if let vti = tunnel.vti {
            // What is routed into the VTI, plus the remote subnets (a routing daemon's routes to them come
            // and go); not a default route (that would cut the LAN off from everything else it reaches), not
            // the VTI's p2p peer (a host route would override the VTI's own connected route), and not a subnet
            // holding the peer's own address (its IKE packets would meet the guard).
            var seen = Set<IPNetwork>()
            let peer = tunnel.remote.address
            for destination in vti.staticRoutes + tunnel.remoteNets
            where destination.prefixLength > 0 && !(peer.map(destination.contains) ?? false) && seen.insert(destination).inserted {
                var route = Route(destination: destination, metric: routeMetric)
                route.type = .unreachable
                guards.routes.append(route)
            }
            return guards
        }
        // Without subnets charon's selectors are the endpoints themselves (%dynamic).
        func orHost(_ networks: [IPNetwork], _ endpoint: Endpoint) -> [IPNetwork] {
            networks.isEmpty ? endpoint.address.map { [IPNetwork(host: $0)] } ?? [] : networks
        }
        var seen = Set<[IPNetwork]>()
        for source in orHost(tunnel.localTrafficSelectors, tunnel.local) {
            for destination in orHost(tunnel.remoteTrafficSelectors, tunnel.remote)
            where destination.address.isIPv6 == source.address.isIPv6 && seen.insert([source, destination]).inserted {
                for mark in marks {
                    guards.policies.append(XfrmPolicy(source: source, destination: destination, direction: .output, action: .block,
                                                      priority: priority, mark: mark))
                }
            }
        }
        return guards
    }

    public var policies: [XfrmPolicy] { byTunnel.keys.sorted().flatMap { byTunnel[$0]?.policies ?? [] } }
    public var routes: [Route] { byTunnel.keys.sorted().flatMap { byTunnel[$0]?.routes ?? [] } }

    /// Whether `policy` is a guard of vnf-ipsec's (this configuration's or an earlier one's).
    public static func isGuard(_ policy: XfrmPolicy) -> Bool {
        policy.priority == priority && policy.action == .block && policy.direction == .output && !policy.hasTemplates
            && policy.mark.map(marks.contains) == true
    }

    /// Whether `route` is a guard of vnf-ipsec's.
    public static func isGuard(_ route: Route) -> Bool {
        route.type == .unreachable && route.metric == routeMetric && route.table == .main
    }

    /// Installs every guard (replacing the same ones: idempotent) and removes guards of ours that the
    /// configuration no longer has (a tunnel removed while the gateway was down, a crash before a reload
    /// finished). Returns how many it removed.
    @discardableResult
    public func apply(_ handle: NetlinkHandle) throws(NetlinkError) -> Int {
        for policy in policies { try handle.xfrmPolicyUpdate(policy) }
        for route in routes { try handle.routeReplace(route) }
        let keepPolicies = Set(policies), keepRoutes = Set(routes.map(\.destination))
        var removed = 0
        for stale in try handle.xfrmPolicies() where Self.isGuard(stale) && !keepPolicies.contains(stale) {
            do {
                try handle.xfrmPolicyDelete(stale)
                removed += 1
            } catch where error.kind == .notFound {}
        }
        for stale in try handle.routes(table: .main) where Self.isGuard(stale) && !keepRoutes.contains(stale.destination) {
            var route = Route(destination: stale.destination, metric: Self.routeMetric)
            route.type = .unreachable
            do {
                try handle.routeDelete(route)
                removed += 1
            } catch where error.kind == .notFound {}
        }
        return removed
    }

    /// Removes every guard of ours in the namespace, whichever configuration installed it.
    @discardableResult
    public static func removeAll(_ handle: NetlinkHandle) throws(NetlinkError) -> Int {
        try FailClosedGuards(GatewayConfig(tunnels: [])).apply(handle)
    }

    /// One line per tunnel for the log: what is guarded.
    public var summary: [String] {
        byTunnel.keys.sorted().compactMap { name in
            guard let guards = byTunnel[name], !guards.isEmpty else { return nil }
            let how = guards.routes.isEmpty ? "dropped while no SA carries it" : "dropped while no route through a VTI carries it"
            return "fail-closed guard for \(name): \(guards.pairs.joined(separator: ", ").replacingOccurrences(of: " -> ", with: " → ")) \(how)"
        }
    }
}
