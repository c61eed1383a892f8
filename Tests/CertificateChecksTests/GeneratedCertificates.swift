import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates, keys and CRLs generated in the test process with swift-certificates and swift-crypto
/// (ECDSA P-256), written to a temporary folder with the modes a deployment would have.
final class GeneratedCertificates {
    let folder: String
    let now = Date()

    init() throws {
        folder = NSTemporaryDirectory() + "cert-checks-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    struct Authority {
        var key: P256.Signing.PrivateKey
        var certificate: Certificate
        var name: DistinguishedName
    }

    func authority(_ commonName: String, notBefore: Date? = nil, notAfter: Date? = nil) throws -> Authority {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { OrganizationName("vnf-ipsec test"); CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore ?? now.addingTimeInterval(-86_400), notValidAfter: notAfter ?? now.addingTimeInterval(365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        return Authority(key: key, certificate: certificate, name: name)
    }

    func leaf(_ commonName: String, by authority: Authority, alternativeNames: [GeneralName] = [], notBefore: Date? = nil, notAfter: Date? = nil,
              key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        let subject = try DistinguishedName { OrganizationName("vnf-ipsec test"); CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore ?? now.addingTimeInterval(-3600), notValidAfter: notAfter ?? now.addingTimeInterval(90 * 86_400),
            issuer: authority.name, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
            },
            issuerPrivateKey: .init(authority.key))
        return (certificate, key)
    }

    /// Writes `text` to `<folder>/<name>` with `mode`; returns the path.
    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o644) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func pem(_ certificate: Certificate) throws -> String { try certificate.serializeAsPEM().pemString + "\n" }

    /// A CRL (RFC 5280, 5.1) by `authority` revoking `serials`, signed with its key.
    /// With `authorityKeyIdentifier` (the CA's subjectKeyIdentifier) unless told otherwise, as charon needs.
    func revocationList(by authority: Authority, revoking serials: [Certificate.SerialNumber], authorityKeyIdentifier: Bool = true) throws -> String {
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(ASN1ObjectIdentifier("1.2.840.10045.4.3.2")) }
            try coder.serialize(authority.name)
            try coder.serialize(try Self.utcTime(now.addingTimeInterval(-60)))
            try coder.serialize(try Self.utcTime(now.addingTimeInterval(7 * 86_400)))
            if !serials.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { list in
                    for serial in serials {
                        try list.appendConstructedNode(identifier: .sequence) { entry in
                            try entry.serialize(ArraySlice(serial.bytes))
                            try entry.serialize(try Self.utcTime(now.addingTimeInterval(-60)))
                        }
                    }
                }
            }
            if authorityKeyIdentifier, let ski = try authority.certificate.extensions.subjectKeyIdentifier {
                // crlExtensions [0] EXPLICIT { Extension { authorityKeyIdentifier, OCTET STRING { SEQUENCE { [0] keyIdentifier } } } }
                var aki = DER.Serializer()
                try aki.appendConstructedNode(identifier: .sequence) { try $0.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { $0.append(contentsOf: ski.keyIdentifier) } }
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { explicit in
                    try explicit.appendConstructedNode(identifier: .sequence) { list in
                        try list.appendConstructedNode(identifier: .sequence) { ext in
                            try ext.serialize(ASN1ObjectIdentifier("2.5.29.35"))
                            try ext.serialize(ASN1OctetString(contentBytes: ArraySlice(aki.serializedBytes)))
                        }
                    }
                }
            }
        }
        let signature = try authority.key.signature(for: tbs.serializedBytes).derRepresentation
        var list = DER.Serializer()
        try list.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serializeRawBytes(tbs.serializedBytes)
            try coder.appendConstructedNode(identifier: .sequence) { try $0.serialize(ASN1ObjectIdentifier("1.2.840.10045.4.3.2")) }
            try coder.serialize(ASN1BitString(bytes: ArraySlice(signature)))
        }
        return PEMDocument(type: "X509 CRL", derBytes: list.serializedBytes).pemString + "\n"
    }

    static func utcTime(_ date: Date) throws -> UTCTime {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return try UTCTime(year: c.year!, month: c.month!, day: c.day!, hours: c.hour!, minutes: c.minute!, seconds: c.second!)
    }
}
