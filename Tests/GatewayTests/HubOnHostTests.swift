import Foundation
import Testing
import TestSupport
import VICI

/// A hub gateway with two tunnels from one configuration file (one key inline, one from a file), and two
/// spokes from the environment, on the host kernel: both IKE_SAs come up, `status` reports each tunnel,
/// a spoke's death leaves the other tunnel untouched, and SIGTERM closes both. (No ESP on the host: the
/// CHILD_SAs and traffic are proven in the lab's hub scenario.)
@Suite(.enabled(if: Privileges.canUseNamespaces && Privileges.hasCharon && FileManager.default.fileExists(atPath: GatewaySite.binary),
                "needs root, strongSwan and a built vnf-ipsec (swift build)"),
       .serialized)
struct HubOnHostTests {
    static let psk1 = "hub-spoke1-key-0123456789abcdef", psk2 = "hub-spoke2-key-from-a-file-0123456789"

    struct Report: Decodable {
        struct Tunnel: Decodable { var connection: String; var state: TunnelState; var securityAssociations: [IKESAStatus] }
        struct Configuration: Decodable {
            struct Reload: Decodable { var succeeded: Bool; var summary: String; var problems: [String] }
            var tunnels: [String]
            var lastReload: Reload?
        }
        var tunnels: [Tunnel]
        var up: Int
        var configuration: Configuration?
    }

    static func hubFile(spoke2: Bool, broken: Bool = false) -> String {
        var yaml = """
            interfaces: [hub1, hub2]
            defaults:
              localnet: 10.0.0.0/24
            tunnels:
              - name: spoke1
                localip: 192.0.2.1
                remoteip: \(broken ? "300.1.1.1" : "192.0.2.2")
                remotenet: [10.1.0.0/24]
                psk: \(Self.psk1)

            """
        if spoke2 {
            yaml += """
                  - name: spoke2
                    localip: 198.51.100.1
                    remoteip: 198.51.100.2
                    remotenet: 10.2.0.0/24
                    psk_file: spoke2.psk

                """
        }
        return yaml
    }

    /// The three gateways of these tests: a hub in namespace `hub` running `run --config` on `hubFile` (its
    /// folder also holds spoke2's key file), and two spokes from the environment, each on a veth of its own.
    struct Hub {
        let namespaces: [NetworkNamespace]
        let folder: String
        let hub: GatewaySite, spoke1: GatewaySite, spoke2: GatewaySite

        init(hubFile: String) throws {
            let hubNamespace = try NetworkNamespace("hub"), spoke1Namespace = try NetworkNamespace("sp1"), spoke2Namespace = try NetworkNamespace("sp2")
            namespaces = [hubNamespace, spoke1Namespace, spoke2Namespace]
            folder = NSTemporaryDirectory() + "hub-\(UUID().uuidString)"
            do {
                try NetworkNamespace.link(hubNamespace, "hub1", "192.0.2.1/24", spoke1Namespace, "wan1", "192.0.2.2/24")
                try NetworkNamespace.link(hubNamespace, "hub2", "198.51.100.1/24", spoke2Namespace, "wan2", "198.51.100.2/24")
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try (HubOnHostTests.psk2 + "\n").write(toFile: folder + "/spoke2.psk", atomically: true, encoding: .utf8)
                chmod(folder + "/spoke2.psk", 0o600)
                try hubFile.write(toFile: folder + "/gateway.yaml", atomically: true, encoding: .utf8)
            } catch {
                for namespace in namespaces { namespace.delete() }
                try? FileManager.default.removeItem(atPath: folder)
                throw error
            }
            func spoke(_ n: Int, local: String, remote: String, psk: String) -> [String: String] {
                ["IPSEC_LOCALIP": local, "IPSEC_REMOTEIP": remote, "IPSEC_LOCALNET": "10.\(n).0.0/24", "IPSEC_REMOTENET": "10.0.0.0/24",
                 "IPSEC_PSK": psk, "IPSEC_INTERFACES": "wan\(n)"]
            }
            spoke1 = try GatewaySite(in: spoke1Namespace, environment: spoke(1, local: "192.0.2.2", remote: "192.0.2.1", psk: HubOnHostTests.psk1))
            spoke2 = try GatewaySite(in: spoke2Namespace, environment: spoke(2, local: "198.51.100.2", remote: "198.51.100.1", psk: HubOnHostTests.psk2))
            hub = try GatewaySite(in: hubNamespace, environment: [:], arguments: ["run", "--config", folder + "/gateway.yaml"])
        }

        func report() throws -> Report {
            try JSONDecoder().decode(Report.self, from: Data(hub.vnfIPsec(["status", "--json"]).stdout.utf8))
        }

