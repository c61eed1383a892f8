import Foundation
import GatewayRuntime
import IPsecCore
import Logging
import Observability
import Testing
import TestSupport
import VICI
import Yams

/// What docs/operations.md and docs/kubernetes say about metrics and logs, against what the code emits:
/// the metric names come from a scrape of `ObservationEndpoints` (the Observability module's public API)
/// over a fake charon socket, not from a list kept by hand.
@Suite struct ObservabilityDocsTests {
    /// An IKE_SA with one installed CHILD_SA, with every value charon can report, so that every series the
    /// code can emit appears in the scrape.
    static func fullSA() -> VICIMessage {
        var child = VICIMessage()
        for (key, value) in [("name", "branch-a"), ("uniqueid", "7"), ("state", "INSTALLED"), ("protocol", "ESP"), ("encap", "yes"),
                             ("bytes-in", "123456"), ("packets-in", "789"), ("bytes-out", "654321"), ("packets-out", "987"),
                             ("use-in", "2"), ("use-out", "1"), ("install-time", "30"), ("rekey-time", "3000"), ("life-time", "3300")] {
            child.append(key, value)
        }
        child.append("local-ts", list: ["198.51.100.0/24"])
        child.append("remote-ts", list: ["203.0.113.0/24", "10.1.0.0/16"])
        var children = VICIMessage()
        children.append("branch-a-7", section: child)
        var ike = VICIMessage()
        for (key, value) in [("uniqueid", "3"), ("version", "2"), ("state", "ESTABLISHED"), ("initiator", "yes"), ("nat-local", "yes"),
                             ("nat-remote", "yes"), ("nat-fake", "yes"), ("nat-any", "yes"), ("established", "40"), ("rekey-time", "9000"),
                             ("reauth-time", "9500")] {
            ike.append(key, value)
        }
        ike.append("child-sas", section: children)
        return ike
    }

    /// The kernel as it would be with every guard of `config` installed, branch-a's VTI up and branch-b's
    /// down.
    static func kernel(of config: GatewayConfig) -> KernelSnapshot {
        let guards = FailClosedGuards(config)
        var vtis: [String: Bool] = [:]
        for tunnel in config.tunnels { if let name = tunnel.vti?.interfaceName { vtis[name] = tunnel.name.hasSuffix("a") } }
        return KernelSnapshot(guardPolicies: Set(guards.policies), guardRoutes: Set(guards.routes.map(\.destination)), vtis: vtis)
    }

