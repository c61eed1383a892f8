import Foundation
import SwiftASN1
import X509

/// A certificate revocation list (RFC 5280, 5.1) as far as the checks need it: who issued it, when it
/// was issued and is due again, and which serial numbers it revokes. swift-certificates has no CRL type;
/// the structure is read with swift-asn1's DER parser. Its signature is charon's to verify.
struct RevocationList {
    var issuer: DistinguishedName
    var thisUpdate: Date
    var nextUpdate: Date?
    /// The revoked certificates' serial numbers, as their INTEGER's bytes without leading zeros.
    var revokedSerials: Set<[UInt8]>
    /// The authorityKeyIdentifier extension's keyIdentifier: charon finds a loaded CRL only by it.
    var authorityKeyIdentifier: [UInt8]?

    static let authorityKeyIdentifierOID: ASN1ObjectIdentifier = [2, 5, 29, 35]

    /// - Throws: when the text is not one PEM `X509 CRL` block or its DER is not a CertificateList.
    init(pemEncoded text: String) throws {
        let document = try PEMDocument(pemString: text)
        guard document.discriminator == "X509 CRL" else {
            throw ASN1Error.invalidPEMDocument(reason: "expected X509 CRL, found \(document.discriminator)")
        }
        let root = try DER.parse(document.derBytes)
        // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }
        let tbs: ASN1Node = try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbs = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "empty CertificateList") }
            while nodes.next() != nil {}
            return tbs
        }
        // TBSCertList ::= SEQUENCE { version OPTIONAL, signature, issuer, thisUpdate, nextUpdate OPTIONAL,
        //                            revokedCertificates OPTIONAL, crlExtensions [0] OPTIONAL }
        let fields: [ASN1Node] = try DER.sequence(tbs, identifier: .sequence) { nodes in
            var all: [ASN1Node] = []
            while let node = nodes.next() { all.append(node) }
            return all
        }
        var index = fields.first?.identifier == .integer ? 1 : 0
        guard fields.count >= index + 3 else { throw ASN1Error.invalidASN1Object(reason: "TBSCertList is too short") }
        index += 1  // the signature algorithm
        issuer = try DistinguishedName(derEncoded: fields[index])
        index += 1
        thisUpdate = try Self.date(fields[index])
        index += 1
        nextUpdate = nil
        if index < fields.count, [ASN1Identifier.utcTime, .generalizedTime].contains(fields[index].identifier) {
            nextUpdate = try Self.date(fields[index])
            index += 1
        }
        var serials = Set<[UInt8]>()
        if index < fields.count, fields[index].identifier == .sequence {
            let entries: [ASN1Node] = try DER.sequence(fields[index], identifier: .sequence) { nodes in
                var all: [ASN1Node] = []
                while let node = nodes.next() { all.append(node) }
                return all
            }
            for entry in entries {
                // revokedCertificate ::= SEQUENCE { userCertificate INTEGER, revocationDate Time, extensions OPTIONAL }
                try DER.sequence(entry, identifier: .sequence) { nodes in
                    guard let serial = nodes.next(), serial.identifier == .integer, case .primitive(let bytes) = serial.content else {
                        throw ASN1Error.invalidASN1Object(reason: "a revoked entry without a serial number")
                    }
                    serials.insert(Self.withoutLeadingZeros(bytes))
                    while nodes.next() != nil {}
                }
            }
        }
        revokedSerials = serials
        if index < fields.count, fields[index].identifier == .sequence { index += 1 }
        authorityKeyIdentifier = nil
        // crlExtensions [0] EXPLICIT Extensions: SEQUENCE OF SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }
        if index < fields.count, fields[index].identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
            let extensions: ASN1Node = try DER.explicitlyTagged(fields[index], tagNumber: 0, tagClass: .contextSpecific) { $0 }
            let list: [ASN1Node] = try DER.sequence(extensions, identifier: .sequence) { nodes in
                var all: [ASN1Node] = []
                while let node = nodes.next() { all.append(node) }
                return all
            }
            for node in list {
                let found: [UInt8]? = try DER.sequence(node, identifier: .sequence) { nodes in
                    guard let oid = nodes.next(), try ASN1ObjectIdentifier(derEncoded: oid) == Self.authorityKeyIdentifierOID else {
                        while nodes.next() != nil {}
                        return nil
                    }
                    var value = nodes.next()
                    if value?.identifier == .boolean { value = nodes.next() }
                    guard let value else { return nil }
                    let octets = try ASN1OctetString(derEncoded: value)
                    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, … }
                    return try DER.sequence(try DER.parse(octets.bytes), identifier: .sequence) { inner in
                        var keyID: [UInt8]?
                        while let part = inner.next() {
                            if part.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific), case .primitive(let bytes) = part.content {
                                keyID = Array(bytes)
                            }
                        }
                        return keyID
                    }
                }
                if let found { authorityKeyIdentifier = found }
            }
        }
    }

    func revokes(_ certificate: Certificate) -> Bool {
        revokedSerials.contains(Self.withoutLeadingZeros(certificate.serialNumber.bytes))
    }

    static func withoutLeadingZeros(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        let trimmed = bytes.drop { $0 == 0 }
        return trimmed.isEmpty ? [0] : Array(trimmed)
    }

    static func date(_ node: ASN1Node) throws -> Date {
        let parts: (Int, Int, Int, Int, Int, Int)
        if node.identifier == .utcTime {
            let time = try UTCTime(derEncoded: node)
            parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
        } else {
            let time = try GeneralizedTime(derEncoded: node)
            parts = (time.year, time.month, time.day, time.hours, time.minutes, time.seconds)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: parts.0, month: parts.1, day: parts.2, hour: parts.3, minute: parts.4, second: parts.5)) else {
            throw ASN1Error.invalidASN1Object(reason: "not a date")
        }
        return date
    }
}
