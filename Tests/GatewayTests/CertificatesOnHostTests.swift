import Foundation
import Testing
import TestSupport
import VICI

/// Two gateways authenticating with ECDSA certificates from a CA made at test time, each `vnf-ipsec run`
/// in its own namespaces with a real charon. The host kernel has no ESP: the IKE_SA (where certificates
/// matter) comes up, the CHILD_SA cannot be installed. Traffic across is proven in the lab (19-certificates).
@Suite(.enabled(if: Privileges.canUseNamespaces && Privileges.hasCharon && FileManager.default.fileExists(atPath: GatewaySite.binary),
                "needs root, strongSwan and a built vnf-ipsec (swift build)"),
       .serialized)
struct CertificatesOnHostTests {
    struct Tunnel: Decodable { var connection: String; var securityAssociations: [IKESAStatus] }
    struct Certificate: Decodable { var subject: String; var serialNumber: String; var hasPrivateKey: Bool; var secondsToExpiry: Int }
    struct Report: Decodable { var tunnels: [Tunnel]; var certificates: [Certificate] }

    static func report(_ site: GatewaySite) throws -> Report? {
        let result = try site.vnfIPsec(["status", "--json"])
        return try? JSONDecoder().decode(Report.self, from: Data(result.stdout.utf8))
    }

    static func environment(ca: TestCertificateAuthority, files: (certificate: String, key: String), local: String, remote: String,
                            localNet: String, remoteNet: String, wan: String) -> [String: String] {
        ["IPSEC_LOCALIP": local, "IPSEC_REMOTEIP": remote, "IPSEC_LOCALNET": localNet, "IPSEC_REMOTENET": remoteNet,
         "IPSEC_AUTH": "pubkey", "IPSEC_LOCALCERT": files.certificate, "IPSEC_LOCALKEY": files.key, "IPSEC_CACERT": ca.certificatePath,
         "IPSEC_INTERFACES": wan]
    }

    @Test func sitesAuthenticateByCertificateAndARotatedCertificateIsUsedWithoutDroppingTheSA() throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let filesA = try ca.issue("site-a", commonName: "site-a"), filesB = try ca.issue("site-b", commonName: "site-b")
        let a = try NetworkNamespace("cra"), b = try NetworkNamespace("crb")
        defer { a.delete(); b.delete() }
        try NetworkNamespace.link(a, "wanA", "192.0.2.1/24", b, "wanB", "192.0.2.2/24")
        var environmentB = Self.environment(ca: ca, files: filesB, local: "192.0.2.2", remote: "192.0.2.1", localNet: "203.0.113.0/24",
                                            remoteNet: "198.51.100.0/24", wan: "wanB")
        // B pins A's identity (a DN as charon writes it); A accepts any certificate of the CA.
        environmentB["IPSEC_REMOTEID"] = "O=vnf-ipsec test, CN=site-a"
        var siteB = try GatewaySite(in: b, environment: environmentB)
        let siteA = try GatewaySite(in: a, environment: Self.environment(ca: ca, files: filesA, local: "192.0.2.1", remote: "192.0.2.2",
                                                                         localNet: "198.51.100.0/24", remoteNet: "203.0.113.0/24", wan: "wanA"))
        defer { _ = siteA.terminate(); _ = siteB.terminate() }

        let ikeUp = try GatewaySite.wait(seconds: 20) { try siteA.vnfIPsec(["status"]).status == 1 }
        #expect(ikeUp, "IKE_SA never came up: \(siteA.log.suffix(3000))\n--- B:\n\(siteB.log.suffix(3000))")
        let report = try #require(try Self.report(siteA))
        let ike = try #require(report.tunnels.first?.securityAssociations.first)
        #expect(ike.state == "ESTABLISHED")
        // The identities are the certificates' subjects, by default on A's side and pinned on B's.
        #expect(ike.localID == "O=vnf-ipsec test, CN=site-a" && ike.remoteID == "O=vnf-ipsec test, CN=site-b")
        let own = report.certificates.filter(\.hasPrivateKey)
        #expect(own.map(\.subject) == ["O=vnf-ipsec test, CN=site-a"])
        #expect(own.allSatisfy { (19 * 86_400...20 * 86_400).contains($0.secondsToExpiry) }, "\(own)")
        // The key reached charon over VICI only: the operators' swanctl.conf does not hold it.
        let swanctl = try siteA.vnfIPsec(["render"]).stdout + ((try? String(contentsOfFile: "/proc/\(siteA.pid)/root/run/vnf-ipsec/swanctl.conf", encoding: .utf8)) ?? "")
        let keyText = try String(contentsOfFile: filesA.key, encoding: .utf8)
        let keyBody = keyText.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
        #expect(swanctl.contains("auth = pubkey") && !swanctl.contains(keyBody))
        #expect(!siteA.log.contains(keyBody), "the key must never reach the log")

