import Foundation
import Testing
import TestSupport
@testable import GatewayRuntime
import IPsecCore

/// The fail-closed guards on the host kernel, with the real binary: installed before charon starts, dropping
/// the LAN's packets to the remote subnet (the namespace's XfrmOutPolBlock counter moves), still there after
/// `run` stops, removed by `teardown` and by a run with fail_closed off. Packets through a real tunnel and
/// the VTI following its SA are proven in the lab (scenarios 17 and 20), which has ESP and VTI.
@Suite(.enabled(if: Privileges.canUseNamespaces && Privileges.hasCharon && FileManager.default.fileExists(atPath: GatewaySite.binary),
                "needs root, strongSwan and a built vnf-ipsec (swift build)"),
       .serialized)
struct FailClosedOnHostTests {
    static let environment = GatewayOnHostTests.environment(local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24",
                                                           remoteNet: "203.0.113.0/24", wan: "lo")

    /// A namespace whose "LAN" address 198.51.100.1 has a route towards the remote subnet, as a gateway's
    /// LAN traffic would.
    static func namespace(_ name: String) throws -> NetworkNamespace {
        let namespace = try NetworkNamespace(name)
        // Routes through the loopback bypass XFRM: the LAN's route leaves through a veth, as on a gateway.
        try Shell.check(["ip", "-n", namespace.name, "link", "add", "lan0", "type", "veth", "peer", "name", "lan1"])
        try Shell.check(["ip", "-n", namespace.name, "link", "set", "lan0", "up"])
        try Shell.check(["ip", "-n", namespace.name, "link", "set", "lan1", "up"])
        try Shell.check(["ip", "-n", namespace.name, "addr", "add", "198.51.100.1/24", "dev", "lan0"])
        try Shell.check(["ip", "-n", namespace.name, "addr", "add", "192.0.2.1/32", "dev", "lo"])
        try Shell.check(["ip", "-n", namespace.name, "route", "add", "203.0.113.0/24", "dev", "lan0"])
        return namespace
    }

    static func guards(_ namespace: NetworkNamespace) throws -> String {
        try Shell.check(["ip", "-n", namespace.name, "xfrm", "policy", "list", "action", "block", "priority", "4000000000"])
    }

    /// Packets the namespace's block policies dropped so far (/proc/net/xfrm_stat is per namespace).
    static func blocked(_ namespace: NetworkNamespace) throws -> Int {
        let stat = try Shell.check(["ip", "netns", "exec", namespace.name, "cat", "/proc/net/xfrm_stat"])
        let line = stat.split(separator: "\n").first { $0.hasPrefix("XfrmOutPolBlock") } ?? ""
        return Int(line.split(whereSeparator: \.isWhitespace).last ?? "") ?? -1
    }

    /// One ping from the LAN address to the remote subnet; returns how many packets the guards dropped.
    static func sendFromLAN(_ namespace: NetworkNamespace) throws -> Int {
        let before = try blocked(namespace)
        _ = try Shell.run(["ip", "netns", "exec", namespace.name, "ping", "-c", "1", "-W", "1", "-I", "198.51.100.1", "203.0.113.10"])
        return try blocked(namespace) - before
    }

