import IPsecCore
import SwiftASN1
import X509

/// How charon names what a certificate holds, and whether an identity is in a certificate: the same rule
/// charon applies (the subject as a distinguished name, or a subjectAltName of the identity's kind).
enum CharonIdentity {
    /// The attribute names charon's identity parser knows (strongSwan's x501rdns table), by OID.
    static let attributeNames: [ASN1ObjectIdentifier: String] = [
        [2, 5, 4, 6]: "C", [2, 5, 4, 8]: "ST", [2, 5, 4, 7]: "L", [2, 5, 4, 10]: "O", [2, 5, 4, 11]: "OU",
        [2, 5, 4, 3]: "CN", [2, 5, 4, 5]: "serialNumber", [2, 5, 4, 4]: "SN", [2, 5, 4, 9]: "STREET",
        [2, 5, 4, 12]: "T", [2, 5, 4, 41]: "N", [2, 5, 4, 42]: "G", [2, 5, 4, 43]: "I", [2, 5, 4, 46]: "dnQualifier",
        [2, 5, 4, 17]: "postalCode", [0, 9, 2342, 19_200_300, 100, 1, 25]: "DC", [0, 9, 2342, 19_200_300, 100, 1, 1]: "UID",
        [1, 2, 840, 113_549, 1, 9, 1]: "E",
    ]

    /// The distinguished name as charon reads it back to the same name: `C=CH, O=Example, CN=gw` in the
    /// certificate's order. A name charon's text syntax cannot carry exactly (an attribute it has no name
    /// for, a multi-valued RDN, a separator or quote in a value) is given as its DER bytes, `asn1dn:#…`,
    /// which charon compares byte for byte.
    static func identity(_ name: DistinguishedName) -> Identity {
        var parts: [String] = []
        for rdn in name {
            let attributes = Array(rdn)
            guard attributes.count == 1, let attribute = attributes.first, let key = attributeNames[attribute.type],
                  let value = String(attribute.value), isPlain(value) else {
                return .distinguishedName("asn1dn:#" + hex(name))
            }
            parts.append("\(key)=\(value)")
        }
        return .distinguishedName(parts.joined(separator: ", "))
    }

    /// Text charon's DN parser reads back unchanged: no separator (`,` `/` `+`), `=`, quote, backslash
    /// or control character, no space at either end, not empty.
    static func isPlain(_ value: String) -> Bool {
        !value.isEmpty && value.first != " " && value.last != " "
            && !value.unicodeScalars.contains { ",/+=\"\\#".unicodeScalars.contains($0) || $0.value < 0x20 || $0.value == 0x7F }
    }

    static func hex(_ name: DistinguishedName) -> String {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(name)) != nil else { return "" }
        return serializer.serializedBytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// `name` as `C=CH, O=Example, CN=gw` for messages (RFC 4514's escaping, the certificate's order).
    static func display(_ name: DistinguishedName) -> String {
        name.map { rdn in rdn.map { attribute in "\(attributeNames[attribute.type] ?? attribute.type.description)=\(attribute.value)" }.joined(separator: "+") }
            .joined(separator: ", ")
    }

    /// Whether `identity` is one the certificate holds, as charon decides before it signs with it: a DN
    /// equal to the subject (attribute names, order and values, values ignoring case like charon's
    /// printableString comparison), an FQDN in a dNSName, an e-mail in an rfc822Name, an address in an
    /// iPAddress subjectAltName.
    static func certificate(_ certificate: Certificate, holds identity: Identity) -> Bool {
        let names = (try? certificate.extensions.subjectAlternativeNames).flatMap { $0 }.map(Array.init) ?? []
        switch identity {
        case .any:
            return true
        case .distinguishedName(let text):
            if text.hasPrefix("asn1dn:#") { return text == "asn1dn:#" + hex(certificate.subject) }
            return normalized(text) == normalized(self.identity(certificate.subject).description)
                || names.contains { if case .directoryName(let name) = $0 { normalized(text) == normalized(self.identity(name).description) } else { false } }
        case .fqdn(let name):
            let bare = name.hasPrefix("@") ? String(name.dropFirst()) : name
            return names.contains { if case .dnsName(let dns) = $0 { dns.lowercased() == bare.lowercased() } else { false } }
        case .userFQDN(let email):
            return names.contains { if case .rfc822Name(let mail) = $0 { mail.lowercased() == email.lowercased() } else { false } }
        case .address(let address):
            return names.contains { if case .ipAddress(let octets) = $0 { Array(octets.bytes) == address.bytes } else { false } }
        }
    }

    /// A DN's text compared the way charon compares: the RDNs in order, each `NAME=value` with the name's
    /// aliases folded (E, Email, emailAddress) and case ignored.
    static func normalized(_ text: String) -> [String] {
        let aliases = ["EMAIL": "E", "EMAILADDRESS": "E", "SERIALNUMBER": "SERIALNUMBER"]
        return text.split(separator: ",").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: " ") }
            guard pieces.count == 2 else { return part.lowercased() }
            let key = pieces[0].uppercased()
            return (aliases[key] ?? key) + "=" + pieces[1].lowercased()
        }
    }

    /// Every name the certificate answers to, for messages: its subject and subjectAltNames.
    static func names(of certificate: Certificate) -> String {
        var names = ["subject '\(display(certificate.subject))'"]
        let alternatives = (try? certificate.extensions.subjectAlternativeNames).flatMap { $0 }.map(Array.init) ?? []
        let shown = alternatives.compactMap { name -> String? in
            switch name {
            case .dnsName(let dns): "DNS:\(dns)"
            case .rfc822Name(let mail): "email:\(mail)"
            case .ipAddress(let octets): IPAddress(bytes: Array(octets.bytes)).map { "IP:\($0)" }
            case .directoryName(let dn): "dirName:\(display(dn))"
            default: nil
            }
        }
        names.append(shown.isEmpty ? "no subjectAltName" : "subjectAltNames \(shown.joined(separator: ", "))")
        return names.joined(separator: ", ")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
