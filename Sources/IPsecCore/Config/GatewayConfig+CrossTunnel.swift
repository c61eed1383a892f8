extension GatewayConfig {
    /// What each tunnel allows on its own but two tunnels of one gateway cannot do together: each problem
    /// names every tunnel involved.
    ///
    /// Every pair of tunnels is compared, so what is compared is derived once per tunnel first (a
    /// thousand tunnels are half a million pairs).
    public func crossTunnelProblems() -> [ConfigurationProblem] {
        guard !isManual else { return [] }
        var problems: [ConfigurationProblem] = []
        func fail(_ subject: String, _ message: String) {
            problems.append(ConfigurationProblem(name: subject, value: nil, expected: message))
        }
        if let minimum = readyMinimum, minimum > tunnels.count {
            fail(source == .environment ? ConfigVariable.readyMinimum.rawValue : "ready_minimum", "is \(minimum), but only \(tunnels.count) tunnel\(tunnels.count == 1 ? " is" : "s are") configured: the gateway could never be ready")
        }
        let facts = tunnels.map(TunnelFacts.init)
        func both(_ a: Int, _ b: Int) -> String { "tunnels \(facts[a].name) and \(facts[b].name)" }

        var byName: [String: Int] = [:]
        var byKey: [UInt32: Int] = [:]
        var byPeerAndSelectors: [TunnelFacts.PeerAndSelectors: Int] = [:]
        var byVTIEndpoints: [[String]: Int] = [:]
        for (index, tunnel) in facts.enumerated() {
            if let first = byName[tunnel.name] {
                fail("tunnel \(tunnel.name)", "the name is used by tunnels[\(first)] and tunnels[\(index)]; each tunnel needs its own (it is charon's connection name)")
                continue
            }
            byName[tunnel.name] = index
            if let key = tunnel.vtiKey {
                if let first = byKey[key] {
                    fail(both(first, index), "share vti_key \(key): each route-based tunnel needs its own key (its interface vti\(key) and its SAs' mark)")
                } else {
                    byKey[key] = index
                }
            }
            if let ends = tunnel.vtiEndpoints {
                if let first = byVTIEndpoints[ends] {
                    fail(both(first, index), "are route-based between the same two addresses (\(ends[0]) and \(ends[1])): Linux keeps one VTI per pair of endpoints, whatever its key; give one tunnel another local or remote address")
                } else {
                    byVTIEndpoints[ends] = index
                }
            }
            if let peer = tunnel.peerAndSelectors {
                if let first = byPeerAndSelectors[peer] {
                    fail(both(first, index), "are the same peer (\(peer.remote)) with the same traffic selectors: charon cannot tell which tunnel an SA belongs to")
                } else {
                    byPeerAndSelectors[peer] = index
                }
            }
        }
        let routeBased = facts.filter(\.isRouteBased), policyBased = facts.filter { !$0.isRouteBased }
        if !routeBased.isEmpty, !policyBased.isEmpty {
            fail("tunnels \(routeBased[0].name) and \(policyBased[0].name)",
                 "mix route-based (vti_key: \(routeBased.map(\.name).joined(separator: ", "))) and policy-based (\(policyBased.map(\.name).joined(separator: ", "))) tunnels; one gateway runs one kind, because charon's route installation is global (a VTI gateway turns it off)")
        }
        var reported = Set<[Int]>()
        func once(_ rule: Int, _ a: Int, _ b: Int) -> Bool { reported.insert([rule, min(a, b), max(a, b)]).inserted }
        let routes = facts.indices.flatMap { index in facts[index].routes.map { ($0, index) } }
        for (a, b, routeA, routeB) in Self.overlappingPairs(routes)
        where !(routeA == routeB && facts[a].routeMetric != facts[b].routeMetric) && once(0, a, b) {
            // The same networks at two metrics are a primary and its backup (failover); anything else
            // overlapping is ambiguous.
            fail(both(min(a, b), max(a, b)), "route overlapping networks into two VTIs (\(a < b ? routeA : routeB) and \(a < b ? routeB : routeA)): which tunnel carries the traffic would depend on prefix lengths and order; give each tunnel its own remote networks, or route the same networks with different vti_route_metric for a primary and a backup")
        }
        let p2p = facts.indices.compactMap { index in facts[index].p2p.map { ($0, index) } }
        for (a, b, p2pA, p2pB) in Self.overlappingPairs(p2p) where once(1, a, b) {
            fail(both(min(a, b), max(a, b)), "have overlapping VTI addresses (\(a < b ? p2pA : p2pB) and \(a < b ? p2pB : p2pA)); each VTI needs its own point-to-point subnet")
        }
        let remotes = facts.indices.filter { !facts[$0].isRouteBased }.flatMap { index in facts[index].remoteSelectors.map { ($0, index) } }
        for (a, b, remote, _) in Self.overlappingPairs(remotes) {
            let (x, y) = (facts[a], facts[b])
            let localsOverlap = x.localSelectors.isEmpty && y.localSelectors.isEmpty ? x.local == y.local
                : Self.firstOverlap(x.localSelectors, y.localSelectors) != nil
            guard localsOverlap, once(2, a, b) else { continue }
            fail(both(min(a, b), max(a, b)), "both carry traffic to \(remote) from overlapping local networks: their IPsec policies would compete and one tunnel would never carry it; give each tunnel its own remote networks")
        }
        return problems.sorted { $0.variable < $1.variable }
    }

    /// Every pair of networks of different owners that overlap, found by sorting instead of comparing
    /// every pair: in address order (shorter prefix first at the same address) a network that contains
    /// others comes before them, so a stack of the networks that enclose the current one holds all it
    /// overlaps with.
    static func overlappingPairs(_ items: [(IPNetwork, Int)]) -> [(Int, Int, IPNetwork, IPNetwork)] {
        let sorted = items.map { (network: $0.0.masked, given: $0.0, owner: $0.1) }.sorted { a, b in
            if a.network.address.isIPv6 != b.network.address.isIPv6 { return !a.network.address.isIPv6 }
            if a.network.address.bytes != b.network.address.bytes { return a.network.address.bytes.lexicographicallyPrecedes(b.network.address.bytes) }
            return a.network.prefixLength < b.network.prefixLength
        }
        var pairs: [(Int, Int, IPNetwork, IPNetwork)] = []
        var enclosing: [(network: IPNetwork, given: IPNetwork, owner: Int)] = []
        for item in sorted {
            while let last = enclosing.last, !last.network.contains(item.network.address) {
                enclosing.removeLast()
            }
            for outer in enclosing where outer.owner != item.owner {
                pairs.append((outer.owner, item.owner, outer.given, item.given))
            }
            enclosing.append(item)
        }
        return pairs
    }

    static func firstOverlap(_ a: [IPNetwork], _ b: [IPNetwork]) -> (IPNetwork, IPNetwork)? {
        for x in a { for y in b where x.overlaps(y) { return (x, y) } }
        return nil
    }
}

