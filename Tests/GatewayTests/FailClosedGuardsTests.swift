import Testing
@testable import GatewayRuntime
import IPsecCore
import NetlinkKit

/// Which guards a configuration wants: the traffic the tunnel would carry, and nothing else the LAN reaches.
@Suite struct FailClosedGuardsTests {
    static func load(_ environment: [String: String]) throws -> GatewayConfig {
        try GatewayConfig.load(environment: ["IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_PSK": "a-long-enough-key-0123456789",
                                             "IPSEC_LOCALNET": "198.51.100.0/24", "IPSEC_REMOTENET": "203.0.113.0/24"].merging(environment) { $1 }).config
    }

    static func pairs(_ config: GatewayConfig) -> [String] {
        Set(FailClosedGuards(config).all.map { "\($0.source) -> \($0.destination)" }).sorted()
    }

    @Test func aPolicyBasedTunnelGuardsItsSelectorsWithTwoMarkHalves() throws {
        let guards = FailClosedGuards(try Self.load([:]))
        #expect(guards.all.count == 2)
        #expect(Set(guards.all.compactMap(\.mark)) == [XfrmMark(value: 0, mask: 0x8000_0000), XfrmMark(value: 0x8000_0000, mask: 0x8000_0000)])
        #expect(guards.all.allSatisfy { $0.action == .block && $0.direction == .output && $0.priority == 4_000_000_000 && FailClosedGuards.isGuard($0) })
        #expect(Self.pairs(try Self.load([:])) == ["198.51.100.0/24 -> 203.0.113.0/24"])
    }

    @Test func aRouteBasedTunnelGuardsItsRoutesButNotAnAnyRemoteSelector() throws {
        // Selectors 0.0.0.0/0 (all through the VTI) with one routed network: guarding 0.0.0.0/0 would cut the
        // LAN off from everything else it reaches outside the tunnel.
        let config = try Self.load(["IPSEC_REMOTENET": "0.0.0.0/0", "IPSEC_VTI_KEY": "42", "IPSEC_VTI_STATICROUTES": "203.0.113.0/24,2001:db8:b::/48",
                                    "IPSEC_VTI_IPADDR_LOCAL": "169.254.42.1/30", "IPSEC_VTI_IPADDR_PEER": "169.254.42.2/30"])
        #expect(Self.pairs(config) == ["169.254.42.1/32 -> 169.254.42.2/32", "169.254.42.1/32 -> 203.0.113.0/24",
                                       "198.51.100.0/24 -> 169.254.42.2/32", "198.51.100.0/24 -> 203.0.113.0/24"],
                "IPv6 routes get no guard from IPv4 sources; the p2p addresses are selectors too")
    }

    @Test func offOrManualWantsNone() throws {
        #expect(FailClosedGuards(try Self.load(["IPSEC_FAIL_CLOSED": "no"])).all.isEmpty)
        var manual = try Self.load([:])
        manual.mode = .manual
        #expect(FailClosedGuards(manual).all.isEmpty)
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
