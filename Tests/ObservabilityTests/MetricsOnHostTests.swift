import Foundation
import Testing
import TestSupport

/// Two gateways on the host (IKE_SA up; this kernel has no ESP) with metrics on: the endpoints over HTTP,
/// a real Prometheus server scraping one of them and answering a query with its series, and the JSON log
/// lines parsed one by one.
@Suite(.enabled(if: Privileges.canUseNamespaces && Privileges.hasCharon && FileManager.default.fileExists(atPath: GatewaySite.binary)
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus"),
                "needs root, strongSwan, Prometheus (scripts/setup.sh) and a built vnf-ipsec"),
       .serialized)
struct MetricsOnHostTests {
    static func environment(local: String, remote: String, localNet: String, remoteNet: String, wan: String) -> [String: String] {
        ["IPSEC_LOCALIP": local, "IPSEC_REMOTEIP": remote, "IPSEC_LOCALNET": localNet, "IPSEC_REMOTENET": remoteNet,
         "IPSEC_PSK": "metrics-test-psk-0123456789abcdef", "IPSEC_INTERFACES": wan]
    }

    /// `curl` inside the site's namespaces: status code and body.
    static func get(_ site: GatewaySite, _ path: String, port: Int = 9500) throws -> (code: Int, body: String) {
        let result = try Shell.run(["nsenter", "-t", String(site.pid), "-n", "curl", "-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
        var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let code = Int(lines.popLast() ?? "") ?? 0
        return (code, lines.joined(separator: "\n"))
    }

    @Test func endpointsAnswerAPrometheusServerScrapesAndLogsAreJSON() throws {
        let a = try NetworkNamespace("mta"), b = try NetworkNamespace("mtb")
        defer { a.delete(); b.delete() }
        try NetworkNamespace.link(a, "wanA", "192.0.2.1/24", b, "wanB", "192.0.2.2/24")
        let siteB = try GatewaySite(in: b, environment: Self.environment(local: "192.0.2.2", remote: "192.0.2.1", localNet: "203.0.113.0/24",
                                                                         remoteNet: "198.51.100.0/24", wan: "wanB"))
        var environmentA = Self.environment(local: "192.0.2.1", remote: "192.0.2.2", localNet: "198.51.100.0/24",
                                            remoteNet: "203.0.113.0/24", wan: "wanA")
        environmentA["IPSEC_METRICS_LISTEN"] = "127.0.0.1:9500"
        environmentA["LOG_FORMAT"] = "json"
        // The host has no ESP: the probe's packets are held by the trap policy and never answered.
        environmentA["IPSEC_PROBE"] = "203.0.113.7:22"
        environmentA["IPSEC_PROBE_INTERVAL"] = "1s"
        let siteA = try GatewaySite(in: a, environment: environmentA)
        defer { _ = siteA.terminate(); _ = siteB.terminate() }

        // Established is 1 on the exporter's scale (found flaky when any "} 1.0" line counted).
        #expect(try GatewaySite.wait(seconds: 20) {
            (try? Self.get(siteA, "/metrics"))?.body.split(separator: "\n").contains { $0.hasPrefix(#"strongswan_ike_status{ike_name="vnf-ipsec""#) && $0.hasSuffix("} 1.0") } == true
        }, "\(siteA.log.suffix(2000))")
        #expect(try Self.get(siteA, "/healthz").code == 200)
        let ready = try Self.get(siteA, "/readyz")
        #expect(ready.code == 503 && ready.body.contains("vnf-ipsec: ike-only"), "no ESP here, so no CHILD_SA: \(ready)")
        #expect(try Self.get(siteA, "/nothing").code == 404)
        // The probe's losses reach the metrics and `status`.
        // At least two losses counted (found flaky when it looked for the text "} 2": the count runs on).
        func lost() -> Int? {
            let prefix = #"vnf_ipsec_probe_lost_total{tunnel="vnf-ipsec",target="203.0.113.7:22"} "#
            return (try? Self.get(siteA, "/metrics"))?.body.split(separator: "\n")
                .first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
        }
        #expect(GatewaySite.wait(seconds: 10) { (lost() ?? 0) >= 2 },
                "\((try? Self.get(siteA, "/metrics"))?.body.split(separator: "\n").filter { $0.contains("probe") } ?? [])")
        let status = try siteA.vnfIPsec(["status"]).stdout
        #expect(status.contains("probe vnf-ipsec 203.0.113.7:22: not answered"), "\(status)")

        // A real Prometheus in the same namespace, scraping every second, answering a query.
        let folder = NSTemporaryDirectory() + "prometheus-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            global: {scrape_interval: 1s, scrape_timeout: 1s}
            scrape_configs:
              - job_name: vnf-ipsec
                static_configs: [{targets: ["127.0.0.1:9500"]}]
            """.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = Process()
        prometheus.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
        prometheus.arguments = ["-t", String(siteA.pid), "-n", "/usr/bin/prometheus", "--config.file=\(folder)/prometheus.yml",
                                "--storage.tsdb.path=\(folder)/data", "--web.listen-address=127.0.0.1:9090"]
        prometheus.standardOutput = FileHandle.nullDevice
        prometheus.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try prometheus.run()
        defer { prometheus.terminate(); prometheus.waitUntilExit() }
        let query = "http://127.0.0.1:9090/api/v1/query?query=strongswan_ike_status"
        var answer = ""
        let scraped = GatewaySite.wait(seconds: 30) {
            answer = (try? Shell.run(["nsenter", "-t", String(siteA.pid), "-n", "curl", "-s", query]).stdout) ?? ""
            return answer.contains(#""ike_name":"vnf-ipsec""#)
        }
        #expect(scraped, "Prometheus never had the gateway's series: \(answer)")
        let object = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any]
        let results = ((object?["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        #expect((results.first?["value"] as? [Any])?.last as? String == "1", "ESTABLISHED is 1 in the exporter's scale: \(answer)")
        let targets = try Shell.run(["nsenter", "-t", String(siteA.pid), "-n", "curl", "-s", "http://127.0.0.1:9090/api/v1/targets"]).stdout
        #expect(targets.contains(#""health":"up""#), "\(targets)")

        // Every line on stdout is one JSON object: ours and charon's, each saying where it came from.
        let (exit, _) = siteA.terminate()
        #expect(exit == 0)
        let lines = siteA.log.split(separator: "\n").map(String.init)
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "not JSON: \(lines.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil }.prefix(3))")
        #expect(objects.contains { $0["source"] as? String == "charon" && $0["tunnel"] as? String == "vnf-ipsec" })
        #expect(objects.contains { $0["source"] as? String == "vnf-ipsec" && ($0["message"] as? String)?.contains("serving /metrics") == true })
        #expect(!siteA.log.contains("metrics-test-psk"), "a key reached the log")
    }
}