/// What the cross-tunnel rules compare, derived once per tunnel.
private struct TunnelFacts {
    struct PeerAndSelectors: Hashable {
        var remote: String, local: String
        var localSelectors: Set<IPNetwork>, remoteSelectors: Set<IPNetwork>
    }

    let name: String
    let vtiKey: UInt32?
    let isRouteBased: Bool
    /// A VTI's local and remote address.
    let vtiEndpoints: [String]?
    let routes: [IPNetwork]
    let routeMetric: UInt32
    let p2p: IPNetwork?
    let local: Endpoint
    let localSelectors: [IPNetwork]
    let remoteSelectors: [IPNetwork]
    /// nil for a peer at `%any` (told apart by its identity).
    let peerAndSelectors: PeerAndSelectors?

    init(_ tunnel: TunnelConfig) {
        name = tunnel.name
        vtiKey = tunnel.vti?.key
        isRouteBased = tunnel.vti != nil
        vtiEndpoints = tunnel.vti == nil ? nil : [tunnel.local.description, tunnel.remote.description]
        routes = tunnel.vti?.staticRoutes ?? []
        routeMetric = tunnel.vti?.routeMetric ?? 0
        p2p = tunnel.vti?.localAddress
        local = tunnel.local
        localSelectors = tunnel.localTrafficSelectors
        remoteSelectors = tunnel.remoteTrafficSelectors
        peerAndSelectors = tunnel.remote == .any ? nil
            : PeerAndSelectors(remote: tunnel.remote.description, local: tunnel.local.description,
                               localSelectors: Set(localSelectors), remoteSelectors: Set(remoteSelectors))
    }
}
