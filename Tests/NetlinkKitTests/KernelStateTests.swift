import Foundation
import SystemPackage
import Testing
import TestSupport
@testable import NetlinkKit

/// Real kernel state in a fresh namespace per test, read back twice: through NetlinkKit's own dump and
/// through `ip -j` as an outside witness.
@Suite(.enabled(if: Privileges.canUseNamespaces, "needs root and iproute2 (as witness) to create namespaces"))
struct KernelStateTests {
    func withNamespace(_ body: (NetworkNamespace, NetlinkHandle) throws -> Void) throws {
        let namespace = try NetworkNamespace("nlk")
        defer { namespace.delete() }
        try body(namespace, try NetlinkHandle(namespace: .named(namespace.name)))
    }

    func ipJSON(_ namespace: NetworkNamespace, _ arguments: [String]) throws -> [[String: Any]] {
        let text = try Shell.check(["ip", "-n", namespace.name, "-j"] + arguments)
        return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? []
    }

    @Test func vethPairLinkStateAndMTU() throws {
        try withNamespace { namespace, handle in
            try handle.linkAdd(VethLink(name: "wan0", peerName: "wan1"))
            try handle.linkSetUp(named: "wan0")
            try handle.linkSetMTU(named: "wan0", mtu: 1400)
            let link = try handle.link(named: "wan0")
            #expect(link.kind == .veth && link.attributes.isUp && link.attributes.mtu == 1400)
            #expect(try handle.links().map(\.name).sorted() == ["lo", "wan0", "wan1"])
            let witness = try ipJSON(namespace, ["link", "show", "wan0"]).first
            #expect(witness?["mtu"] as? Int == 1400)
            #expect((witness?["flags"] as? [String])?.contains("UP") == true)
            try handle.linkSetDown(named: "wan0")
            #expect(try handle.link(named: "wan0").attributes.isUp == false)
            try handle.linkDelete(named: "wan0")
            #expect(try handle.linkIfPresent(named: "wan0") == nil)
            #expect(try handle.linkIfPresent(named: "wan1") == nil, "deleting one end removes the pair")
        }
    }

    @Test func addressesIPv4IPv6AndPointToPoint() throws {
        try withNamespace { namespace, handle in
            try handle.linkAdd(VethLink(name: "lan0", peerName: "lan1"))
            try handle.linkSetUp(named: "lan0")
            let index = try handle.link(named: "lan0").index
            let v4 = InterfaceAddress(interfaceIndex: index, local: IPNetwork("198.51.100.1/24")!)
            let v6 = InterfaceAddress(interfaceIndex: index, local: IPNetwork("2001:db8:1::1/64")!)
            let p2p = InterfaceAddress(interfaceIndex: index, local: IPNetwork("169.254.42.1/30")!, peer: IPAddress("169.254.42.2"))
            for address in [v4, v6, p2p] { try handle.addressAdd(address) }
            let ours = Set(try handle.addresses(interfaceIndex: index).filter { !$0.local.address.description.hasPrefix("fe80") })
            #expect(ours == [v4, v6, p2p])
            let witness = try ipJSON(namespace, ["addr", "show", "lan0"]).first?["addr_info"] as? [[String: Any]] ?? []
            let seen = Set(witness.map { "\($0["local"]!)/\($0["prefixlen"]!)" + (($0["address"] as? String).map { " peer \($0)" } ?? "") })
            #expect(seen.isSuperset(of: ["198.51.100.1/24", "2001:db8:1::1/64", "169.254.42.1/30 peer 169.254.42.2"]), "\(seen)")
            #expect(throws: NetlinkError.self) { try handle.addressAdd(v4) }
            for address in [v4, v6, p2p] { try handle.addressDelete(address) }
            #expect(try handle.addresses(interfaceIndex: index).filter { !$0.local.address.description.hasPrefix("fe80") }.isEmpty)
        }
    }

