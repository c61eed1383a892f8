import Foundation
import GatewayRuntime
import IPsecCore
import Logging
import Testing
import TestSupport
import VICI
import Prometheus
import PropertyBased
import Synchronization
@testable import Observability

/// The metrics text, judged by Prometheus' own tool: it must parse, and the only lint finding allowed is
/// the exporter's own name `strongswan_ike_count` (kept for dashboards written for torilabs' exporter).
@Suite struct MetricsTextTests {
    /// An IKE_SA with one installed CHILD_SA, as charon's `list-sa` event holds it.
    static let sa: IKESAStatus = {
        var child = VICIMessage()
        for (key, value) in [("name", "branch-a"), ("uniqueid", "7"), ("state", "INSTALLED"), ("protocol", "ESP"), ("encap", "yes"),
                             ("encr-alg", "AES_GCM_16"), ("encr-keysize", "256"),
                             ("bytes-in", "123456"), ("packets-in", "789"), ("bytes-out", "654321"), ("packets-out", "987"),
                             ("use-in", "2"), ("use-out", "1"), ("install-time", "30"), ("rekey-time", "3000"), ("life-time", "3300")] {
            child.append(key, value)
        }
        child.append("local-ts", list: ["198.51.100.0/24"])
        child.append("remote-ts", list: ["203.0.113.0/24", "10.1.0.0/16"])
        var children = VICIMessage()
        children.append("branch-a-7", section: child)
        var ike = VICIMessage()
        for (key, value) in [("uniqueid", "3"), ("version", "2"), ("state", "ESTABLISHED"), ("initiator", "yes"), ("nat-remote", "yes"),
                             ("nat-any", "yes"), ("established", "40"), ("rekey-time", "9000")] {
            ike.append(key, value)
        }
        ike.append("child-sas", section: children)
        return IKESAStatus(name: "branch-a", ike)
    }()

    static func text(_ snapshot: GatewayMetrics.Snapshot) -> String { ObservationEndpoints.metricsText(snapshot) }

    static let snapshot = GatewayMetrics.Snapshot(configured: ["branch-a", "branch-b"], sas: [sa], charonVersion: "charon 5.9.8",
                                                  status: nil, readyMinimum: nil)

    /// `promtool check metrics`: exit 1 means it could not parse; 3 means lint findings (listed).
    static func promtool(_ text: String) throws -> (status: Int32, findings: [String]) {
        let result = try Shell.run(["promtool", "check", "metrics"], input: text)
        let findings = result.output.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        return (result.status, findings)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool (scripts/setup.sh)"))
    func promtoolParsesTheTextAndFindsOnlyTheExportersOwnName() throws {
        let (status, findings) = try Self.promtool(Self.text(Self.snapshot))
        #expect(status == 0 || status == 3, "promtool could not parse it: \(findings)")
        #expect(findings == [#"strongswan_ike_count non-histogram and non-summary metrics should not have "_count" suffix"#], "\(findings)")
    }

    @Test func theSeriesCarryTheExportersNamesLabelsAndTheKernelsCounters() {
        let text = Self.text(Self.snapshot)
        let lines = Set(text.split(separator: "\n").map(String.init))
        let traffic = #"ike_name="branch-a",ike_id="3",child_name="branch-a",child_id="7",local_ts="198.51.100.0/24",remote_ts="203.0.113.0/24;10.1.0.0/16""#
        for expected in [
            "strongswan_ike_count 1.0",
            #"strongswan_ike_status{ike_name="branch-a",ike_id="3"} 1.0"#,
            #"strongswan_ike_initiator{ike_name="branch-a",ike_id="3"} 1.0"#,
            #"strongswan_ike_nat_remote{ike_name="branch-a",ike_id="3"} 1.0"#,
            #"strongswan_ike_rekey_seconds{ike_name="branch-a",ike_id="3"} 9000.0"#,
            "strongswan_sa_status{\(traffic)} 0.0",
            "strongswan_sa_inbound_bytes{\(traffic)} 123456.0",
            "strongswan_sa_outbound_packets{\(traffic)} 987.0",
            #"strongswan_sa_encryption_key_size{ike_name="branch-a",ike_id="3",child_name="branch-a",child_id="7",algorithm="AES_GCM_16",dh_group=""} 256.0"#,
            #"strongswan_sa_lifetime_seconds{ike_name="branch-a",ike_id="3",child_name="branch-a",child_id="7"} 3300.0"#,
            #"vnf_ipsec_tunnel_up{tunnel="branch-a"} 1.0"#,
            #"vnf_ipsec_tunnel_up{tunnel="branch-b"} 0.0"#,
            #"vnf_ipsec_tunnels{state="down"} 1.0"#,
            "vnf_ipsec_ready 0.0",
            "vnf_ipsec_charon_up 1.0",
        ] {
            #expect(lines.contains(expected), "missing: \(expected)\n\(text)")
        }
        #expect(!text.contains("strongswan_ike_reauth_seconds"), "no series for a value charon did not give")
    }

    @Test func probesAreSeriesAndCanGateReadiness() throws {
        let config = GatewayConfig(tunnels: [TunnelConfig(name: "branch-a")])
        var status = ConfigurationStatus(config)
        var probe = ProbeStatistics(target: "10.1.0.1:22")
        probe.sent = 12
        probe.lost = 2
        probe.lastAnswered = false
        status.probes["branch-a"] = probe
        var snapshot = GatewayMetrics.Snapshot(configured: ["branch-a"], sas: [Self.sa], charonVersion: nil, status: status, readyMinimum: nil)
        let text = Self.text(snapshot)
        #expect(text.contains(#"vnf_ipsec_probe_sent_total{tunnel="branch-a",target="10.1.0.1:22"} 12"#), "\(text)")
        #expect(text.contains(#"vnf_ipsec_probe_lost_total{tunnel="branch-a",target="10.1.0.1:22"} 2"#))
        #expect(text.contains(#"vnf_ipsec_probe_up{tunnel="branch-a",target="10.1.0.1:22"} 0.0"#))
        #expect(snapshot.readyTunnels == ["branch-a"], "the CHILD_SA is installed; the probe is not required")
        snapshot.probeRequired = ["branch-a"]
        #expect(snapshot.readyTunnels.isEmpty, "required, and its last probe went unanswered")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            #expect(try Self.promtool(text).status != 1)
        }
    }

