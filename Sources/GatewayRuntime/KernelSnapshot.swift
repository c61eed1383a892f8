import IPsecCore
import NetlinkKit

/// What the kernel holds of the gateway, read once for whoever reports it (`status`, the metrics): the
/// fail-closed guards of vnf-ipsec's (whoever installed them), each VTI's administrative state and,
/// when asked, the XFRM states with their counters. One dump of each kind, so a report costs the same
/// however many tunnels it covers.
public struct KernelSnapshot: Sendable {
    /// Our guard policies (both mark halves of each pair) and the destinations of our guard routes.
    public var guardPolicies: Set<XfrmPolicy>
    public var guardRoutes: Set<IPNetwork>
    /// Each VTI (vti/vti6 link) by name: administratively up or not.
    public var vtis: [String: Bool]
    /// Every XFRM state; nil when not read.
    public var xfrmStates: [XfrmState]?

    public init(guardPolicies: Set<XfrmPolicy> = [], guardRoutes: Set<IPNetwork> = [], vtis: [String: Bool] = [:],
                xfrmStates: [XfrmState]? = nil) {
        self.guardPolicies = guardPolicies
        self.guardRoutes = guardRoutes
        self.vtis = vtis
        self.xfrmStates = xfrmStates
    }

    /// Reads the network namespace of `handle`. - Throws: the first dump that fails.
    public static func read(_ handle: NetlinkHandle, xfrmStates: Bool = false) throws(NetlinkError) -> KernelSnapshot {
        var snapshot = KernelSnapshot()
        snapshot.guardPolicies = Set(try handle.xfrmPolicies().filter(FailClosedGuards.isGuard))
        snapshot.guardRoutes = Set(try handle.routes(table: .main).filter(FailClosedGuards.isGuard).map(\.destination))
        for link in try handle.links() {
            if case .vti = link.kind { snapshot.vtis[link.name] = link.attributes.isUp }
        }
        if xfrmStates { snapshot.xfrmStates = try handle.xfrmStates() }
        return snapshot
    }

    /// For `status`: the guards as pairs and routes, and the VTIs.
    public var failClosed: FailClosedState {
        let pairs = Set(guardPolicies.map { "\($0.source) -> \($0.destination)" }).union(guardRoutes.map { "unreachable \($0)" })
        return FailClosedState(guards: pairs.sorted(), vtis: vtis)
    }

    /// Per tunnel with guards in `config`: whether every one of them is in the kernel.
    public func guarded(_ config: GatewayConfig) -> [String: Bool] {
        FailClosedGuards(config).byTunnel.filter { !$0.value.isEmpty }.mapValues { guards in
            guards.policies.allSatisfy(guardPolicies.contains) && guards.routes.allSatisfy { guardRoutes.contains($0.destination) }
        }
    }

    /// Per route-based tunnel of `config` whose VTI exists: whether it is up.
    public func vtiUp(_ config: GatewayConfig) -> [String: Bool] {
        var result: [String: Bool] = [:]
        for tunnel in config.tunnels {
            if let name = tunnel.vti?.interfaceName, let up = vtis[name] { result[tunnel.name] = up }
        }
        return result
    }
}
