import CertificateChecks
import Crypto
import Foundation
import SwiftASN1
import IPsecCore
import Testing
import X509

/// Each of `check`'s refusals, with certificates generated for the test: the configuration is read from
/// real files like `run` reads them, then checked at a given time.
struct CertificateCheckTests {
    let files: GeneratedCertificates
    let ca: GeneratedCertificates.Authority

    init() throws {
        files = try GeneratedCertificates()
        ca = try files.authority("Test CA")
    }

    /// The environment of a policy-based pubkey tunnel with these files.
    func environment(certificate: Certificate, key: P256.Signing.PrivateKey, authority: Certificate? = nil, extra: [String: String] = [:]) throws -> [String: String] {
        let certificatePath = try files.write("gw.crt", files.pem(certificate))
        let keyPath = try files.write("gw.key", key.pemRepresentation + "\n", mode: 0o600)
        let caPath = try files.write("ca.crt", files.pem(authority ?? ca.certificate))
        return ["IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_LOCALNET": "198.51.100.0/24",
                "IPSEC_REMOTENET": "203.0.113.0/24", "IPSEC_AUTH": "pubkey", "IPSEC_LOCALCERT": certificatePath,
                "IPSEC_LOCALKEY": keyPath, "IPSEC_CACERT": caPath].merging(extra) { $1 }
    }

    /// Loads and checks; the problems' text (empty when accepted) and the result.
    func check(_ environment: [String: String], at date: Date? = nil) -> (problems: [String], loaded: LoadedConfiguration?) {
        do {
            let loaded = try CertificateCheck.apply(to: try GatewayConfig.load(environment: environment), now: date ?? files.now)
            return ([], loaded)
        } catch {
            return (error.problems.map(\.description), nil)
        }
    }

    @Test func aValidCertificateIsAcceptedAndItsSubjectBecomesTheLocalIdentity() throws {
        let leaf = try files.leaf("gw-a", by: ca)
        let (problems, loaded) = check(try environment(certificate: leaf.certificate, key: leaf.key))
        #expect(problems.isEmpty)
        let tunnel = try #require(loaded?.config.tunnels.first)
        #expect(tunnel.certificates?.subject?.description == "O=vnf-ipsec test, CN=gw-a")
        #expect(tunnel.psk == nil && loaded?.warnings.isEmpty == true)
        let swanctl = StrongSwanBackend().connection(tunnel).rendered()
        #expect(swanctl.contains("auth = pubkey") && swanctl.contains("id = \"O=vnf-ipsec test, CN=gw-a\""))
    }

