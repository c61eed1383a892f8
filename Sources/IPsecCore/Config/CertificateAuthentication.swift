/// X.509 authentication of a tunnel (`auth: pubkey`): the files it names, as read when the configuration
/// was loaded. Their contents are part of the value, so a rotated file is a changed tunnel (see
/// ``ConfigurationChange``); nothing here is ever written to disk again.
///
/// The files are read and split into PEM blocks here; what they mean (parsing, chains, dates, the key
/// matching the certificate) is checked by the CertificateChecks module, which also fills ``subject``.
public struct CertificateAuthentication: Sendable, Hashable, Encodable {
    /// IPSEC_LOCALCERT: the gateway's certificate first, then any intermediate CA certificates (as
    /// cert-manager writes `tls.crt`).
    public var certificate: PEMFile
    /// IPSEC_LOCALKEY: the certificate's private key. Never printed, encoded or written.
    public var privateKey: PrivateKeyFile
    /// IPSEC_CACERT: the files of the CAs the peer's certificate must chain to (a folder's files included).
    public var authorities: [PEMFile]
    /// IPSEC_CRL: a certificate revocation list, if given.
    public var revocationList: PEMFile?
    /// The certificate's subject as charon's identity, filled in by the certificate checks: the local
    /// identity when IPSEC_LOCALID is not set.
    public var subject: Identity?

    public init(certificate: PEMFile, privateKey: PrivateKeyFile, authorities: [PEMFile], revocationList: PEMFile? = nil, subject: Identity? = nil) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.authorities = authorities
        self.revocationList = revocationList
        self.subject = subject
    }

    /// The gateway's own certificate, then the intermediates of its file (PEM blocks, in file order).
    public var certificateChain: [String] { certificate.blocks(labeled: PEMFile.certificateLabel) }

    /// Every CA certificate of every CA file (PEM blocks).
    public var authorityCertificates: [String] { authorities.flatMap { $0.blocks(labeled: PEMFile.certificateLabel) } }

    /// The revocation list's PEM block, if any.
    public var revocationListBlock: String? { revocationList?.blocks(labeled: PEMFile.crlLabel).first }

    /// Every file read, for watching and for rotation: a change in any of them is a reload.
    public var paths: [String] {
        [certificate.path, privateKey.path] + authorities.map(\.path) + (revocationList.map { [$0.path] } ?? [])
    }

    enum CodingKeys: String, CodingKey { case certificate, privateKey, authorities, revocationList, subject }

    /// The paths and the subject only: a certificate's text is long and the key's is secret.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(certificate.path, forKey: .certificate)
        try container.encode(privateKey.path, forKey: .privateKey)
        try container.encode(authorities.map(\.path), forKey: .authorities)
        try container.encodeIfPresent(revocationList?.path, forKey: .revocationList)
        try container.encodeIfPresent(subject?.description, forKey: .subject)
    }
}

/// A PEM file's path and text, as read.
public struct PEMFile: Sendable, Hashable {
    public var path: String
    public var contents: String

    public init(path: String, contents: String) {
        self.path = path
        self.contents = contents
    }

    public static let certificateLabel: Set<String> = ["CERTIFICATE"]
    public static let crlLabel: Set<String> = ["X509 CRL"]
    /// The unencrypted private key encodings charon and swift-certificates both read: PKCS#8 (RSA, ECDSA,
    /// Ed25519), PKCS#1 (RSA) and SEC 1 (ECDSA).
    public static let privateKeyLabels: Set<String> = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"]

    /// Each block whose label is one of `labels`, whole (its BEGIN and END lines included, lines joined
    /// by `\n`), in file order. Text around and between blocks (comments, as openssl writes them) is skipped.
    public func blocks(labeled labels: Set<String>) -> [String] {
        PEMFile.blocks(in: contents).filter { labels.contains($0.label) }.map(\.text)
    }

    /// The labels of every block in the file, in order.
    public var labels: [String] { PEMFile.blocks(in: contents).map(\.label) }

    static func blocks(in text: String) -> [(label: String, text: String)] {
        var found: [(String, String)] = []
        var current: (label: String, lines: [Substring])?
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if current == nil, trimmed.hasPrefix("-----BEGIN "), trimmed.hasSuffix("-----") {
                current = (String(trimmed.dropFirst(11).dropLast(5)), [trimmed])
            } else if let open = current {
                current!.lines.append(trimmed)
                if trimmed == "-----END \(open.label)-----" {
                    found.append((open.label, current!.lines.joined(separator: "\n") + "\n"))
                    current = nil
                }
            }
        }
        return found
    }
}

/// The private key's file: its path (shown) and its text (never shown). The description, debug
/// description and encoding are redacted like ``PreSharedKey``'s.
public struct PrivateKeyFile: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public var path: String
    /// The PEM text. Read only to hand the key to charon (`load-key`) and to check it.
    public let pem: String

    public init(path: String, pem: String) {
        self.path = path
        self.pem = pem
    }

    public var description: String { "<private key from \(OneLineText.escaped(path))>" }
    public var debugDescription: String { description }

    /// The key's one PEM block, and its label (which says its encoding and, for PKCS#1 and SEC 1, its type).
    public var block: (label: String, text: String)? {
        PEMFile.blocks(in: pem).first { PEMFile.privateKeyLabels.contains($0.label) }
    }
}

/// How a tunnel authenticates (IPSEC_AUTH): upstream's pre-shared key, or X.509 certificates.
public enum TunnelAuthentication: String, Sendable, Hashable, CaseIterable, Codable {
    case psk, pubkey
}

extension TunnelConfig {
    public var authentication: TunnelAuthentication { certificates == nil ? .psk : .pubkey }
}
