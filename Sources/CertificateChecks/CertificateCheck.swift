import Foundation
import IPsecCore
import X509

/// What `check` (and `run`, and every reload) proves about a tunnel's certificates before anything
/// starts, with swift-certificates: each PEM parses, the key is the certificate's, the certificate chains
/// to one of the tunnel's CAs, it is valid now (and not expiring within ``expiryWarning`` unnoticed), the
/// local identity is in it, and the revocation list, if given, parses and does not revoke it.
public enum CertificateCheck {
    /// A certificate that expires sooner than this is a warning.
    public static let expiryWarning: TimeInterval = 30 * 86_400

    /// Checks every tunnel that authenticates with certificates and fills in its ``CertificateAuthentication/subject``
    /// (the local identity charon uses when IPSEC_LOCALID is not set).
    /// - Parameter now: the time the certificates must be valid at.
    /// - Returns: the configuration with the subjects filled in and the warnings (expiry soon) added.
    /// - Throws: ``ConfigurationErrors`` with every problem found, each naming the variable (or the
    ///   tunnel's key) and the file, and the warnings so far.
    public static func apply(to loaded: LoadedConfiguration, now: Date = Date()) throws(ConfigurationErrors) -> LoadedConfiguration {
        var loaded = loaded
        var problems: [ConfigurationProblem] = []
        for index in loaded.config.tunnels.indices {
            guard loaded.config.tunnels[index].certificates != nil else { continue }
            var check = TunnelCheck(tunnel: loaded.config.tunnels[index], source: loaded.config.source, now: now)
            check.run()
            loaded.config.tunnels[index].certificates?.subject = check.subject
            problems += check.problems
            loaded.warnings += check.warnings
        }
        let source: String? = if case .file(let path) = loaded.config.source { path } else { nil }
        guard problems.isEmpty else { throw ConfigurationErrors(problems, warnings: loaded.warnings, source: source) }
        return loaded
    }
}

/// One tunnel's checks, collecting every problem.
struct TunnelCheck {
    let tunnel: TunnelConfig
    let source: GatewayConfig.Source
    let now: Date
    var problems: [ConfigurationProblem] = []
    var warnings: [ConfigurationWarning] = []
    var subject: Identity?

    init(tunnel: TunnelConfig, source: GatewayConfig.Source, now: Date) {
        self.tunnel = tunnel
        self.source = source
        self.now = now
    }

    /// The variable as the operator wrote it: its name, or in a file the tunnel and its key.
    func name(_ variable: ConfigVariable) -> String {
        switch source {
        case .environment: variable.rawValue
        case .file: "tunnel \(tunnel.name): \(variable.fileKey ?? variable.rawValue)"
        }
    }

    /// Variable names in a message, in the file's terms when the configuration is a file.
    func inNaming(_ text: String) -> String {
        guard case .file = source else { return text }
        var result = text
        for variable in [ConfigVariable.localCert, .localKey, .caCert, .crl, .localID] {
            result = result.replacingOccurrences(of: variable.rawValue, with: variable.fileKey ?? variable.rawValue)
        }
        return result
    }

    mutating func fail(_ variable: ConfigVariable, _ path: String, _ message: String) {
        problems.append(ConfigurationProblem(name: name(variable), value: path, expected: inNaming(message)))
    }

    mutating func warn(_ variable: ConfigVariable, _ message: String) {
        warnings.append(ConfigurationWarning(variable: name(variable), message: inNaming(message)))
    }

    mutating func run() {
        guard let files = tunnel.certificates else { return }
        let certificatePath = files.certificate.path

        // The certificates, each parsed; a file that does not parse stops only the checks that need it.
        var chain: [Certificate] = []
        for block in files.certificateChain {
            do { chain.append(try Certificate(pemEncoded: block)) } catch {
                fail(.localCert, certificatePath, "is not a certificate swift-certificates can read (\(error))")
                return
            }
        }
        guard let leaf = chain.first else { return }
        subject = CharonIdentity.identity(leaf.subject)
        var authorities: [(certificate: Certificate, path: String)] = []
        for file in files.authorities {
            for block in file.blocks(labeled: PEMFile.certificateLabel) {
                do { authorities.append((try Certificate(pemEncoded: block), file.path)) } catch {
                    fail(.caCert, file.path, "holds a certificate swift-certificates cannot read (\(error))")
                }
            }
        }

        checkKey(files.privateKey, matches: leaf)
        checkDates(leaf, variable: .localCert, path: certificatePath, what: "the certificate")
        checkChain(leaf, intermediates: Array(chain.dropFirst()), authorities: authorities, path: certificatePath)
        if let localID = tunnel.localID, !CharonIdentity.certificate(leaf, holds: localID) {
            fail(.localID, localID.description,
                 "is not in IPSEC_LOCALCERT \(certificatePath) (it has \(CharonIdentity.names(of: leaf))); charon authenticates only with an identity its certificate holds: use one of those, or unset IPSEC_LOCALID to use the subject")
        }
        if let crl = files.revocationList {
            checkRevocationList(crl, leaf: leaf, authorities: authorities.map(\.certificate))
        }
    }

    mutating func checkKey(_ key: PrivateKeyFile, matches leaf: Certificate) {
        guard let block = key.block else { return }
        let privateKey: Certificate.PrivateKey
        do {
            privateKey = try Certificate.PrivateKey(pemEncoded: block.text)
        } catch {
            // The error names the encoding problem, never the key's bytes.
            fail(.localKey, key.path, "is not an RSA, ECDSA (P-256, P-384, P-521) or Ed25519 key swift-certificates can read (\(error))")
            return
        }
        if privateKey.publicKey != leaf.publicKey {
            fail(.localKey, key.path, "is not the key of IPSEC_LOCALCERT \(tunnel.certificates?.certificate.path ?? "") (subject '\(CharonIdentity.display(leaf.subject))'): its public key differs from the certificate's; mount the key the certificate was issued for")
        }
    }

