import GatewayRuntime
import IPsecCore
import Prometheus
import VICI

/// What the HTTP endpoints answer, independent of the server that carries them:
/// - `/metrics`: the Prometheus text format (charon's SAs with the exporter's names, the gateway's own);
/// - `/healthz`: 200 while charon answers over VICI (liveness: the peers do not matter);
/// - `/readyz`: 200 while every configured tunnel (or `ready_minimum` of them) has an installed CHILD_SA.
/// Each answer asks charon once; the calls block on its socket, so callers run them off the event loop.
public struct ObservationEndpoints: Sendable {
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    let viciSocket: String
    /// The running configuration and its history, read at each request (they change on reload).
    let gateway: @Sendable () -> (config: GatewayConfig, status: ConfigurationStatus?)

    public init(viciSocket: String, gateway: @escaping @Sendable () -> (config: GatewayConfig, status: ConfigurationStatus?)) {
        self.viciSocket = viciSocket
        self.gateway = gateway
    }

    /// The Prometheus text format's content type (version 0.0.4).
    static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    public func respond(method: String, path: String) -> Response {
        guard method == "GET" || method == "HEAD" else { return Response(status: 405, contentType: "text/plain", body: "only GET\n") }
        switch path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path {
        case "/metrics": return metrics()
        case "/healthz": return health()
        case "/readyz": return readiness()
        default: return Response(status: 404, contentType: "text/plain", body: "not found: /metrics, /healthz, /readyz\n")
        }
    }

    /// How long one answer may wait for charon: a list of thousands of SAs takes a while to build.
    static let charonTimeout: Duration = .seconds(5)

    func snapshot() -> GatewayMetrics.Snapshot {
        let (config, status) = gateway()
        let client = try? VICIClient(socketPath: viciSocket, timeout: Self.charonTimeout)
        // In upstream's manual mode the mounted files name the connections: charon knows them, we do not.
        let configured = config.isManual ? ((try? client?.connectionNames()) ?? []) : config.tunnels.map(\.name)
        let probeRequired = config.readyRequiresProbe ? Set(config.tunnels.filter { $0.probe != nil }.map(\.name)) : []
        return GatewayMetrics.Snapshot(configured: configured, sas: try? client?.securityAssociations(),
                                       charonVersion: try? client?.version(), status: status, readyMinimum: config.readyMinimum,
                                       probeRequired: probeRequired)
    }

    func metrics() -> Response {
        let snapshot = snapshot()
        // A registry per scrape: a series lives exactly as long as its SA.
        let registry = PrometheusCollectorRegistry()
        StrongSwanMetrics.emit(snapshot.sas ?? [], into: registry)
        GatewayMetrics.emit(snapshot, into: registry)
        return Response(status: 200, contentType: Self.prometheusContentType, body: registry.emitToString())
    }

    func health() -> Response {
        do {
            let version = try VICIClient(socketPath: viciSocket, timeout: Self.charonTimeout).version()
            return Response(status: 200, contentType: "text/plain", body: "ok: charon answers (\(version))\n")
        } catch {
            return Response(status: 503, contentType: "text/plain", body: "charon does not answer: \(error)\n")
        }
    }

    func readiness() -> Response {
        let snapshot = snapshot()
        guard let sas = snapshot.sas else { return Response(status: 503, contentType: "text/plain", body: "charon does not answer\n") }
        let up = snapshot.readyTunnels
        let needed = snapshot.readyMinimum ?? snapshot.configured.count
        let lines = snapshot.configured.map { name in
            var line = "\(name): \(TunnelState(sas, connection: name).rawValue)"
            if let probe = snapshot.status?.probes[name] {
                line += probe.lastAnswered == true ? ", probe \(probe.target) answered" : ", probe \(probe.target) not answered"
            }
            return line + "\n"
        }.joined()
        let ready = !snapshot.configured.isEmpty && up.count >= needed
        return Response(status: ready ? 200 : 503, contentType: "text/plain",
                        body: "\(ready ? "ready" : "not ready"): \(up.count) of \(snapshot.configured.count) tunnels up, \(needed) needed\n" + lines)
    }
}
