import Foundation
import Testing
@testable import IPsecCore

/// IPSEC_AUTH=pubkey as the model reads it: the files (PEM shape only; what they mean is CertificateChecks'
/// and is tested there with real certificates), what is required instead of the PSK, how the tunnel is
/// rendered, and what a rotation changes. The PEM bodies here are placeholders, never real keys.
@Suite struct CertificateAuthenticationTests {
    static let certificate = "-----BEGIN CERTIFICATE-----\nQ0VSVElGSUNBVEU=\n-----END CERTIFICATE-----\n"
    static let intermediate = "-----BEGIN CERTIFICATE-----\nSU5URVJNRURJQVRF\n-----END CERTIFICATE-----\n"
    static let authority = "# the lab CA\n-----BEGIN CERTIFICATE-----\nQ0EgQ0VSVA==\n-----END CERTIFICATE-----\n"
    static let key = "-----BEGIN EC PRIVATE KEY-----\nU0VDUkVUIEtFWSBCT0RZ\n-----END EC PRIVATE KEY-----\n"
    static let crl = "-----BEGIN X509 CRL-----\nQ1JM\n-----END X509 CRL-----\n"

    /// Files by path (with their modes), the rest unreadable; `/secret` is a folder as Kubernetes mounts a Secret.
    static func files(_ extra: [String: (String, UInt16)] = [:]) -> FileAccess {
        let all: [String: (String, UInt16)] = [
            "/certs/gw.crt": (certificate + intermediate, 0o644), "/certs/gw.key": (key, 0o600), "/certs/ca.crt": (authority, 0o644),
            "/certs/ca.crl": (crl, 0o644), "/secret/ca.crt": (authority, 0o400), "/secret/tls.key": (key, 0o400), "/secret/tls.crt": (certificate, 0o400),
        ].merging(extra) { $1 }
        return FileAccess(read: { path in
            guard let file = all[path] else { throw CocoaError(.fileReadNoSuchFile) }
            return file.0
        }, permissions: { all[$0]?.1 }, folderFiles: { path in
            path == "/secret" ? ["/secret/ca.crt", "/secret/tls.crt", "/secret/tls.key"] : path == "/empty" ? [] : nil
        })
    }

    static let environment: [String: String] = [
        "IPSEC_LOCALIP": "192.0.2.1", "IPSEC_LOCALNET": "198.51.100.0/24", "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_REMOTENET": "203.0.113.0/24",
        "IPSEC_AUTH": "pubkey", "IPSEC_LOCALCERT": "/certs/gw.crt", "IPSEC_LOCALKEY": "/certs/gw.key", "IPSEC_CACERT": "/certs/ca.crt",
    ]

    static func load(_ changes: [String: String?] = [:], files: FileAccess = files()) throws(ConfigurationErrors) -> LoadedConfiguration {
        var environment = environment
        for (key, value) in changes { environment[key] = value }
        return try GatewayConfig.load(environment: environment, files: files)
    }

    static func problems(_ changes: [String: String?], files: FileAccess = files()) -> [String] {
        do { _ = try load(changes, files: files); return [] } catch { return error.problems.map(\.description) }
    }

    @Test func pubkeyNeedsNoPSKAndNoIDsAndReadsEveryFile() throws {
        let loaded = try Self.load(["IPSEC_CRL": "/certs/ca.crl"])
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        let certificates = try #require(loaded.tunnel.certificates)
        #expect(loaded.tunnel.psk == nil && loaded.tunnel.authentication == .pubkey)
        #expect(certificates.certificateChain == [Self.certificate, Self.intermediate], "the certificate, then its file's intermediates")
        #expect(certificates.authorityCertificates == [Self.authority.replacingOccurrences(of: "# the lab CA\n", with: "")], "comments around blocks are left out")
        #expect(certificates.revocationListBlock == Self.crl)
        #expect(certificates.privateKey.block?.label == "EC PRIVATE KEY")
        #expect(certificates.paths == ["/certs/gw.crt", "/certs/gw.key", "/certs/ca.crt", "/certs/ca.crl"])
    }