        func stop() {
            for site in [hub, spoke1, spoke2] { _ = site.terminate() }
            for namespace in namespaces { namespace.delete() }
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// SIGHUP with a tunnel added: it comes up and `status --json` shows it, the first tunnel's IKE_SA is
    /// the same one; then a broken file: refused, the gateway and both tunnels stay, `status` says why.
    @Test func sighupAddsATunnelAndABrokenFileKeepsTheRunningConfiguration() throws {
        let hub = try Hub(hubFile: Self.hubFile(spoke2: false))
        defer { hub.stop() }
        let (siteHub, folder) = (hub.hub, hub.folder)
        func report() throws -> Report { try hub.report() }
        #expect(try GatewaySite.wait(seconds: 20) { (try? report())?.tunnels.first?.state == .ikeOnly }, "\(siteHub.log.suffix(2000))")
        let spoke1ID = try #require(try report().tunnels.first?.securityAssociations.first?.uniqueID)

        try Self.hubFile(spoke2: true).write(toFile: folder + "/gateway.yaml.new", atomically: true, encoding: .utf8)
        // Kubernetes-style: the new file appears by rename.
        #expect(rename(folder + "/gateway.yaml.new", folder + "/gateway.yaml") == 0)
        kill(siteHub.pid, SIGHUP)
        let added = try GatewaySite.wait(seconds: 20) { (try? report())?.tunnels.filter { $0.state == .ikeOnly }.count == 2 }
        let afterAdd = try report()
        #expect(added, "spoke2 never came up: \(afterAdd.tunnels.map { "\($0.connection) \($0.state)" }) \(siteHub.log.suffix(2000))")
        #expect(afterAdd.configuration?.tunnels == ["spoke1", "spoke2"])
        #expect(afterAdd.configuration?.lastReload?.succeeded == true && afterAdd.configuration?.lastReload?.summary.contains("added spoke2") == true,
                "\(String(describing: afterAdd.configuration))")
        #expect(afterAdd.tunnels.first?.securityAssociations.first?.uniqueID == spoke1ID, "spoke1's IKE_SA was touched by the reload")

        try Self.hubFile(spoke2: true, broken: true).write(toFile: folder + "/gateway.yaml", atomically: true, encoding: .utf8)
        kill(siteHub.pid, SIGHUP)
        #expect(try GatewaySite.wait(seconds: 10) { (try? report())?.configuration?.lastReload?.succeeded == false })
        let afterBroken = try report()
        #expect(afterBroken.configuration?.lastReload?.problems.contains { $0.contains("tunnel spoke1: remoteip=\"300.1.1.1\"") } == true)
        #expect(afterBroken.tunnels.filter { $0.state == .ikeOnly }.count == 2 && siteHub.isRunning)
        #expect(afterBroken.tunnels.first?.securityAssociations.first?.uniqueID == spoke1ID)
        #expect(siteHub.log.contains("reload (SIGHUP) refused; the running configuration stays"), "\(siteHub.log.suffix(2000))")
        let (exit, _) = siteHub.terminate()
        #expect(exit == 0)
    }

    @Test func aHubRunsTwoTunnelsFromOneFileAndASpokesDeathLeavesTheOtherAlone() throws {
        let hub = try Hub(hubFile: Self.hubFile(spoke2: true))
        defer { hub.stop() }
        let (siteHub, siteS1, siteS2) = (hub.hub, hub.spoke1, hub.spoke2)
        func report() throws -> Report { try hub.report() }
        let bothUp = try GatewaySite.wait(seconds: 20) {
            (try? report())?.tunnels.filter { $0.state == .ikeOnly }.count == 2
        }
        #expect(bothUp, "both IKE_SAs never came up: \(siteHub.log.suffix(3000))")
        let first = try report()
        #expect(first.tunnels.map(\.connection) == ["spoke1", "spoke2"])
        #expect(try siteHub.vnfIPsec(["status"]).status == 1, "IKE only (the host has no ESP): some up")
        #expect(try siteHub.vnfIPsec(["status", "--tunnel", "spoke2"]).status == 1)
        let unknown = try siteHub.vnfIPsec(["status", "--tunnel", "nope"])
        #expect(unknown.status == 2 && unknown.stdout.contains("nope: down"), "\(unknown.output)")
        #expect(siteHub.log.contains("2 connections loaded"), "\(siteHub.log.suffix(2000))")
        #expect(siteHub.log.contains("loaded IKE shared key with id 'ike-spoke2'"))
        #expect(!siteHub.log.contains(Self.psk1) && !siteHub.log.contains(Self.psk2), "a key reached the log")
        let spoke2ID = try #require(first.tunnels[1].securityAssociations.first?.uniqueID)

        // spoke1 dies without a word (SIGKILL; its charon follows by pdeathsig): spoke2's tunnel is untouched.
        kill(siteS1.pid, SIGKILL)
        let spoke1Gone = try GatewaySite.wait(seconds: 40) { (try? report())?.tunnels.first?.state == .down }
        let after = try report()
        #expect(after.tunnels[1].state == .ikeOnly && after.tunnels[1].securityAssociations.first?.uniqueID == spoke2ID,
                "spoke2's IKE_SA changed when spoke1 died: \(after.tunnels[1])")
        _ = spoke1Gone  // DPD (30 s) may not have noticed spoke1 yet; what matters is spoke2.

        let (exit, seconds) = siteHub.terminate()
        #expect(exit == 0 && seconds < 5, "exit \(exit.map(String.init) ?? "none") after \(seconds) s: \(siteHub.log.suffix(2000))")
        #expect(siteHub.survivingCharons().isEmpty)
        #expect(GatewaySite.wait(seconds: 5) { siteS2.log.contains("received DELETE for IKE_SA") }, "spoke2 was not told: \(siteS2.log.suffix(2000))")
    }
}