        // Rotation: a new key and certificate (same subject) written over the mounted files.
        let rotated = try ca.issue("site-a-2", commonName: "site-a")
        let rotatedSerial = try #require(try Self.serial(rotated.certificate))
        try FileManager.default.removeItem(atPath: filesA.key)
        try FileManager.default.copyItem(atPath: rotated.key, toPath: filesA.key)
        try String(contentsOfFile: rotated.certificate, encoding: .utf8).write(toFile: filesA.certificate, atomically: true, encoding: .utf8)
        let reloaded = GatewaySite.wait(seconds: 15) { siteA.log.contains("reloaded (a configuration file changed)") }
        #expect(reloaded, "\(siteA.log.suffix(2000))")
        let after = try #require(try Self.report(siteA))
        // Nothing established was dropped ...
        #expect(after.tunnels.first?.securityAssociations.first?.uniqueID == ike.uniqueID)
        // ... and only the new certificate has a key: the next handshake can only use it.
        #expect(after.certificates.filter(\.hasPrivateKey).map(\.serialNumber) == [rotatedSerial], "\(after.certificates)")

        // A new handshake: B restarted, so it authenticates A afresh and receives A's new certificate.
        _ = siteB.terminate()
        siteB = try GatewaySite(in: b, environment: environmentB)
        let again = try GatewaySite.wait(seconds: 20) {
            try Self.report(siteB)?.tunnels.first?.securityAssociations.contains { $0.state == "ESTABLISHED" } == true
        }
        #expect(again, "\(siteB.log.suffix(3000))")
        let peer = try #require(try Self.report(siteB)).certificates.filter { !$0.hasPrivateKey && $0.subject.hasSuffix("CN=site-a") }
        #expect(peer.map(\.serialNumber) == [rotatedSerial], "B authenticated A with the rotated certificate: \(peer)")

