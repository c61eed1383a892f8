import CertificateChecks
import Foundation
import VICI

/// One certificate charon holds, in `status`: whose it is and how long it is valid.
struct CertificateReport: Sendable, Codable {
    var subject: String
    var serialNumber: String
    /// `NONE` (a gateway's own or a peer's), `CA`, …: charon's flag.
    var flag: String
    /// charon has its private key: the gateway's own certificate.
    var hasPrivateKey: Bool
    var notAfter: String
    var secondsToExpiry: Int

    /// The certificates charon holds that can be read, its own first, then CAs, then peers'.
    static func all(_ loaded: [VICIClient.LoadedCertificate], now: Date = Date()) -> [CertificateReport] {
        loaded.compactMap { certificate in
            guard let summary = try? CertificateSummary(derEncoded: certificate.der) else { return nil }
            return CertificateReport(subject: summary.subject, serialNumber: summary.serialNumber, flag: certificate.flag,
                                     hasPrivateKey: certificate.hasPrivateKey, notAfter: summary.notAfter.formatted(.iso8601),
                                     secondsToExpiry: summary.secondsToExpiry(at: now))
        }.sorted { ($0.hasPrivateKey ? 0 : $0.flag == "CA" ? 1 : 2, $0.subject) < ($1.hasPrivateKey ? 0 : $1.flag == "CA" ? 1 : 2, $1.subject) }
    }

    var text: String {
        let role = hasPrivateKey ? "own" : flag == "CA" ? "CA" : "peer"
        let when = secondsToExpiry < 0 ? "EXPIRED \(-secondsToExpiry)s ago" : "expires in \(secondsToExpiry)s"
        return "  \(role) \(subject): \(when) (\(notAfter))\n"
    }
}
