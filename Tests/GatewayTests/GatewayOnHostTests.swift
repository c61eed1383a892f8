import Foundation
import Testing
import TestSupport
@testable import IPsecCore

/// Two gateways on the host kernel, each in its own namespaces, running the real binary. The host kernel has
/// no ESP, so the IKE_SA comes up and the CHILD_SA cannot be installed: `status` must say exactly that.
/// The full tunnel (ESP, VTI, ping across) is proven in the user-mode-Linux lab.
@Suite(.enabled(if: Privileges.canUseNamespaces && Privileges.hasCharon && FileManager.default.fileExists(atPath: GatewaySite.binary),
                "needs root, strongSwan and a built vnf-ipsec (swift build)"),
       .serialized)
struct GatewayOnHostTests {
    static func environment(local: String, remote: String, localNet: String, remoteNet: String, wan: String) -> [String: String] {
        ["IPSEC_LOCALIP": local, "IPSEC_REMOTEIP": remote, "IPSEC_LOCALID": local, "IPSEC_REMOTEID": remote,
         "IPSEC_LOCALNET": localNet, "IPSEC_REMOTENET": remoteNet, "IPSEC_PSK": "host-test-psk-0123456789abcdef",
         "IPSEC_INTERFACES": wan]
    }

    @Test func ikeComesUpStatusReportsItAndSigtermCleansUp() throws {
        let a = try NetworkNamespace("gwa"), b = try NetworkNamespace("gwb")
        defer { a.delete(); b.delete() }
        try NetworkNamespace.link(a, "wanA", "192.0.2.1/24", b, "wanB", "192.0.2.2/24")
        let siteB = try GatewaySite(in: b, environment: Self.environment(local: "192.0.2.2", remote: "192.0.2.1", localNet: "203.0.113.0/24",
                                                                         remoteNet: "198.51.100.0/24", wan: "wanB"))
        let siteA = try GatewaySite(in: a, environment: Self.environment(local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24",
                                                                         remoteNet: "203.0.113.0/24", wan: "wanA"))
        defer { _ = siteA.terminate(); _ = siteB.terminate() }

        let ikeUp = try GatewaySite.wait(seconds: 15) { try siteA.vnfIPsec(["status"]).status == 1 }
        #expect(ikeUp, "IKE_SA never came up: \(siteA.log)")
        let status = try siteA.vnfIPsec(["status", "--json"])
        let report = try JSONDecoder().decode(TunnelReport.self, from: Data(status.stdout.utf8))
        #expect(report.state == .ikeOnly)
        #expect(report.securityAssociations.first?.state == "ESTABLISHED")
        #expect(report.securityAssociations.first?.encryption == "AES_GCM_16-192", "upstream's default IKE proposal was negotiated")
        #expect(GatewaySite.wait(seconds: 5) { siteA.log.contains("loaded IKE shared key with id 'ike-vnf-ipsec'") })
        #expect(!siteA.log.contains("host-test-psk"), "the PSK must never reach the log")

        let (exit, seconds) = siteA.terminate()
        #expect(exit == 0, "\(siteA.log.suffix(2000))")
        #expect(seconds < 5)
        #expect(siteA.survivingCharons().isEmpty, "charon outlived run: \(siteA.survivingCharons())")
        #expect(siteA.log.contains("IKE_SA deleted") || siteA.log.contains("deleting IKE_SA"), "the SA was closed, the peer told")
    }

    @Test func statusWithoutCharonSaysDownAndExits2() throws {
        let result = try Shell.run([GatewaySite.binary, "status", "--socket", "/nonexistent/charon.vici"])
        #expect(result.status == 2)
        #expect(result.stdout.contains("vnf-ipsec: down") && result.stdout.contains("is charon running"))
    }

    @Test func charonDyingMakesRunExitNonZeroWithItsLastLines() throws {
        let a = try NetworkNamespace("gwd")
        defer { a.delete() }
        let site = try GatewaySite(in: a, environment: Self.environment(local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24",
                                                                        remoteNet: "203.0.113.0/24", wan: "lo"))
        defer { _ = site.terminate() }
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("connection loaded") }, "\(site.log)")
        // Kill charon behind run's back, as an OOM kill would.
        for line in site.survivingCharons() where line.hasSuffix("charon") {
            kill(Int32(line.split(separator: " ")[0])!, SIGKILL)
        }
        #expect(GatewaySite.wait(seconds: 10) { !site.isRunning })
        let (exit, _) = site.terminate()
        #expect(exit == 1)
        #expect(site.log.contains("charon exited unexpectedly"), "\(site.log.suffix(1500))")
    }

    @Test func invalidConfigurationStartsNothingAndExits2() throws {
        let a = try NetworkNamespace("gwi")
        defer { a.delete() }
        var environment = Self.environment(local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24", remoteNet: "203.0.113.0/24", wan: "lo")
        environment["IPSEC_ESPCIPHER"] = "3des-md5"
        let site = try GatewaySite(in: a, environment: environment)
        #expect(GatewaySite.wait(seconds: 10) { !site.isRunning })
        let (exit, _) = site.terminate()
        #expect(exit == 2)
        #expect(site.log.contains("IPSEC_ESPCIPHER") && !site.log.contains("charon:"))
    }
}