    /// `vnf-ipsec ARGUMENTS` in the namespace with a private /run, as a one-off container would.
    static func oneOff(_ namespace: NetworkNamespace, _ arguments: [String], environment: [String: String]) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", namespace.name, "unshare", "-m", "sh", "-c",
                       "mount -t tmpfs tmpfs /run && exec \(GatewaySite.binary) " + arguments.joined(separator: " ")],
                      environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"].merging(environment) { $1 })
    }

    @Test func guardsComeBeforeCharonOutliveRunAndGoWithTeardown() throws {
        let namespace = try Self.namespace("fcg")
        defer { namespace.delete() }
        // A guard an earlier configuration left (another remote subnet): not this configuration's, so it goes.
        try Shell.check(["ip", "-n", namespace.name, "xfrm", "policy", "add", "src", "198.51.100.0/24", "dst", "10.99.0.0/16", "dir", "out",
                         "priority", "4000000000", "action", "block", "mark", "0", "mask", "0x80000000"])
        #expect(try Self.sendFromLAN(namespace) == 0, "nothing guards 203.0.113.0/24 yet")

        let site = try GatewaySite(in: namespace, environment: Self.environment)
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("connection loaded") }, "\(site.log)")
        let log = site.log
        let guardLine = try #require(log.range(of: "fail-closed guard for vnf-ipsec: 198.51.100.0/24 → 203.0.113.0/24"), "\(log)")
        let charonLine = try #require(log.range(of: "connection loaded"))
        #expect(guardLine.lowerBound < charonLine.lowerBound, "the guard is in place before charon has the tunnel")
        #expect(log.contains("removed 1 fail-closed guards no tunnel of this configuration has"))
        let installed = try Self.guards(namespace)
        #expect(installed.contains("src 198.51.100.0/24 dst 203.0.113.0/24") && !installed.contains("10.99.0.0"))
        #expect(installed.contains("mark 0/0x80000000") && installed.contains("mark 0x80000000/0x80000000"))
        // charon's trap policy for the same traffic outranks the guard: the packet goes to charon (an
        // acquire), not to the guard; the guard is what remains when charon's policy is gone.
        let all = try Shell.check(["ip", "-n", namespace.name, "xfrm", "policy", "list", "dir", "out"])
        #expect(all.contains("tmpl src 192.0.2.1 dst 192.0.2.2"), "charon's trap policy: \(all)")
        #expect(try Self.sendFromLAN(namespace) == 0, "charon's policy, not the guard, takes the packet while charon has the tunnel")
        let status = try site.vnfIPsec(["status"])
        #expect(status.stdout.contains("fail-closed guards: 198.51.100.0/24 -> 203.0.113.0/24"), "\(status.stdout)")

        let (exit, _) = site.terminate()
        #expect(exit == 0)
        #expect(site.log.contains("fail-closed guards stay in place"))
        #expect(try Self.guards(namespace).contains("src 198.51.100.0/24 dst 203.0.113.0/24"), "run stopped: the guards stay")
        #expect(try Self.sendFromLAN(namespace) == 1, "after run stopped, still dropped")

        let teardown = try Self.oneOff(namespace, ["teardown"], environment: Self.environment)
        #expect(teardown.status == 0, "\(teardown.stdout) \(teardown.stderr)")
        #expect(teardown.stdout.contains("fail-closed guards: 2 removed"), "\(teardown.stdout)")
        #expect(try Self.guards(namespace).isEmpty)
        #expect(try Self.sendFromLAN(namespace) == 0)
    }

    @Test func failClosedOffRemovesWhatAnEarlierRunLeft() throws {
        let namespace = try Self.namespace("fco")
        defer { namespace.delete() }
        let first = try GatewaySite(in: namespace, environment: Self.environment)
        #expect(GatewaySite.wait(seconds: 10) { first.log.contains("connection loaded") }, "\(first.log)")
        _ = first.terminate()
        #expect(!(try Self.guards(namespace).isEmpty))
        var off = Self.environment
        off["IPSEC_FAIL_CLOSED"] = "no"
        let second = try GatewaySite(in: namespace, environment: off)
        defer { _ = second.terminate() }
        #expect(GatewaySite.wait(seconds: 10) { second.log.contains("connection loaded") }, "\(second.log)")
        #expect(second.log.contains("removed 2 fail-closed guards no tunnel of this configuration has (fail_closed is off)"))
        #expect(try Self.guards(namespace).isEmpty)
        #expect(try Self.sendFromLAN(namespace) == 0, "upstream's behaviour: nothing guards the subnet")
    }

    @Test func teardownIsRefusedWhileRunRuns() throws {
        let namespace = try Self.namespace("fct")
        defer { namespace.delete() }
        let site = try GatewaySite(in: namespace, environment: Self.environment)
        defer { _ = site.terminate() }
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("connection loaded") }, "\(site.log)")
        let teardown = try Shell.run(["nsenter", "-t", String(site.pid), "-m", "-n", GatewaySite.binary, "teardown"],
                                     environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"].merging(Self.environment) { $1 })
        #expect(teardown.status != 0)
        #expect(teardown.stderr.contains("teardown: refused"), "\(teardown.stderr)")
        #expect(!(try Self.guards(namespace).isEmpty), "the running gateway's guards stay")
    }
}
