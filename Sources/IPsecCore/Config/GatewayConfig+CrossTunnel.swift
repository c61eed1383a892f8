extension GatewayConfig {
    /// What each tunnel allows on its own but two tunnels of one gateway cannot do together: each problem
    /// names every tunnel involved.
    public func crossTunnelProblems() -> [ConfigurationProblem] {
        guard !isManual else { return [] }
        var problems: [ConfigurationProblem] = []
        func fail(_ subject: String, _ message: String) {
            problems.append(ConfigurationProblem(name: subject, value: nil, expected: message))
        }
        func both(_ a: TunnelConfig, _ b: TunnelConfig) -> String { "tunnels \(a.name) and \(b.name)" }

        var byName: [String: Int] = [:]
        for (index, tunnel) in tunnels.enumerated() {
            if let first = byName[tunnel.name] {
                fail("tunnel \(tunnel.name)", "the name is used by tunnels[\(first)] and tunnels[\(index)]; each tunnel needs its own (it is charon's connection name)")
            } else {
                byName[tunnel.name] = index
            }
        }
        let routeBased = tunnels.filter { $0.vti != nil }, policyBased = tunnels.filter { $0.vti == nil }
        if !routeBased.isEmpty, !policyBased.isEmpty {
            fail("tunnels " + (routeBased.prefix(1) + policyBased.prefix(1)).map(\.name).joined(separator: " and "),
                 "mix route-based (vti_key: \(routeBased.map(\.name).joined(separator: ", "))) and policy-based (\(policyBased.map(\.name).joined(separator: ", "))) tunnels; one gateway runs one kind, because charon's route installation is global (a VTI gateway turns it off)")
        }
        for (i, a) in tunnels.enumerated() {
            for b in tunnels[(i + 1)...] where a.name != b.name {
                if let keyA = a.vti?.key, keyA == b.vti?.key {
                    fail(both(a, b), "share vti_key \(keyA): each route-based tunnel needs its own key (its interface vti\(keyA) and its SAs' mark)")
                }
                if let routeA = a.vti?.staticRoutes.first(where: { ra in b.vti?.staticRoutes.contains { $0.overlaps(ra) } ?? false }),
                   let routeB = b.vti?.staticRoutes.first(where: { $0.overlaps(routeA) }) {
                    fail(both(a, b), "route overlapping networks into two VTIs (\(routeA) and \(routeB)): which tunnel carries the traffic would depend on prefix lengths and order; give each tunnel its own remote networks")
                }
                if let p2pA = a.vti?.localAddress, let p2pB = b.vti?.localAddress, p2pA.overlaps(p2pB) {
                    fail(both(a, b), "have overlapping VTI addresses (\(p2pA) and \(p2pB)); each VTI needs its own point-to-point subnet")
                }
                if a.vti == nil, b.vti == nil,
                   let remote = a.remoteTrafficSelectors.first(where: { ra in b.remoteTrafficSelectors.contains { $0.overlaps(ra) } }),
                   a.localTrafficSelectors.isEmpty && b.localTrafficSelectors.isEmpty ? a.local == b.local
                       : a.localTrafficSelectors.contains(where: { la in b.localTrafficSelectors.contains { $0.overlaps(la) } }) {
                    fail(both(a, b), "both carry traffic to \(remote) from overlapping local networks: their IPsec policies would compete and one tunnel would never carry it; give each tunnel its own remote networks")
                }
                if a.remote != .any, a.remote == b.remote, a.local == b.local,
                   Set(a.localTrafficSelectors) == Set(b.localTrafficSelectors), Set(a.remoteTrafficSelectors) == Set(b.remoteTrafficSelectors) {
                    fail(both(a, b), "are the same peer (\(a.remote)) with the same traffic selectors: charon cannot tell which tunnel an SA belongs to")
                }
            }
        }
        return problems
    }
}

extension IPNetwork {
    /// Whether the two networks share any address (one contains the other).
    func overlaps(_ other: IPNetwork) -> Bool {
        address.isIPv6 == other.address.isIPv6 && (contains(other.address) || other.contains(address))
    }
}
