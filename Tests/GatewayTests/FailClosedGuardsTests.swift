import Testing
@testable import GatewayRuntime
import IPsecCore
import NetlinkKit
import TestSupport

/// Which guards a configuration wants: the traffic the tunnel would carry, and nothing else the LAN reaches.
@Suite struct FailClosedGuardsTests {
    static func load(_ environment: [String: String]) throws -> GatewayConfig {
        try GatewayConfig.load(environment: ["IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_PSK": "a-long-enough-key-0123456789",
                                             "IPSEC_LOCALNET": "198.51.100.0/24", "IPSEC_REMOTENET": "203.0.113.0/24"].merging(environment) { $1 }).config
    }

    static func pairs(_ config: GatewayConfig) -> [String] {
        FailClosedGuards(config).byTunnel.values.flatMap(\.pairs).sorted()
    }

    @Test func aPolicyBasedTunnelGuardsItsSelectorsWithTwoMarkHalves() throws {
        let guards = FailClosedGuards(try Self.load([:]))
        #expect(guards.policies.count == 2 && guards.routes.isEmpty)
        #expect(Set(guards.policies.compactMap(\.mark)) == [XfrmMark(value: 0, mask: 0x8000_0000), XfrmMark(value: 0x8000_0000, mask: 0x8000_0000)])
        #expect(guards.policies.allSatisfy { $0.action == .block && $0.direction == .output && $0.priority == 4_000_000_000 && FailClosedGuards.isGuard($0) })
        #expect(Self.pairs(try Self.load([:])) == ["198.51.100.0/24 -> 203.0.113.0/24"])
    }

    static let routeBased = ["IPSEC_REMOTENET": "0.0.0.0/0", "IPSEC_VTI_KEY": "42", "IPSEC_VTI_STATICROUTES": "203.0.113.0/24,2001:db8:b::/48",
                             "IPSEC_VTI_IPADDR_LOCAL": "169.254.42.1/30", "IPSEC_VTI_IPADDR_PEER": "169.254.42.2/30"]

    @Test func aRouteBasedTunnelGuardsWhatIsRoutedIntoItsVTIWithRoutes() throws {
        // Selectors 0.0.0.0/0 (all through the VTI) with routed networks: guarding 0.0.0.0/0 would cut the
        // LAN off from everything else it reaches; a host route to the p2p peer would beat the VTI's own.
        let guards = FailClosedGuards(try Self.load(Self.routeBased))
        #expect(guards.policies.isEmpty, "a block policy would drop forwarded packets before the VTI marks them")
        #expect(guards.routes.map(\.description) == ["unreachable 203.0.113.0/24 metric 4000000000", "unreachable 2001:db8:b::/48 metric 4000000000"])
        #expect(guards.routes.allSatisfy(FailClosedGuards.isGuard))
        let bgp = FailClosedGuards(try Self.load(["IPSEC_REMOTENET": "203.0.113.0/24", "IPSEC_VTI_KEY": "42"]))
        #expect(bgp.routes.map(\.destination.description) == ["203.0.113.0/24"], "without static routes (a routing daemon's): the remote subnets")
        let aroundThePeer = FailClosedGuards(try Self.load(["IPSEC_REMOTENET": "192.0.2.0/24,203.0.113.0/24", "IPSEC_VTI_KEY": "42"]))
        #expect(aroundThePeer.routes.map(\.destination.description) == ["203.0.113.0/24"], "192.0.2.0/24 holds the peer 192.0.2.2")
    }