    @Test func aLabelValueCannotBreakTheFormat() throws {
        var hostile = Self.sa
        hostile.name = "a\"b\\c\nd"
        let text = Self.text(GatewayMetrics.Snapshot(configured: [hostile.name], sas: [hostile], charonVersion: nil, status: nil, readyMinimum: nil))
        #expect(!text.contains("a\"b"), "a raw quote in a label value: \(text)")
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
            #expect(try Self.promtool(text).status != 1, "promtool could not parse it")
        }
    }

    /// The hand-written exposition against swift-prometheus, the library it replaced in the product: for any
    /// label values (quotes, backslashes, line feeds, any script) and values, each family's block — HELP,
    /// TYPE, the sample — is byte for byte what the library writes.
    @Test func theTextIsWhatSwiftPrometheusWrites() async {
        let characters = Array("aZ09_-./:; \"\\\n{}=,é€\u{1F600}")
        let labelValue = Gen.int(in: 0 ... characters.count - 1).map { characters[$0] }.string(of: 0...10)
        let gaugeValue = Gen.int(in: -1_000_000 ... 1_000_000).map { (n: Int) -> Double in Double(n) / 64 }
        await propertyCheck(count: 300, input: labelValue, labelValue, gaugeValue, Gen.int64(in: 0 ... .max)) { first, second, gauge, count in
            let registry = PrometheusCollectorRegistry()
            func name(_ name: String, _ help: String) -> MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
            registry.makeGauge(descriptor: name("test_labelled", "A gauge \\ with labels"), labels: [("first", first), ("second", second)]).set(gauge)
            registry.makeGauge(descriptor: name("test_plain", "A gauge")).set(Double(count))
            registry.makeCounter(descriptor: name("test_total", "A counter"), labels: [("first", first)]).increment(by: count)
            var text = PrometheusText()
            text.family("test_labelled", .gauge, help: "A gauge \\ with labels")
            text.sample("test_labelled", PrometheusText.Labels(["first": first, "second": second]), gauge)
            text.family("test_plain", .gauge, help: "A gauge")
            text.sample("test_plain", Double(count))
            text.family("test_total", .counter, help: "A counter")
            text.sample("test_total", PrometheusText.Labels(["first": first]), count: count)
            text.family("test_empty", .gauge, help: "No samples: no lines")
            // The library orders families as its dictionary does: compare them as a set of blocks.
            func blocks(_ text: String) -> Set<String> {
                Set(text.split(separator: "# HELP ").map(String.init))
            }
            #expect(blocks(String(decoding: text.bytes, as: UTF8.self)) == blocks(registry.emitToString()))
        }
    }

    @Test func familiesComeOnceWithTheirSamplesTogether() {
        var sa2 = Self.sa
        sa2.uniqueID = "4"
        let text = Self.text(GatewayMetrics.Snapshot(configured: ["branch-a"], sas: [Self.sa, sa2], charonVersion: nil, status: nil, readyMinimum: nil))
        let lines = text.split(separator: "\n")
        let types = lines.filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(types.count == Set(types).count, "a family's TYPE twice")
        // Every sample follows its own family's TYPE line, with no other family in between.
        var current: Substring = ""
        for line in lines {
            if line.hasPrefix("# TYPE ") { current = line.split(separator: " ")[2] } else if !line.hasPrefix("#") {
                #expect(line.prefix { $0 != "{" && $0 != " " } == current, "\(line) outside its family \(current)")
            }
        }
        #expect(lines.filter { $0.hasPrefix("strongswan_ike_status{") }.count == 2)
    }

    @Test func withoutCharonTheEndpointsSaySoAndStillServeMetrics() {
        let config = GatewayConfig(tunnels: [TunnelConfig(name: "branch-a")])
        let endpoints = ObservationEndpoints(viciSocket: "/nonexistent/charon.vici") { ObservationEndpoints.Observed(config: config) }
        #expect(endpoints.respond(method: "GET", path: "/healthz").status == 503)
        let ready = endpoints.respond(method: "GET", path: "/readyz")
        #expect(ready.status == 503 && ready.body.contains("charon does not answer"))
        let metrics = endpoints.respond(method: "GET", path: "/metrics?x=1")
        #expect(metrics.status == 200 && metrics.body.contains("vnf_ipsec_charon_up 0.0") && metrics.body.contains(#"vnf_ipsec_tunnel_up{tunnel="branch-a"} 0.0"#))
        #expect(metrics.contentType.hasPrefix("text/plain; version=0.0.4"))
        #expect(endpoints.respond(method: "GET", path: "/").status == 404)
        #expect(endpoints.respond(method: "POST", path: "/metrics").status == 405)
    }

    /// The gateway's list answers without charon (none listens on the socket here): a scrape does not
    /// wait for charon's list, and the durations are those of the moment of the scrape. A list gone stale is not trusted: charon is asked,
    /// and here it does not answer.
    @Test func theGatewaysListAnswersAndAStaleOneIsNotTrusted() throws {
        let config = GatewayConfig(tunnels: [TunnelConfig(name: "branch-a")])
        final class ListedAt: Sendable { let instant = Mutex(ContinuousClock.now - .seconds(2)) }
        let listedAt = ListedAt()
        let endpoints = ObservationEndpoints(viciSocket: "/nonexistent/charon.vici", kernel: { _ in KernelSnapshot() }) {
            ObservationEndpoints.Observed(config: config, sas: SASnapshot(sas: [Self.sa], taken: listedAt.instant.withLock { $0 }))
        }
        let metrics = endpoints.respond(method: "GET", path: "/metrics").body
        #expect(metrics.contains("vnf_ipsec_charon_up 1.0") && metrics.contains(#"vnf_ipsec_tunnel_up{tunnel="branch-a"} 1.0"#), "\(metrics)")
        #expect(metrics.contains(#"strongswan_ike_established_seconds{ike_name="branch-a",ike_id="3"} 42.0"#), "40 s two seconds ago")
        #expect(endpoints.respond(method: "GET", path: "/readyz").status == 200)

        listedAt.instant.withLock { $0 = ContinuousClock.now - ObservationEndpoints.staleAfter - .seconds(1) }
        #expect(endpoints.respond(method: "GET", path: "/metrics").body.contains("vnf_ipsec_charon_up 0.0"))
        #expect(endpoints.respond(method: "GET", path: "/readyz").status == 503)
    }

    @Test func charonLinesBecomeJSONWithTheirTunnel() throws {
        let line = JSONLogLine.charon("2026-11-26 10:00:00 06[IKE] <branch-a|3> IKE_SA branch-a[3] established between 192.0.2.1[192.0.2.1]...192.0.2.2[192.0.2.2]")
        #expect(line.tunnel == "branch-a" && line.subsystem == "IKE" && line.source == "charon")
        #expect(line.message == "IKE_SA branch-a[3] established between 192.0.2.1[192.0.2.1]...192.0.2.2[192.0.2.2]")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.text.utf8)) as? [String: Any])
        #expect(object["tunnel"] as? String == "branch-a" && !line.text.contains("\n"))
        let plain = JSONLogLine.charon("00[DMN] Starting IKE charon daemon")
        #expect(plain.subsystem == "DMN" && plain.tunnel == nil && plain.message == "Starting IKE charon daemon")
        #expect(JSONLogLine.charon("odd line <x").message == "odd line <x")
        // Before its IKE_SA has a configuration charon names only the IKE_SA's unique id: no tunnel.
        let unnamed = JSONLogLine.charon("2026-11-26 10:00:00 05[IKE] <2> 192.0.2.2 is initiating an IKE_SA")
        #expect(unnamed.tunnel == nil && unnamed.subsystem == "IKE" && unnamed.message == "192.0.2.2 is initiating an IKE_SA")
    }
}
