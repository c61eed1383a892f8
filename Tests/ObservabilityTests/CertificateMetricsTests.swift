import Foundation
import Testing
import TestSupport
import VICI
@testable import Observability

/// The certificate series as torilabs' exporter writes them, from a certificate made by openssl now.
@Suite struct CertificateMetricsTests {
    @Test func expirySecondsValidityAndLabelsFollowTheCertificate() throws {
        let made = try Shell.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                  "-keyout", "/dev/null", "-subj", "/O=Example/CN=metrics-test", "-days", "30", "-set_serial", "4660"])
        let pem = made.stdout
        let der = try #require(Data(base64Encoded: pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()), "\(made.output)")
        let dates = try Shell.run(["openssl", "x509", "-noout", "-enddate", "-dateopt", "iso_8601"], input: pem).stdout
        let notAfter = try #require(ISO8601DateFormatter().date(from: dates.replacingOccurrences(of: "notAfter=", with: "")
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: " ", with: "T")), "\(dates)")
        let now = notAfter.addingTimeInterval(-1000)
        let certificate = VICIClient.LoadedCertificate(flag: "NONE", der: Array(der), hasPrivateKey: true)

        func scrape(at now: Date) -> [String] {
            var text = PrometheusText()
            CertificateMetrics.write([certificate], now: now, into: &text)
            return String(decoding: text.bytes, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        }
        let lines = scrape(at: now)
        let labels = #"{serial_number="12:34",subject="O=Example, CN=metrics-test",not_before=""#
        #expect(lines.contains("strongswan_cert_count 1.0"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("strongswan_cert_expire_secs" + labels) && $0.hasSuffix("} 1000.0") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("strongswan_cert_valid" + labels) && $0.hasSuffix("} 1.0") }, "\(lines)")
        // Once expired: invalid, and the seconds go negative (an alert on < 30 days keeps firing).
        let later = scrape(at: notAfter.addingTimeInterval(60))
        #expect(later.contains { $0.hasPrefix("strongswan_cert_expire_secs") && $0.hasSuffix("} -60.0") }, "\(later)")
        #expect(later.contains { $0.hasPrefix("strongswan_cert_valid") && $0.hasSuffix("} 0.0") }, "\(later)")
    }
}