    /// Valid now (refused otherwise, with the dates), and a warning when the end is near.
    mutating func checkDates(_ certificate: Certificate, variable: ConfigVariable, path: String, what: String) {
        let from = Self.format(certificate.notValidBefore), until = Self.format(certificate.notValidAfter)
        let named = "\(what) '\(CharonIdentity.display(certificate.subject))'"
        if now < certificate.notValidBefore {
            fail(variable, path, "\(named) is not valid yet: valid from \(from) until \(until) (now \(Self.format(now))); check the clock or wait")
        } else if now > certificate.notValidAfter {
            fail(variable, path, "\(named) has expired: valid from \(from) until \(until) (now \(Self.format(now))); renew it")
        } else if certificate.notValidAfter.timeIntervalSince(now) < CertificateCheck.expiryWarning {
            let days = Int(certificate.notValidAfter.timeIntervalSince(now) / 86_400)
            warn(variable, "\(path): \(named) expires on \(until), in \(days) day\(days == 1 ? "" : "s"); renew it (a renewed file is taken without a restart)")
        }
    }

    /// The leaf up to one of the CAs, through the file's intermediates: each link's issuer name is the
    /// next certificate's subject and its signature verifies with that certificate's public key.
    mutating func checkChain(_ leaf: Certificate, intermediates: [Certificate], authorities: [(certificate: Certificate, path: String)], path: String) {
        guard !authorities.isEmpty else { return }
        var current = leaf
        var used: [Certificate] = []
        for _ in 0...intermediates.count {
            if let authority = authorities.first(where: { $0.certificate.subject == current.issuer && $0.certificate.publicKey.isValidSignature(current.signature, for: current) }) {
                checkDates(authority.certificate, variable: .caCert, path: authority.path, what: "the CA certificate")
                if let constraints = try? authority.certificate.extensions.basicConstraints, constraints == .notCertificateAuthority {
                    fail(.caCert, authority.path, "'\(CharonIdentity.display(authority.certificate.subject))' is not a CA certificate (basicConstraints CA:FALSE); charon would not accept it as an issuer")
                }
                for intermediate in used { checkDates(intermediate, variable: .localCert, path: path, what: "the intermediate CA certificate") }
                return
            }
            guard let next = intermediates.first(where: { $0.subject == current.issuer && !used.contains($0) && $0.publicKey.isValidSignature(current.signature, for: current) }) else { break }
            used.append(next)
            current = next
        }
        let names = authorities.map { "'\(CharonIdentity.display($0.certificate.subject))'" }
        let sameName = authorities.contains { $0.certificate.subject == current.issuer }
        fail(.localCert, path, "does not chain to IPSEC_CACERT: '\(CharonIdentity.display(current.subject))' is issued by '\(CharonIdentity.display(current.issuer))'"
             + (sameName ? ", but its signature does not verify with that CA's key (a CA of the same name with another key)" : ", which is none of the CAs given (\(names.joined(separator: ", ")))")
             + "; peers that trust these CAs would refuse it")
    }

    mutating func checkRevocationList(_ file: PEMFile, leaf: Certificate, authorities: [Certificate]) {
        guard let block = file.blocks(labeled: PEMFile.crlLabel).first else { return }
        let list: RevocationList
        do {
            list = try RevocationList(pemEncoded: block)
        } catch {
            fail(.crl, file.path, "is not a certificate revocation list that can be read (\(error))")
            return
        }
        let issuers = authorities.filter { $0.subject == list.issuer }
        if !authorities.isEmpty, issuers.isEmpty {
            fail(.crl, file.path, "is issued by '\(CharonIdentity.display(list.issuer))', none of IPSEC_CACERT's CAs; charon would never use it")
        } else if !issuers.isEmpty {
            // charon looks a loaded CRL up by its issuer's subjectKeyIdentifier, matched against the CRL's
            // authorityKeyIdentifier (strongSwan's revocation plugin): without the pair it never consults
            // the list, and a revoked peer would be accepted without a word. Found in the lab.
            let keyIDs = issuers.compactMap { (try? $0.extensions.subjectKeyIdentifier).flatMap { $0 }.map { Array($0.keyIdentifier) } }
            if keyIDs.isEmpty {
                fail(.crl, file.path, "cannot be used by charon: its CA '\(CharonIdentity.display(list.issuer))' has no subjectKeyIdentifier, by which charon finds CRLs; reissue the CA with one")
            } else if let aki = list.authorityKeyIdentifier {
                if !keyIDs.contains(aki) {
                    fail(.crl, file.path, "has an authorityKeyIdentifier that is not its CA's subjectKeyIdentifier; charon would never use it")
                }
            } else {
                fail(.crl, file.path, "has no authorityKeyIdentifier, by which charon finds a CRL: it would never be consulted and revoked peers would be accepted; issue it with one (openssl ca: crl_extensions with authorityKeyIdentifier=keyid:always)")
            }
        }
        if list.revokes(leaf) {
            fail(.crl, file.path, "revokes IPSEC_LOCALCERT \(tunnel.certificates?.certificate.path ?? "") (serial \(leaf.serialNumber)); peers that read the list would refuse it")
        }
        if let next = list.nextUpdate, next < now {
            warn(.crl, "\(file.path): the list was due to be replaced on \(Self.format(next)); charon may consider it stale")
        }
    }

    static func format(_ date: Date) -> String { date.formatted(.iso8601) }
}
