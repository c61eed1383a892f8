import Foundation
import Testing
import TestSupport
@testable import GatewayRuntime
import IPsecCore
import VICI

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

    /// One gateway with no peer, in a namespace of its own (its WAN the loopback unless named).
    static func loneSite(_ name: String, wan: String = "lo") throws -> (NetworkNamespace, GatewaySite) {
        let namespace = try NetworkNamespace(name)
        do {
            return (namespace, try GatewaySite(in: namespace, environment: environment(local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24",
                                                                                   remoteNet: "203.0.113.0/24", wan: wan)))
        } catch {
            namespace.delete()
            throw error
        }
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
        // `status --json` as a tool reads it.
        struct Tunnel: Decodable { var connection: String; var state: TunnelState; var securityAssociations: [IKESAStatus] }
        struct Gateway: Decodable { var tunnels: [Tunnel]; var up: Int }
        let gateway = try JSONDecoder().decode(Gateway.self, from: Data(status.stdout.utf8))
        let report = try #require(gateway.tunnels.first)
        #expect(gateway.tunnels.map(\.connection) == ["vnf-ipsec"] && gateway.up == 0)
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
        #expect(result.stdout.hasPrefix("down: ") && result.stdout.contains("is charon running"))
    }

    @Test func charonDyingMakesRunExitNonZeroWithItsLastLines() throws {
        let (a, site) = try Self.loneSite("gwd")
        defer { _ = site.terminate(); a.delete() }
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

    @Test func aSecondRunInTheSameNamespaceIsRefusedAndTheFirstKeepsItsSocket() throws {
        let (a, site) = try Self.loneSite("gw2")
        defer { _ = site.terminate(); a.delete() }
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("connection loaded") }, "\(site.log)")
        // The second run shares the first one's network and mount namespaces (its /run, charon's socket).
        var environment = Self.environment(local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24",
                                           remoteNet: "203.0.113.0/24", wan: "lo")
        environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
        let second = try Shell.run(["nsenter", "-t", String(site.pid), "-m", "-n", GatewaySite.binary, "run"], environment: environment, timeout: 20)
        #expect(second.status == 1, "\(second.output)")
        #expect(second.output.contains("another vnf-ipsec run (pid \(site.pid))"), "\(second.output)")
        #expect(!second.output.contains("charon:"), "a second charon was started: \(second.output)")
        let status = try site.vnfIPsec(["status", "--live"])
        #expect(status.status == 0, "the first gateway lost its socket: \(status.output)")
    }

    @Test func charonDiesWithRunEvenWhenRunIsKilled() throws {
        let (a, site) = try Self.loneSite("gwk")
        defer { _ = site.terminate(); a.delete() }
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("connection loaded") }, "\(site.log)")
        // Long enough that Dispatch has retired idle worker threads: charon must not die with one of those.
        usleep(6_000_000)
        #expect(site.survivingCharons().contains { $0.hasSuffix(" charon") }, "charon died early: \(site.log.suffix(800))")
        kill(site.pid, SIGKILL)
        #expect(GatewaySite.wait(seconds: 10) { !site.survivingCharons().contains { $0.hasSuffix(" charon") } },
                "charon outlived a killed run: \(site.survivingCharons())")
    }

    @Test func hupReloadsUsr1Usr2AndPipeDoNotStopTheGatewayAndQuitStopsItCleanly() throws {
        let (a, site) = try Self.loneSite("gws")
        defer { _ = site.terminate(); a.delete() }
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("connection loaded") }, "\(site.log)")
        for signal in [SIGHUP, SIGUSR1, SIGUSR2, SIGPIPE] {
            kill(site.pid, signal)
            usleep(300_000)
            #expect(site.isRunning, "signal \(signal) stopped run: \(site.log.suffix(800))")
        }
        // SIGHUP reloads: the environment is read again and, unchanged, changes nothing.
        #expect(GatewaySite.wait(seconds: 5) { site.log.contains("reload (SIGHUP): no tunnel changed") }, "\(site.log.suffix(800))")
        #expect(try site.vnfIPsec(["status", "--live"]).status == 0)
        kill(site.pid, SIGQUIT)
        // Bounds for a loaded CI machine, not a speed goal (the shutdown takes about a second here).
        #expect(GatewaySite.wait(seconds: 20) { !site.isRunning }, "\(site.log.suffix(800))")
        let (exit, _) = site.terminate()
        #expect(exit == 0, "\(site.log.suffix(800))")
        #expect(GatewaySite.wait(seconds: 10) { site.survivingCharons().isEmpty }, "\(site.survivingCharons())")
    }

    /// ENVFILE a FIFO (bash's `<(…)`, a secret written into a FIFO): read once at start, said so, not
    /// watched, and a reload reuses what it held instead of waiting for a writer that is gone.
    @Test func anEnvFileThatIsAFIFOIsReadOnceAndAReloadReusesIt() throws {
        let folder = NSTemporaryDirectory() + "vnf-fifo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let settings = Self.environment(local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24", remoteNet: "203.0.113.0/24", wan: "lo")
        let text = settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        let feed = try FIFOFeed(path: folder + "/site.env", text: text)
        let a = try NetworkNamespace("gwf")
        defer { a.delete() }
        let site = try GatewaySite(in: a, environment: ["ENVFILE": feed.path])
        defer { _ = site.terminate() }
        #expect(feed.wait() == text.utf8.count)
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("connection loaded") }, "\(site.log.suffix(800))")
        #expect(site.log.contains("\(feed.path) is a pipe or device, not a stored file"), "\(site.log.suffix(800))")
        kill(site.pid, SIGHUP)
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("reload (SIGHUP): no tunnel changed") }, "\(site.log.suffix(800))")
        #expect(site.isRunning)
    }

    @Test func anInterfaceThatDoesNotExistIsNamedAtStart() throws {
        let (a, site) = try Self.loneSite("gwn", wan: "lo,wan7")
        defer { _ = site.terminate(); a.delete() }
        #expect(GatewaySite.wait(seconds: 10) { site.log.contains("connection loaded") }, "\(site.log)")
        #expect(site.log.contains("IPSEC_INTERFACES names wan7, which this network namespace does not have"), "\(site.log.prefix(1500))")
        #expect(!site.log.contains("IPSEC_INTERFACES names lo,"))
    }
}
