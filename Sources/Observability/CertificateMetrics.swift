import CertificateChecks
import Foundation
import Synchronization
import VICI

/// The certificates charon holds (`list-certs`), as torilabs/ipsec-prometheus-exporter names them:
/// `strongswan_cert_count`, and per certificate `strongswan_cert_valid` (1 or 0) and
/// `strongswan_cert_expire_secs`, labelled `serial_number`, `subject`, `not_before`, `not_after` (RFC 3339).
/// A dashboard alert on `strongswan_cert_expire_secs < 30*86400` works unchanged.
enum CertificateMetrics {
    /// charon's certificates as last listed, asked again only when the gateway has handed charon another
    /// configuration (the only time they change): a scrape does not ask charon for what it already knows.
    /// The validity and seconds to expiry are computed at each scrape.
    final class Cache: Sendable {
        private let listed = Mutex<(generation: Int, certificates: [CertificateSummary])?>(nil)

        /// The families; empty text when charon does not answer (the SA series already say so). With
        /// `generation` 0 (unknown) charon is asked every time.
        func text(from charon: CharonConnection, generation: Int, now: Date = Date()) -> String {
            let known = listed.withLock { listed in listed.flatMap { $0.generation == generation && generation != 0 ? $0.certificates : nil } }
            guard let summaries = known ?? (try? charon.withSession({ session throws(VICIError) in try session.client.certificates() }))
                .map(CertificateMetrics.summaries) else { return "" }
            if known == nil { listed.withLock { $0 = (generation, summaries) } }
            var text = PrometheusText(reservingCapacity: 256 + 512 * summaries.count)
            write(summaries, now: now, into: &text)
            return String(decoding: text.bytes, as: UTF8.self)
        }
    }

    /// What the series say of each certificate charon holds (one that does not parse is left out).
    static func summaries(_ certificates: [VICIClient.LoadedCertificate]) -> [CertificateSummary] {
        certificates.compactMap { try? CertificateSummary(derEncoded: $0.der) }
    }

    static func write(_ certificates: [VICIClient.LoadedCertificate], now: Date, into text: inout PrometheusText) {
        write(summaries(certificates), now: now, into: &text)
    }

    static func write(_ summaries: [CertificateSummary], now: Date, into text: inout PrometheusText) {
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
