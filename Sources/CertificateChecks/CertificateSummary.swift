import Foundation
import SwiftASN1
import X509

/// What `status` and the metrics show of a certificate charon holds (`list-certs` gives DER): its
/// subject, serial number and validity, read with swift-certificates.
public struct CertificateSummary: Sendable, Hashable {
    /// `C=CH, O=Example, CN=gw`, the certificate's order.
    public var subject: String
    /// Hex bytes separated by colons (`0a:1b:…`), as torilabs/ipsec-prometheus-exporter labels it.
    public var serialNumber: String
    public var notBefore: Date
    public var notAfter: Date

    /// - Throws: when the bytes are not a DER certificate.
    public init(derEncoded bytes: [UInt8]) throws {
        self.init(try Certificate(derEncoded: bytes))
    }

    /// - Throws: when the text is not a PEM certificate.
    public init(pemEncoded text: String) throws {
        self.init(try Certificate(pemEncoded: text))
    }

    init(_ certificate: Certificate) {
        subject = CharonIdentity.display(certificate.subject)
        serialNumber = RevocationList.withoutLeadingZeros(certificate.serialNumber.bytes)
            .map { byte in byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16) }.joined(separator: ":")
        notBefore = certificate.notValidBefore
        notAfter = certificate.notValidAfter
    }

    /// Seconds from `now` until the certificate expires; negative once it has.
    public func secondsToExpiry(at now: Date = Date()) -> Int {
        Int(notAfter.timeIntervalSince(now).rounded(.down))
    }

    /// Valid at `now`.
    public func isValid(at now: Date = Date()) -> Bool { notBefore <= now && now <= notAfter }
}