        // A broken rotation (a key that is not the certificate's) is refused; the running one stays.
        let stray = try ca.issue("stray", commonName: "stray")
        try FileManager.default.removeItem(atPath: filesA.key)
        try FileManager.default.copyItem(atPath: stray.key, toPath: filesA.key)
        let refused = GatewaySite.wait(seconds: 15) { siteA.log.contains("refused; the running configuration stays: IPSEC_LOCALKEY=") }
        #expect(refused && siteA.log.contains("is not the key of IPSEC_LOCALCERT"), "\(siteA.log.suffix(2000))")
        #expect(try Self.report(siteA)?.certificates.filter(\.hasPrivateKey).map(\.serialNumber) == [rotatedSerial])
    }

    /// A subject charon's text syntax cannot carry exactly (a comma inside the CN) is given to charon as its
    /// DER (`asn1dn:#…`): charon still finds the certificate by it and authenticates.
    @Test func aSubjectWithACommaIsTheIdentityAsItsDER() throws {
        let ca = try TestCertificateAuthority()
        defer { ca.remove() }
        let filesA = try ca.issue("site-a", commonName: "site-a\\, branch 1"), filesB = try ca.issue("site-b", commonName: "site-b")
        let a = try NetworkNamespace("cda"), b = try NetworkNamespace("cdb")
        defer { a.delete(); b.delete() }
        try NetworkNamespace.link(a, "wanA", "192.0.2.1/24", b, "wanB", "192.0.2.2/24")
        let siteB = try GatewaySite(in: b, environment: Self.environment(ca: ca, files: filesB, local: "192.0.2.2", remote: "192.0.2.1",
                                                                         localNet: "203.0.113.0/24", remoteNet: "198.51.100.0/24", wan: "wanB"))
        let environmentA = Self.environment(ca: ca, files: filesA, local: "192.0.2.1", remote: "192.0.2.2",
                                            localNet: "198.51.100.0/24", remoteNet: "203.0.113.0/24", wan: "wanA")
        let siteA = try GatewaySite(in: a, environment: environmentA)
        defer { _ = siteA.terminate(); _ = siteB.terminate() }
        let check = try Shell.run([GatewaySite.binary, "check"], environment: environmentA).stdout
        #expect(check.contains("id asn1dn:#30"), "\(check)")
        let ikeUp = try GatewaySite.wait(seconds: 20) { try siteB.vnfIPsec(["status"]).status == 1 }
        #expect(ikeUp, "\(siteA.log.suffix(3000))")
        let ike = try #require(try Self.report(siteB)?.tunnels.first?.securityAssociations.first)
        #expect(ike.remoteID == "O=vnf-ipsec test, CN=site-a, branch 1", "B saw A's subject: \(ike.remoteID ?? "")")
    }

    /// A CA taken out of IPSEC_CACERT stops being trusted at the reload, not at the next restart: B trusts
    /// two CAs, A's certificate is from the second; once B's CA file holds only the first, B's charon no
    /// longer holds the second, keeps its own key, keeps the established IKE_SA, and refuses A's next
    /// handshake.
    @Test func aCATakenOutOfCACERTIsNoLongerTrustedAfterTheReload() throws {
        let ca = try TestCertificateAuthority(), other = try TestCertificateAuthority(name: "another CA")
        defer { ca.remove(); other.remove() }
        let filesB = try ca.issue("site-b", commonName: "site-b"), filesA = try other.issue("site-a", commonName: "site-a")
        let both = try String(contentsOfFile: ca.certificatePath, encoding: .utf8) + String(contentsOfFile: other.certificatePath, encoding: .utf8)
        let trustedByB = ca.folder + "/trusted-by-b.crt", trustedByA = other.folder + "/trusted-by-a.crt"
        try both.write(toFile: trustedByB, atomically: true, encoding: .utf8)
        try both.write(toFile: trustedByA, atomically: true, encoding: .utf8)
        let a = try NetworkNamespace("cxa"), b = try NetworkNamespace("cxb")
        defer { a.delete(); b.delete() }
        try NetworkNamespace.link(a, "wanA", "192.0.2.1/24", b, "wanB", "192.0.2.2/24")
        var environmentB = Self.environment(ca: ca, files: filesB, local: "192.0.2.2", remote: "192.0.2.1", localNet: "203.0.113.0/24",
                                            remoteNet: "198.51.100.0/24", wan: "wanB")
        environmentB["IPSEC_CACERT"] = trustedByB
        var environmentA = Self.environment(ca: other, files: filesA, local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24",
                                            remoteNet: "203.0.113.0/24", wan: "wanA")
        environmentA["IPSEC_CACERT"] = trustedByA
        let siteB = try GatewaySite(in: b, environment: environmentB)
        var siteA = try GatewaySite(in: a, environment: environmentA)
        defer { _ = siteA.terminate(); _ = siteB.terminate() }
        let ikeUp = try GatewaySite.wait(seconds: 20) { try siteB.vnfIPsec(["status"]).status == 1 }
        #expect(ikeUp, "\(siteB.log.suffix(3000))")
        let ike = try #require(try Self.report(siteB)?.tunnels.first?.securityAssociations.first)
        let otherCA = "O=vnf-ipsec test, CN=another CA"
        #expect(try Self.report(siteB)?.certificates.contains { $0.subject == otherCA } == true)

        try String(contentsOfFile: ca.certificatePath, encoding: .utf8).write(toFile: trustedByB, atomically: true, encoding: .utf8)
        let reloaded = GatewaySite.wait(seconds: 15) { siteB.log.contains("reloaded (a configuration file changed)") }
        #expect(reloaded && siteB.log.contains("a CA was taken out of the configuration"), "\(siteB.log.split(separator: "\n").filter { !$0.hasPrefix("charon") }.joined(separator: "\n"))")
        let after = try #require(try Self.report(siteB))
        #expect(!after.certificates.contains { $0.subject == otherCA }, "B's charon still holds the removed CA: \(after.certificates)")
        #expect(after.certificates.filter(\.hasPrivateKey).map(\.subject) == ["O=vnf-ipsec test, CN=site-b"], "B's own key: \(after.certificates)")
        #expect(after.tunnels.first?.securityAssociations.first?.uniqueID == ike.uniqueID, "the established IKE_SA stays")

        // A's next handshake (A restarted) is refused: B has no issuer for A's certificate any more.
        _ = siteA.terminate()
        siteA = try GatewaySite(in: a, environment: environmentA)
        let refused = GatewaySite.wait(seconds: 20) { siteB.log.contains("no issuer certificate found") }
        #expect(refused, "B accepted a certificate of the removed CA: \(siteB.log.suffix(3000))")
        #expect(try siteA.vnfIPsec(["status"]).status != 0, "A's tunnel is not up")
    }

    /// The certificate's serial as status writes it (colon-separated hex).
    static func serial(_ path: String) throws -> String? {
        let out = try Shell.run(["openssl", "x509", "-in", path, "-noout", "-serial"]).stdout
        guard let hex = out.split(separator: "=").last?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
        var digits = Array(hex.lowercased().drop { $0 == "0" })
        if digits.count % 2 == 1 { digits.insert("0", at: 0) }
        return stride(from: 0, to: digits.count, by: 2).map { String(digits[$0..<$0 + 2]) }.joined(separator: ":")
    }
}
