import IPsecCore
import NetlinkKit

/// The fail-closed guards: for every tunnel, XFRM block policies of vnf-ipsec's own from its local to its
/// remote subnets, at a priority below every policy charon installs. While charon's policy for the traffic is
/// there it wins; when there is none (before charon has loaded the tunnel, after it died or stopped, after
/// the VTI or its routes went) the guard drops the packet instead of letting it leave in cleartext.
///
/// They are kernel objects, not charon's: they outlive charon and `run`, which is the point. Only
/// ``removeAll(_:)`` (`vnf-ipsec teardown`, or `run` with fail_closed off) and a reload that drops a tunnel
/// take them away. Why policies and not routes: see docs/architecture.md ("Fail closed").
public struct FailClosedGuards: Sendable, Equatable {
    /// Worse than any priority of charon's (below 1,000,000 for all its kinds), so a guard applies only
    /// where charon has no policy; distinctive, so ours are recognised among the operator's.
    public static let priority: UInt32 = 4_000_000_000

    /// Two marks that together match every packet, whatever its mark. A guard cannot use mask 0: the kernel
    /// tells policies apart by selector, direction and mark, so a guard without one would be the same object
    /// as charon's policy-based policy for the selector, replaced and then deleted by charon.
    static let marks = [XfrmMark(value: 0, mask: 0x8000_0000), XfrmMark(value: 0x8000_0000, mask: 0x8000_0000)]

    /// Every guard wanted, by tunnel name.
    public let byTunnel: [String: [XfrmPolicy]]

    /// The guards `config` wants: none in upstream's manual mode (the mounted files decide what is
    /// protected) or with fail_closed off.
    public init(_ config: GatewayConfig) {
        guard config.failClosed, !config.isManual else {
            byTunnel = [:]
            return
        }
        byTunnel = Dictionary(config.tunnels.map { ($0.name, Self.policies(for: $0)) }) { first, _ in first }
    }

    /// The tunnel's guards: from each local traffic selector to each remote destination of the same family.
    /// A route-based tunnel's destinations are the networks routed into its VTI plus its remote selectors
    /// other than a default route (a VTI's selectors are often 0.0.0.0/0, and guarding that would cut off
    /// everything else the LAN reaches); a policy-based tunnel's are its remote selectors, as they are.
    static func policies(for tunnel: TunnelConfig) -> [XfrmPolicy] {
        // Without subnets charon's selectors are the endpoints themselves (%dynamic).
        func orHost(_ networks: [IPNetwork], _ endpoint: Endpoint) -> [IPNetwork] {
            networks.isEmpty ? endpoint.address.map { [IPNetwork(host: $0)] } ?? [] : networks
        }
        let sources = orHost(tunnel.localTrafficSelectors, tunnel.local)
        var destinations: [IPNetwork] = []
        if let vti = tunnel.vti {
            destinations = vti.staticRoutes + tunnel.remoteTrafficSelectors.filter { $0.prefixLength > 0 }
        } else {
            destinations = orHost(tunnel.remoteTrafficSelectors, tunnel.remote)
        }
        var seen = Set<[IPNetwork]>()
        var policies: [XfrmPolicy] = []
        for source in sources {
            for destination in destinations where destination.address.isIPv6 == source.address.isIPv6 && seen.insert([source, destination]).inserted {
                for mark in marks {
                    policies.append(XfrmPolicy(source: source, destination: destination, direction: .output, action: .block,
                                               priority: priority, mark: mark))
                }
            }
        }
        return policies
    }

    public var all: [XfrmPolicy] { byTunnel.keys.sorted().flatMap { byTunnel[$0] ?? [] } }

    /// Whether `policy` is a guard of vnf-ipsec's (this configuration's or an earlier one's).
    public static func isGuard(_ policy: XfrmPolicy) -> Bool {
        policy.priority == priority && policy.action == .block && policy.direction == .output && !policy.hasTemplates
            && policy.mark.map(marks.contains) == true
    }

    /// Installs every guard (replacing the same ones: idempotent) and removes guards of ours that the
    /// configuration no longer has (a tunnel removed while the gateway was down, a crash before a reload
    /// finished). Returns what it removed.
    @discardableResult
    public func apply(_ handle: NetlinkHandle) throws(NetlinkError) -> [XfrmPolicy] {
        let wanted = all
        for policy in wanted { try handle.xfrmPolicyUpdate(policy) }
        let keep = Set(wanted)
        var removed: [XfrmPolicy] = []
        for stale in try handle.xfrmPolicies() where Self.isGuard(stale) && !keep.contains(stale) {
            do {
                try handle.xfrmPolicyDelete(stale)
                removed.append(stale)
            } catch where error.kind == .notFound {
                // Gone already.
            }
        }
        return removed
    }

    /// Removes every guard of ours in the namespace, whichever configuration installed it.
    @discardableResult
    public static func removeAll(_ handle: NetlinkHandle) throws(NetlinkError) -> [XfrmPolicy] {
        try FailClosedGuards(GatewayConfig(tunnels: [])).apply(handle)
    }

    /// Which tunnels have every guard installed, read from the kernel (for `status` and the metrics).
    public func installed(_ handle: NetlinkHandle) throws(NetlinkError) -> [String: Bool] {
        let present = Set(try handle.xfrmPolicies().filter(Self.isGuard))
        return byTunnel.mapValues { policies in !policies.isEmpty && policies.allSatisfy(present.contains) }
    }

    /// One line per tunnel for the log: what is guarded.
    public var summary: [String] {
        byTunnel.keys.sorted().compactMap { name in
            let pairs = Set((byTunnel[name] ?? []).map { "\($0.source) → \($0.destination)" }).sorted()
            return pairs.isEmpty ? nil : "fail-closed guard for \(name): \(pairs.joined(separator: ", ")) dropped while no SA carries it"
        }
    }
}