    @Test func anExpiredCertificateIsRefusedWithItsDates() throws {
        let leaf = try files.leaf("gw-a", by: ca, notBefore: files.now.addingTimeInterval(-90 * 86_400), notAfter: files.now.addingTimeInterval(-86_400))
        let (problems, _) = check(try environment(certificate: leaf.certificate, key: leaf.key))
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("IPSEC_LOCALCERT=") == true && problems.first?.contains("has expired: valid from") == true)
        #expect(problems.first?.contains(leaf.certificate.notValidAfter.formatted(.iso8601)) == true, "\(problems)")
    }

    @Test func aCertificateNotYetValidIsRefusedWithItsDates() throws {
        let leaf = try files.leaf("gw-a", by: ca, notBefore: files.now.addingTimeInterval(86_400), notAfter: files.now.addingTimeInterval(90 * 86_400))
        let (problems, _) = check(try environment(certificate: leaf.certificate, key: leaf.key))
        #expect(problems.count == 1 && problems.first?.contains("is not valid yet: valid from \(leaf.certificate.notValidBefore.formatted(.iso8601))") == true, "\(problems)")
    }

    @Test func aCertificateExpiringWithinThirtyDaysIsAWarning() throws {
        let leaf = try files.leaf("gw-a", by: ca, notAfter: files.now.addingTimeInterval(10 * 86_400 + 3600))
        let (problems, loaded) = check(try environment(certificate: leaf.certificate, key: leaf.key))
        #expect(problems.isEmpty)
        let warnings = loaded?.warnings ?? []
        #expect(warnings.count == 1 && warnings.first?.variable == "IPSEC_LOCALCERT", "\(warnings)")
        #expect(warnings.first?.message.contains("expires on \(leaf.certificate.notValidAfter.formatted(.iso8601)), in 10 days") == true, "\(warnings)")
    }

    @Test func aCertificateFromAnotherCAIsRefused() throws {
        let other = try files.authority("Other CA")
        let leaf = try files.leaf("gw-a", by: other)
        let (problems, _) = check(try environment(certificate: leaf.certificate, key: leaf.key))
        #expect(problems.count == 1)
        #expect(problems.first?.contains("does not chain to IPSEC_CACERT") == true && problems.first?.contains("CN=Other CA") == true, "\(problems)")
    }

    @Test func aCAOfTheSameNameWithAnotherKeyIsRefused() throws {
        let impostor = try files.authority("Test CA")
        let leaf = try files.leaf("gw-a", by: impostor)
        let (problems, _) = check(try environment(certificate: leaf.certificate, key: leaf.key))
        #expect(problems.first?.contains("signature does not verify") == true, "\(problems)")
    }

    @Test func aKeyThatIsNotTheCertificatesIsRefused() throws {
        let leaf = try files.leaf("gw-a", by: ca)
        let (problems, _) = check(try environment(certificate: leaf.certificate, key: P256.Signing.PrivateKey()))
        #expect(problems.count == 1 && problems.first?.hasPrefix("IPSEC_LOCALKEY=") == true && problems.first?.contains("is not the key of IPSEC_LOCALCERT") == true, "\(problems)")
    }

    @Test func aLocalIDNotInTheCertificateIsRefusedAndOneInItsAltNamesAccepted() throws {
        let leaf = try files.leaf("gw-a", by: ca, alternativeNames: [.dnsName("gw-a.example.com"), .ipAddress(ASN1OctetString(contentBytes: [192, 0, 2, 1]))])
        let refused = check(try environment(certificate: leaf.certificate, key: leaf.key, extra: ["IPSEC_LOCALID": "gw-b.example.com"])).problems
        #expect(refused.count == 1 && refused.first?.hasPrefix("IPSEC_LOCALID=\"gw-b.example.com\": is not in IPSEC_LOCALCERT") == true, "\(refused)")
        #expect(refused.first?.contains("DNS:gw-a.example.com") == true)
        for id in ["gw-a.example.com", "@gw-a.example.com", "192.0.2.1", "O=vnf-ipsec test, CN=gw-a", "o=VNF-IPSEC TEST,cn=GW-A"] {
            #expect(check(try environment(certificate: leaf.certificate, key: leaf.key, extra: ["IPSEC_LOCALID": id])).problems.isEmpty, "\(id)")
        }
        #expect(!check(try environment(certificate: leaf.certificate, key: leaf.key, extra: ["IPSEC_LOCALID": "CN=gw-a"])).problems.isEmpty,
                "a DN must be the whole subject, as charon compares it")
    }

    @Test func aRevocationListThatRevokesTheCertificateIsRefusedOneThatDoesNotIsAccepted() throws {
        let leaf = try files.leaf("gw-a", by: ca)
        let other = try files.leaf("gw-x", by: ca)
        let revoking = try files.write("revoking.crl", files.revocationList(by: ca, revoking: [other.certificate.serialNumber, leaf.certificate.serialNumber]))
        let problems = check(try environment(certificate: leaf.certificate, key: leaf.key, extra: ["IPSEC_CRL": revoking])).problems
        #expect(problems.count == 1 && problems.first?.hasPrefix("IPSEC_CRL=") == true && problems.first?.contains("revokes IPSEC_LOCALCERT") == true, "\(problems)")
        let harmless = try files.write("other.crl", files.revocationList(by: ca, revoking: [other.certificate.serialNumber]))
        #expect(check(try environment(certificate: leaf.certificate, key: leaf.key, extra: ["IPSEC_CRL": harmless])).problems.isEmpty)
        // Without authorityKeyIdentifier charon never finds the list: refused rather than silently ignored.
        let unfindable = try files.write("no-aki.crl", files.revocationList(by: ca, revoking: [other.certificate.serialNumber], authorityKeyIdentifier: false))
        let problem = check(try environment(certificate: leaf.certificate, key: leaf.key, extra: ["IPSEC_CRL": unfindable])).problems
        #expect(problem.count == 1 && problem.first?.contains("has no authorityKeyIdentifier") == true, "\(problem)")
        let garbage = try files.write("garbage.crl", "-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n")
        #expect(check(try environment(certificate: leaf.certificate, key: leaf.key, extra: ["IPSEC_CRL": garbage])).problems.first?.contains("is not a certificate revocation list") == true)
    }

    @Test func aCertificateThatDoesNotParseIsRefused() throws {
        let leaf = try files.leaf("gw-a", by: ca)
        var environment = try environment(certificate: leaf.certificate, key: leaf.key)
        environment["IPSEC_LOCALCERT"] = try files.write("broken.crt", "-----BEGIN CERTIFICATE-----\nMIIBzzCCAXWgAwIBAgI=\n-----END CERTIFICATE-----\n")
        let problems = check(environment).problems
        #expect(problems.count == 1 && problems.first?.contains("is not a certificate swift-certificates can read") == true, "\(problems)")
    }

    @Test func aKeyFileOthersCanReadIsRefusedNamingTheFile() throws {
        let leaf = try files.leaf("gw-a", by: ca)
        let environment = try environment(certificate: leaf.certificate, key: leaf.key)
        let keyPath = try #require(environment["IPSEC_LOCALKEY"])
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: keyPath)
        let problems = check(environment).problems
        #expect(problems == ["IPSEC_LOCALKEY=\"\(keyPath)\": is readable by its group (mode 640); make it 0600 or 0400 (Kubernetes: defaultMode: 0400)"], "\(problems)")
        #expect(!problems.joined().contains(leaf.key.pemRepresentation.split(separator: "\n")[1]), "the key is never echoed")
    }

    @Test func anExpiredCAIsRefusedWithItsDates() throws {
        let old = try files.authority("Old CA", notBefore: files.now.addingTimeInterval(-400 * 86_400), notAfter: files.now.addingTimeInterval(-86_400))
        let leaf = try files.leaf("gw-a", by: old)
        let problems = check(try environment(certificate: leaf.certificate, key: leaf.key, authority: old.certificate)).problems
        #expect(problems.count == 1 && problems.first?.hasPrefix("IPSEC_CACERT=") == true
                && problems.first?.contains("the CA certificate 'O=vnf-ipsec test, CN=Old CA' has expired: valid from") == true, "\(problems)")
    }

    @Test func anIssuerThatIsNoCAIsRefused() throws {
        // A leaf signing another leaf: the signature verifies, but charon accepts only CAs as issuers.
        let issuer = try files.leaf("not-a-ca", by: ca)
        let issuerAsAuthority = GeneratedCertificates.Authority(key: issuer.key, certificate: issuer.certificate, name: issuer.certificate.subject)
        let leaf = try files.leaf("gw-a", by: issuerAsAuthority)
        let problems = check(try environment(certificate: leaf.certificate, key: leaf.key, authority: issuer.certificate)).problems
        #expect(problems.count == 1 && problems.first?.contains("is not a CA certificate (basicConstraints CA:FALSE)") == true, "\(problems)")
    }

    @Test func aRevocationListOfAnotherCAIsRefused() throws {
        let leaf = try files.leaf("gw-a", by: ca)
        let other = try files.authority("Other CA")
        let crl = try files.write("other-ca.crl", files.revocationList(by: other, revoking: []))
        let problems = check(try environment(certificate: leaf.certificate, key: leaf.key, extra: ["IPSEC_CRL": crl])).problems
        #expect(problems.count == 1 && problems.first?.contains("is issued by 'O=vnf-ipsec test, CN=Other CA', none of IPSEC_CACERT's CAs") == true, "\(problems)")
    }

    @Test func aConfigurationFileNamesTheTunnelAndKey() throws {
        let leaf = try files.leaf("gw-a", by: try files.authority("Other CA"))
        // Writes gw.crt, gw.key and ca.crt, which the file names relative to itself.
        _ = try environment(certificate: leaf.certificate, key: leaf.key)
        let yaml = """
            tunnels:
              - name: east
                localip: 192.0.2.1
                remoteip: 192.0.2.2
                localnet: 198.51.100.0/24
                remotenet: 203.0.113.0/24
                auth: pubkey
                localcert: gw.crt
                localkey: gw.key
                cacert: ca.crt
            """
        let path = try files.write("gateway.yaml", yaml)
        let problems = check(["IPSEC_CONFIG_FILE": path]).problems
        #expect(problems.count == 1 && problems.first?.hasPrefix("tunnel east: localcert=\"\(files.folder)/gw.crt\": does not chain to cacert") == true, "\(problems)")
    }
}