    @Test(arguments: [RouteTable.main, RouteTable(220), RouteTable(1000)])
    func routesInAnyTable(table: RouteTable) throws {
        try withNamespace { namespace, handle in
            try handle.linkAdd(VethLink(name: "lan0", peerName: "lan1"))
            try handle.linkSetUp(named: "lan0")
            try handle.linkSetUp(named: "lan1")
            let index = try handle.link(named: "lan0").index
            try handle.addressAdd(InterfaceAddress(interfaceIndex: index, local: IPNetwork("198.51.100.1/24")!))
            try handle.addressAdd(InterfaceAddress(interfaceIndex: index, local: IPNetwork("2001:db8:1::1/64")!))
            let direct = Route(destination: IPNetwork("203.0.113.0/24")!, outputInterface: index, table: table)
            let viaGateway = Route(destination: IPNetwork("192.0.2.0/25")!, outputInterface: index, gateway: IPAddress("198.51.100.2"),
                                   metric: 100, table: table)
            let v6 = Route(destination: IPNetwork("2001:db8:2::/64")!, outputInterface: index, table: table)
            try handle.routeAdd(direct)
            try handle.routeAdd(viaGateway)
            try handle.routeAdd(v6)
            let ours = try handle.routes(table: table).filter { $0.protocolID == 3 }
            #expect(Set(ours.map(\.destination.description)) == ["203.0.113.0/24", "192.0.2.0/25", "2001:db8:2::/64"])
            #expect(ours.first { $0.destination == viaGateway.destination }?.gateway == IPAddress("198.51.100.2"))
            #expect(ours.first { $0.destination == viaGateway.destination }?.metric == 100)
            let witness = try ipJSON(namespace, ["route", "show", "table", String(table.id)]).compactMap { $0["dst"] as? String }
            #expect(Set(witness).isSuperset(of: ["203.0.113.0/24", "192.0.2.0/25"]))
            let witness6 = try ipJSON(namespace, ["-6", "route", "show", "table", String(table.id)]).compactMap { $0["dst"] as? String }
            #expect(witness6.contains("2001:db8:2::/64"))
            #expect(throws: NetlinkError.self) { try handle.routeAdd(direct) }
            try handle.routeReplace(direct)
            try handle.routeDelete([direct, viaGateway, v6])
            #expect(try handle.routes(table: table).filter { $0.protocolID == 3 }.isEmpty)
            #expect(try ipJSON(namespace, ["route", "show", "table", String(table.id)]).compactMap { $0["dst"] as? String }
                .filter { $0 == "203.0.113.0/24" || $0 == "192.0.2.0/25" }.isEmpty)
        }
    }

    @Test func routeGetAnswersLikeIpRouteGet() throws {
        try withNamespace { _, handle in
            try handle.linkAdd(VethLink(name: "wan0", peerName: "wan1"))
            try handle.linkSetUp(named: "wan0")
            try handle.linkSetUp(named: "wan1")
            let index = try handle.link(named: "wan0").index
            try handle.addressAdd(InterfaceAddress(interfaceIndex: index, local: IPNetwork("192.0.2.1/24")!))
            try handle.routeAdd(Route(destination: IPNetwork("0.0.0.0/0")!, outputInterface: index, gateway: IPAddress("192.0.2.254")))
            let route = try handle.routeGet(to: IPAddress("203.0.113.9")!)
            #expect(route.gateway == IPAddress("192.0.2.254") && route.outputInterface == index)
            #expect(route.preferredSource == IPAddress("192.0.2.1"))
        }
    }

    @Test func errorsAreTypedWithTheKernelsMessage() throws {
        try withNamespace { _, handle in
            #expect { try handle.linkDelete(named: "absent0") } throws: { ($0 as? NetlinkError)?.kind == .notFound }
            try handle.linkAdd(VethLink(name: "dup0", peerName: "dup1"))
            let error = try #require(throws: NetlinkError.self) { try handle.linkAdd(VethLink(name: "dup0", peerName: "dup2")) }
            #expect(error.kind == .exists)
            #expect(error.errno == .fileExists)
            #expect(error.description.contains("link add dup0 type veth"))
        }
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/sys/module/ip_vti") && ProcessInfo.processInfo.environment["NETLINKKIT_KERNEL_HAS_VTI"] == nil,
                   "this kernel has VTI; the lab tests it for real"))
    func vtiOnAKernelWithoutVTISaysHowToFixIt() throws {
        try withNamespace { _, handle in
            let error = try #require(throws: NetlinkError.self) {
                try handle.linkAdd(VTILink(name: "vti42", local: IPAddress("192.0.2.1")!, remote: IPAddress("192.0.2.2")!, key: 42))
            }
            #expect(error.kind == .unsupportedLinkKind("vti"))
            #expect(error.message == "Unknown device type", "the kernel's extended ack is carried")
            #expect(error.description.contains("The kernel lacks VTI support (the ip_vti module)"), "\(error)")
            #expect(!error.description.contains("container"), "no application advice in the library")
        }
    }

    @Test func ensureIsIdempotentAndRefusesConflicts() throws {
        try withNamespace { _, handle in
            try handle.linkAdd(VethLink(name: "lan0", peerName: "lan1"))
            try handle.linkSetUp(named: "lan0")
            let index = try handle.link(named: "lan0").index
            let address = InterfaceAddress(interfaceIndex: index, local: IPNetwork("169.254.1.1/30")!, peer: IPAddress("169.254.1.2"))
            #expect(try handle.ensureAddress(address) == .created)
            #expect(try handle.ensureAddress(address) == .alreadyPresent)
            let other = InterfaceAddress(interfaceIndex: index, local: IPNetwork("169.254.1.1/30")!, peer: IPAddress("169.254.1.3"))
            #expect { try handle.ensureAddress(other) } throws: { ($0 as? NetlinkError)?.kind == .exists }
            let route = Route(destination: IPNetwork("203.0.113.0/24")!, outputInterface: index, table: 1000)
            #expect(try handle.ensureRoute(route) == .created)
            #expect(try handle.ensureRoute(route) == .alreadyPresent)
            // A veth called like the VTI we want is a conflict, not a success.
            #expect { try handle.ensureLink(VTILink(name: "lan0", local: IPAddress("192.0.2.1")!, remote: IPAddress("192.0.2.2")!, key: 1)) }
                throws: { ($0 as? NetlinkError)?.kind == .exists && "\($0)".contains("it is a veth") }
        }
    }

    @Test func sysctlsAreWrittenInTheHandlesNamespace() throws {
        try withNamespace { namespace, handle in
            try handle.linkAdd(VethLink(name: "lan0", peerName: "lan1"))
            try handle.setSysctl(.disablePolicy(true), interface: "lan0")
            #expect(handle.sysctl(.disablePolicy(true), interface: "lan0") == "1")
            #expect(try namespace.check(["cat", "/proc/sys/net/ipv4/conf/lan0/disable_policy"]) == "1\n")
            #expect(throws: NetlinkError.self) { try handle.setSysctl(.forwarding(true), interface: "absent0") }
        }
    }
}