    @Test func eachFileIsRequiredWithPubkey() {
        let problems = Self.problems(["IPSEC_LOCALCERT": nil, "IPSEC_LOCALKEY": nil, "IPSEC_CACERT": nil])
        #expect(problems.sorted() == ["IPSEC_CACERT: is required when IPSEC_AUTH is pubkey", "IPSEC_LOCALCERT: is required when IPSEC_AUTH is pubkey",
                                      "IPSEC_LOCALKEY: is required when IPSEC_AUTH is pubkey"])
        #expect(Self.problems(["IPSEC_AUTH": "certificate"]).first?.hasPrefix("IPSEC_AUTH=\"certificate\": expected psk or pubkey") == true)
    }

    @Test func aKeyFileOthersMayReadIsRefusedNamingTheFile() {
        let problems = Self.problems([:], files: Self.files(["/certs/gw.key": (Self.key, 0o604)]))
        #expect(problems == ["IPSEC_LOCALKEY=\"/certs/gw.key\": is readable by everyone (mode 604); make it 0600 or 0400 (Kubernetes: defaultMode: 0400)"])
    }

    @Test func aFileHoldingTheWrongThingIsRefusedWithoutEchoingIt() {
        // The key mounted where the certificate belongs: the message names the label, never the content.
        let swapped = Self.problems(["IPSEC_LOCALCERT": "/certs/gw.key"])
        #expect(swapped == ["IPSEC_LOCALCERT=\"/certs/gw.key\": does not hold a PEM certificate (-----BEGIN CERTIFICATE-----); it holds 'EC PRIVATE KEY'"])
        #expect(!swapped.joined().contains("U0VDUkVUIEtFWSBCT0RZ"))
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nRU5D\n-----END ENCRYPTED PRIVATE KEY-----\n"
        #expect(Self.problems([:], files: Self.files(["/certs/gw.key": (encrypted, 0o600)])).first?.contains("is encrypted; give the key unencrypted") == true)
        #expect(Self.problems(["IPSEC_CACERT": "/certs/missing.crt"]) == ["IPSEC_CACERT=\"/certs/missing.crt\": cannot be read (no such file); mount the file there or correct the path"])
        #expect(Self.problems(["IPSEC_CRL": "/certs/ca.crt"]).first?.contains("does not hold a PEM certificate revocation list") == true)
    }

    @Test func aPathThatCouldBreakIpsecConfIsRefused() {
        for path in ["/certs/gw\".crt", "/certs/gw\\.crt", "/certs/gw\n.crt"] {
            let problems = Self.problems(["IPSEC_LOCALCERT": path], files: Self.files([path: (Self.certificate, 0o644)]))
            #expect(problems.count == 1 && problems.first?.contains("must not hold a quote, backslash or control character") == true, "\(problems)")
        }
    }

    @Test func aCAFolderGivesItsCertificatesAndSkipsTheKeyBesideThem() throws {
        let loaded = try Self.load(["IPSEC_CACERT": "/secret"])
        #expect(loaded.tunnel.certificates?.authorities.map(\.path) == ["/secret/ca.crt", "/secret/tls.crt"], "tls.key holds no certificate")
        #expect(Self.problems(["IPSEC_CACERT": "/empty"]) == ["IPSEC_CACERT=\"/empty\": is a folder with no PEM certificate in it"])
        let two = try Self.load(["IPSEC_CACERT": "/certs/ca.crt, /secret/ca.crt"])
        #expect(two.tunnel.certificates?.authorities.map(\.path) == ["/certs/ca.crt", "/secret/ca.crt"])
    }

    @Test func theOtherAuthenticationsVariablesAreIgnoredWithAWarning() throws {
        let withPSK = try Self.load(["IPSEC_PSK": "unit-test-psk-0123456789abcdef"])
        #expect(withPSK.warnings.map(\.description) == ["IPSEC_PSK: is ignored because IPSEC_AUTH is pubkey"])
        #expect(withPSK.tunnel.psk == nil)
        let psk = try IPsecCoreTests.load(["IPSEC_LOCALCERT": "/certs/gw.crt"])
        #expect(psk.warnings.map(\.description) == ["IPSEC_LOCALCERT: is ignored because IPSEC_AUTH is psk (set IPSEC_AUTH=pubkey to authenticate with certificates)"])
        #expect(psk.tunnel.certificates == nil)
    }

    @Test func rendersPubkeyWithTheSubjectAsIdentityAndNoSecret() throws {
        var loaded = try Self.load()
        loaded.config.tunnels[0].certificates?.subject = Identity("O=Example, CN=gw-a")
        let swanctl = try #require(StrongSwanBackend().render(loaded.config, format: .swanctl).first { $0.path == "swanctl.conf" })
        let parsed = try StrongSwanGrammar.parseSettings(swanctl.contents)
        #expect(parsed.values["connections.vnf-ipsec.local.auth"] == "pubkey" && parsed.values["connections.vnf-ipsec.remote.auth"] == "pubkey")
        #expect(parsed.values["connections.vnf-ipsec.local.id"] == "O=Example, CN=gw-a")
        #expect(parsed.values["connections.vnf-ipsec.remote.id"] == nil, "any certificate of the CAs, unless IPSEC_REMOTEID pins one")
        #expect(!swanctl.contents.contains("secrets") && !swanctl.contents.contains("U0VDUkVUIEtFWSBCT0RZ"), "no key, no PSK in the file")
        let ipsec = StrongSwanBackend().render(loaded.config, format: .ipsec)
        let conf = try #require(ipsec.first { $0.path == "ipsec.conf" }).contents
        #expect(conf.contains("leftauth=pubkey\n") && conf.contains("leftcert=/certs/gw.crt\n") && conf.contains("rightauth=pubkey\n") && conf.contains("leftid=\"O=Example, CN=gw-a\"\n"))
        let secrets = try #require(ipsec.first { $0.path == "ipsec.secrets" }).contents
        #expect(secrets.hasSuffix(": ECDSA /certs/gw.key\n") && !secrets.contains("U0VDUkVUIEtFWSBCT0RZ"), "the key file by its path")
        // An explicit ID wins over the subject.
        loaded.config.tunnels[0].localID = Identity("gw-a.example.com")
        #expect(StrongSwanBackend().connection(loaded.tunnel).rendered().contains("id = gw-a.example.com"))
    }

    @Test func aConfigurationFilesCertificatePathsAreRelativeToIt() throws {
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
                cacert: ca.crt, /secret
                crl: ca.crl
            """
        let files = Self.files(["/certs/gateway.yaml": (yaml, 0o644)])
        let loaded = try GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": "/certs/gateway.yaml"], files: files)
        #expect(loaded.tunnel.certificates?.paths == ["/certs/gw.crt", "/certs/gw.key", "/certs/ca.crt", "/secret/ca.crt", "/secret/tls.crt", "/certs/ca.crl"])
        let refused = Self.problems([:], files: Self.files(["/certs/gw.key": (Self.key, 0o640)]))
        #expect(refused.first?.contains("readable by its group") == true)
        do {
            _ = try GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": "/certs/gateway.yaml"],
                                       files: Self.files(["/certs/gateway.yaml": (yaml, 0o644), "/certs/gw.key": (Self.key, 0o640)]))
            Issue.record("a group-readable key was accepted")
        } catch {
            #expect(error.problems.map(\.description) == ["tunnel east: localkey=\"/certs/gw.key\": is readable by its group (mode 640); make it 0600 or 0400 (Kubernetes: defaultMode: 0400)"])
        }
    }

    @Test func theKeyIsInNoDescriptionAndNoEncoding() throws {
        let tunnel = try Self.load().tunnel
        let encoded = String(decoding: try JSONEncoder().encode(tunnel), as: UTF8.self)
        for text in [String(describing: tunnel), String(reflecting: tunnel.certificates?.privateKey as Any), encoded] {
            #expect(!text.contains("U0VDUkVUIEtFWSBCT0RZ"), "\(text)")
        }
        #expect(encoded.contains("\"privateKey\":\"\\/certs\\/gw.key\""), "\(encoded)")
    }

    @Test func aRotatedCertificateIsLoadedWithoutRenegotiatingAndANewSubjectIsNegotiatedAgain() throws {
        var old = try Self.load().config
        old.tunnels[0].certificates?.subject = Identity("O=Example, CN=gw-a")
        let rotatedKey = "-----BEGIN PRIVATE KEY-----\nUk9UQVRFRA==\n-----END PRIVATE KEY-----\n"
        var new = try Self.load(files: Self.files(["/certs/gw.key": (rotatedKey, 0o600)])).config
        new.tunnels[0].certificates?.subject = Identity("O=Example, CN=gw-a")
        let rotation = try #require(ConfigurationChange(from: old, to: new).changed.first)
        #expect(rotation.loadCertificates && !rotation.loadConnection && !rotation.renegotiate && !rotation.loadKey && rotation.what == ["certificates"])
        new.tunnels[0].certificates?.subject = Identity("O=Example, CN=gw-a2")
        let renamed = try #require(ConfigurationChange(from: old, to: new).changed.first)
        #expect(renamed.loadCertificates && renamed.loadConnection && renamed.renegotiate && renamed.what.contains("identities"))
        let toPSK = try #require(ConfigurationChange(from: old, to: try IPsecCoreTests.load([:]).config).changed.first)
        #expect(toPSK.renegotiate && toPSK.what.contains("authentication") && !toPSK.loadCertificates)
    }
}