    /// One scrape: each metric name with the label names its series carry. Also checks /healthz and /readyz
    /// answer as docs/operations.md says for one of two tunnels up with IPSEC_READY_MINIMUM=1.
    static func scrape() throws -> [String: Set<String>] {
        // A certificate charon holds, made now: the certificate series appear only with one.
        let certificate = try Shell.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                         "-keyout", "/dev/null", "-subj", "/CN=docs", "-days", "30"])
        let base64 = certificate.stdout.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = try #require(Data(base64Encoded: base64), "openssl made no certificate: \(certificate.output)")
        let charon = try FakeCharon(sas: [("branch-a", fullSA())], certificates: [Array(der)])
        defer { charon.close() }
        var tunnels = [TunnelConfig(name: "branch-a"), TunnelConfig(name: "branch-b")]
        for index in tunnels.indices {
            tunnels[index].vti = VTISettings(key: UInt32(42 + index))
            tunnels[index].remoteNets = [IPNetwork("10.\(index + 1).0.0/16")!]
        }
        var gateway = GatewayConfig(tunnels: tunnels)
        gateway.readyMinimum = 1
        var status = ConfigurationStatus(gateway)
        var probe = ProbeStatistics(target: "10.1.0.1:22")
        probe.sent = 3
        probe.lastAnswered = true
        probe.lastRoundTripSeconds = 0.004
        status.probes["branch-a"] = probe
        let config = gateway, finalStatus = status
        // This host has no VTI: the kernel's part is given (guarded tunnels, a VTI up, one down).
        let endpoints = ObservationEndpoints(viciSocket: charon.path,
                                             kernel: { _ in Self.kernel(of: config) },
                                             gateway: { ObservationEndpoints.Observed(config: config, status: finalStatus) })
        let metrics = endpoints.respond(method: "GET", path: "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("vnf_ipsec_charon_up 1"), "the fake charon was not asked: \(metrics.body)")
        #expect(endpoints.respond(method: "GET", path: "/healthz").status == 200)
        let ready = endpoints.respond(method: "GET", path: "/readyz")
        #expect(ready.status == 200 && ready.body.contains("branch-b: down"), "\(ready)")
        var names: [String: Set<String>] = [:]
        for line in metrics.body.split(separator: "\n") where !line.hasPrefix("#") {
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            let labels = line.firstIndex(of: "{").map { line[$0...].prefix { $0 != "}" } } ?? ""
            names[name, default: []].formUnion(labels.matches(of: #/([a-z_]+)="/#).map { String($0.output.1) })
        }
        return names
    }

    /// The names the code could emit, from the string literals of Sources/Observability: a cross-check that
    /// `fullSA()` leaves no series out (a new metric with a value the fixture lacks would otherwise hide).
    static func namesInTheSource() throws -> Set<String> {
        let folder = DocsTests.root.appendingPathComponent("Sources/Observability")
        var names: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            names.formUnion(text.matches(of: #/"((?:strongswan|vnf_ipsec)_[a-z_]+)"/#).map { String($0.output.1) })
            names.formUnion(text.matches(of: #/Gauge\("([a-z_]+)"/#).map { "strongswan_" + $0.output.1 })
        }
        return names
    }

    @Test func metricsTableListsExactlyTheSeriesTheCodeEmits() throws {
        let emitted = try Self.scrape()
        let names = Set(emitted.keys)
        let source = try Self.namesInTheSource()
        #expect(source.subtracting(names).isEmpty, "named in Sources/Observability but not in the scrape: \(source.subtracting(names).sorted())")
        let rows = DocsTests.table(try DocsTests.read("docs/operations.md"), header: "| Metric | Labels | Meaning |")
        let documented = rows.map { DocsTests.code($0[0]) }
        #expect(Set(documented).subtracting(names).isEmpty, "documented but not emitted: \(Set(documented).subtracting(names).sorted())")
        #expect(names.subtracting(documented).isEmpty, "emitted but not documented: \(names.subtracting(documented).sorted())")
        #expect(documented.count == Set(documented).count, "a metric is listed twice")
        // The labels column: backticked names (values in parentheses aside), or "as `other_metric`".
        let labelsByName = Dictionary(rows.map { row in
            (DocsTests.code(row[0]), DocsTests.codes(row[1].replacing(/\([^)]*\)/, with: "")))
        }) { first, _ in first }
        for (name, labels) in labelsByName {
            let resolved = labels.count == 1 && labelsByName[labels[0]] != nil ? labelsByName[labels[0]]! : labels
            #expect(Set(resolved) == emitted[name] ?? [], "\(name): documented labels \(resolved), the code gives \((emitted[name] ?? []).sorted())")
        }
    }

    @Test func grafanaDashboardQueriesOnlyMetricsTheCodeEmits() throws {
        let names = Set(try Self.scrape().keys)
        let data = try Data(contentsOf: DocsTests.root.appendingPathComponent("docs/kubernetes/grafana-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func expressions(_ value: Any) -> [String] {
            if let object = value as? [String: Any] {
                if let expr = object["expr"] as? String { return [expr] }
                return object.values.flatMap(expressions)
            }
            return (value as? [Any])?.flatMap(expressions) ?? []
        }
        let exprs = expressions(dashboard)
        #expect(exprs.count >= 5, "\(exprs)")
        // Every name anywhere in the file: the panels' expressions, the tunnel variable's query, the descriptions.
        let text = String(decoding: data, as: UTF8.self)
        let used = Set(text.matches(of: /\b((?:strongswan|vnf_ipsec)_[a-z_]+)\b/).map { String($0.output.1) })
        #expect(used.subtracting(names).isEmpty, "the dashboard queries series the code does not emit: \(used.subtracting(names).sorted())")
        #expect(used.isSuperset(of: ["vnf_ipsec_tunnel_up", "vnf_ipsec_tunnels", "strongswan_sa_inbound_bytes", "strongswan_sa_outbound_bytes",
                                     "strongswan_sa_established_seconds", "vnf_ipsec_config_reloads_total"]), "\(used.sorted())")
        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        let ids = panels.compactMap { $0["id"] as? Int }
        #expect(ids.count == panels.count && Set(ids).count == ids.count, "every panel has its own id")
        // Prometheus parses every expression (Grafana's interval variables stand in as 5m).
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") else { return }
        let rules: [String: Any] = ["groups": [["name": "dashboard", "rules": exprs.enumerated().map { index, expr in
            ["record": "dashboard:expression_\(index)", "expr": expr.replacing(/\$__(rate_interval|interval|range)/, with: "5m")]
        }]]]
        let file = NSTemporaryDirectory() + "dashboard-rules-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Yams.dump(object: rules).write(toFile: file, atomically: true, encoding: .utf8)
        let check = try Shell.run(["promtool", "check", "rules", file])
        #expect(check.status == 0, "promtool: \(check.output)")
    }

    @Test func jsonLogExampleIsWhatTheCodeWrites() throws {
        let page = try DocsTests.read("docs/operations.md")
        let block = try #require(DocsTests.fencedBlocks(page, language: "json").first, "no JSON log example")
        let documented = block.split(separator: "\n").map(String.init)
        final class Lines: @unchecked Sendable {
            let lock = NSLock()
            var all: [String] = []
            func append(_ line: String) { lock.withLock { all.append(line) } }
        }
        let lines = Lines()
        let logger = Logger(label: "vnf-ipsec") { _ in JSONLogHandler(level: .info, write: { lines.append($0) }) }
        logger.info("starting charon", metadata: ["config": "/run/vnf-ipsec"])
        lines.append(JSONLogLine.charon("2026-11-26 10:00:01 06[IKE] <branch-a|3> IKE_SA branch-a[3] established between 192.0.2.1[192.0.2.1]...192.0.2.2[192.0.2.2]").text)
        logger.warning("initiate: VICI initiate failed: establishing CHILD_SA 'branch-b' failed (charon keeps retrying)", metadata: ["connection": "branch-b"])
        logger.debug("below the level: not written")
        #expect(documented.count == lines.all.count, "\(documented.count) example lines, the code wrote \(lines.all.count)")
        func time(_ line: String) -> String { line.firstMatch(of: #/"time":"([^"]*)"/#).map { String($0.output.1) } ?? "" }
        func shape(_ text: String) -> String { String(text.map { $0.isNumber ? "0" : $0 }) }
        for (example, written) in zip(documented, lines.all) {
            #expect(shape(time(example)) == shape(time(written)), "time: \(time(example)) is not shaped like \(time(written))")
            #expect(written.replacingOccurrences(of: time(written), with: time(example)) == example, "the docs show\n\(example)\nthe code writes\n\(written)")
            #expect((try? JSONSerialization.jsonObject(with: Data(example.utf8))) is [String: Any], "not one JSON object: \(example)")
        }
    }
}
