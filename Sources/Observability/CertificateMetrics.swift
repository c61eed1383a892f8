import CertificateChecks
import Foundation
import VICI

/// The certificates charon holds (`list-certs`), as torilabs/ipsec-prometheus-exporter names them:
/// `strongswan_cert_count`, and per certificate `strongswan_cert_valid` (1 or 0) and
/// `strongswan_cert_expire_secs`, labelled `serial_number`, `subject`, `not_before`, `not_after` (RFC 3339).
/// A dashboard alert on `strongswan_cert_expire_secs < 30*86400` works unchanged.
enum CertificateMetrics {
    /// The families from one `list-certs` on the endpoints' kept connection; empty text when charon does
    /// not answer (the SA series already say so).
    static func text(from charon: CharonConnection, now: Date = Date()) -> String {
        guard let certificates = try? charon.withSession({ session throws(VICIError) in try session.client.certificates() }) else { return "" }
        var text = PrometheusText(reservingCapacity: 256 + 512 * certificates.count)
        write(certificates, now: now, into: &text)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    static func write(_ certificates: [VICIClient.LoadedCertificate], now: Date, into text: inout PrometheusText) {
        let summaries = certificates.compactMap { try? CertificateSummary(derEncoded: $0.der) }
        text.family("strongswan_cert_count", .gauge, help: "Number of X509 certificates")
        text.sample("strongswan_cert_count", Double(summaries.count))
        let labels = summaries.map { summary in
            PrometheusText.Labels(["serial_number": summary.serialNumber, "subject": summary.subject,
                                   "not_before": summary.notBefore.formatted(.iso8601), "not_after": summary.notAfter.formatted(.iso8601)])
        }
        text.family("strongswan_cert_valid", .gauge, help: "X509 certificate validity")
        for (summary, labels) in zip(summaries, labels) { text.sample("strongswan_cert_valid", labels, summary.isValid(at: now) ? 1 : 0) }
        text.family("strongswan_cert_expire_secs", .gauge, help: "Seconds until the X509 certificate expires")
        for (summary, labels) in zip(summaries, labels) { text.sample("strongswan_cert_expire_secs", labels, Double(summary.secondsToExpiry(at: now))) }
    }
}