    @Test(.enabled(if: Privileges.canUseNamespaces, "needs root to create namespaces"))
    func aGuardRouteTakesOverWhenTheTunnelsRouteGoesAndOnlyThen() throws {
        let namespace = try NetworkNamespace("fgr")
        defer { namespace.delete() }
        let ip = ["ip", "-n", namespace.name]
        try Shell.check(ip + ["link", "add", "vtiish", "type", "veth", "peer", "name", "other"])
        try Shell.check(ip + ["link", "set", "vtiish", "up"])
        try Shell.check(ip + ["addr", "add", "198.51.100.1/24", "dev", "vtiish"])
        try Shell.check(ip + ["route", "add", "10.99.0.0/16", "dev", "vtiish", "metric", "7"])
        try Shell.check(ip + ["route", "add", "unreachable", "10.98.0.0/16", "metric", "4000000000"])  // an earlier configuration's
        try Shell.check(ip + ["route", "add", "203.0.113.0/24", "dev", "vtiish", "metric", "100"])  // "the VTI's route"
        let handle = try NetlinkHandle(namespace: .named(namespace.name))
        let guards = FailClosedGuards(try Self.load(Self.routeBased))
        #expect(try guards.apply(handle) == 1, "the earlier configuration's guard goes")
        #expect(try guards.apply(handle) == 0, "idempotent")
        #expect(try Shell.check(ip + ["route", "get", "203.0.113.10"]).contains("dev vtiish"), "the tunnel's route wins while it is there")
        try Shell.check(ip + ["route", "del", "203.0.113.0/24", "dev", "vtiish", "metric", "100"])  // the VTI went down
        let get = try Shell.run(ip + ["route", "get", "203.0.113.10"])
        #expect(get.status != 0 && get.stderr.contains("No route to host"), "\(get.stdout) \(get.stderr)")
        let ping = try Shell.run(["ip", "netns", "exec", namespace.name, "ping", "-c1", "-W1", "203.0.113.10"])
        #expect(ping.status != 0 && (ping.stdout + ping.stderr).contains("No route to host"), "dropped, never sent")
        #expect(try FailClosedState.read(handle).guards == ["unreachable 2001:db8:b::/48", "unreachable 203.0.113.0/24"])
        #expect(try FailClosedGuards.removeAll(handle) == 2)
        #expect(try Shell.check(ip + ["route", "show", "type", "unreachable"]).isEmpty)
        #expect(try Shell.check(ip + ["route", "show", "10.99.0.0/16"]).contains("dev vtiish"), "nobody else's route is touched")
    }

    @Test func offOrManualWantsNone() throws {
        #expect(FailClosedGuards(try Self.load(["IPSEC_FAIL_CLOSED": "no"])).byTunnel.isEmpty)
        var manual = try Self.load([:])
        manual.mode = .manual
        #expect(FailClosedGuards(manual).byTunnel.isEmpty)
    }

    @Test func routesThatAreNotOursAreNotGuards() {
        var ours = Route(destination: IPNetwork("203.0.113.0/24")!, metric: 4_000_000_000)
        ours.type = .unreachable
        #expect(FailClosedGuards.isGuard(ours))
        for change: (inout Route) -> Void in [{ $0.type = .unicast }, { $0.type = .blackhole }, { $0.metric = 100 }, { $0.table = 220 }] {
            var other = ours
            change(&other)
            #expect(!FailClosedGuards.isGuard(other), "\(other)")
        }
    }

    @Test func policiesThatAreNotOursAreNotGuards() {
        let ours = XfrmPolicy(source: IPNetwork("198.51.100.0/24")!, destination: IPNetwork("203.0.113.0/24")!, direction: .output,
                              action: .block, priority: 4_000_000_000, mark: XfrmMark(value: 0, mask: 0x8000_0000))
        #expect(FailClosedGuards.isGuard(ours))
        for change: (inout XfrmPolicy) -> Void in [{ $0.priority = 1000 }, { $0.action = .allow }, { $0.direction = .forward },
                                                   { $0.mark = nil }, { $0.mark = XfrmMark(value: 42, mask: 0xFFFF_FFFF) }, { $0.hasTemplates = true }] {
            var other = ours
            change(&other)
            #expect(!FailClosedGuards.isGuard(other), "\(other)")
        }
    }
}
