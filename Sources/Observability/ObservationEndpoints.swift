import GatewayRuntime
import IPsecCore
import NetlinkKit
import VICI

/// What the HTTP endpoints answer, independent of the server that carries them:
/// - `/metrics`: the Prometheus text format (charon's SAs with the exporter's names, the gateway's own);
/// - `/healthz`: 200 while charon answers over VICI (liveness: the peers do not matter);
/// - `/readyz`: 200 while every configured tunnel (or `ready_minimum` of them) has an installed CHILD_SA.
/// Each answer asks charon over one kept connection (``CharonConnection``); the calls block on its socket,
/// so callers run them off the event loop.
public struct ObservationEndpoints: Sendable {
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    let charon: CharonConnection
    /// The running configuration and its history, read at each request (they change on reload).
    let gateway: @Sendable () -> (config: GatewayConfig, status: ConfigurationStatus?)

    /// The fail-closed guards and VTIs in the kernel, per tunnel: read from this namespace by default.
    public typealias KernelReader = @Sendable (GatewayConfig) -> (guarded: [String: Bool], vtiUp: [String: Bool])
    let kernel: KernelReader

    public init(viciSocket: String, kernel: @escaping KernelReader = ObservationEndpoints.readKernel,
                gateway: @escaping @Sendable () -> (config: GatewayConfig, status: ConfigurationStatus?)) {
        self.kernel = kernel
        charon = CharonConnection(socketPath: viciSocket, timeout: Self.charonTimeout)
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

    /// What one answer reads: the configuration, and charon's SAs (and, for `/metrics`, its version: asked
    /// once per connection, it cannot change without a new charon). Without charon, `sas` is nil.
    func snapshot(withVersion: Bool) -> GatewayMetrics.Snapshot {
        let (config, status) = gateway()
        // In upstream's manual mode the mounted files name the connections: charon knows them, we do not.
        let charonAnswer = try? charon.withSession { session throws(VICIError) in
            (sas: try session.client.securityAssociations(),
             names: config.isManual ? try session.client.connectionNames() : nil,
             version: withVersion ? try session.version() : nil)
        }
        let configured = config.isManual ? (charonAnswer?.names ?? []) : config.tunnels.map(\.name)
        let probeRequired = config.readyRequiresProbe ? Set(config.tunnels.filter { $0.probe != nil }.map(\.name)) : []
        var snapshot = GatewayMetrics.Snapshot(configured: configured, sas: charonAnswer?.sas, charonVersion: charonAnswer?.version,
                                               status: status, readyMinimum: config.readyMinimum, probeRequired: probeRequired)
        // For /metrics only: /readyz does not need them.
        if withVersion { (snapshot.guarded, snapshot.vtiUp) = kernel(config) }
        return snapshot
    }

    /// The guards and VTIs as this network namespace's kernel has them now.
    @Sendable public static func readKernel(_ config: GatewayConfig) -> (guarded: [String: Bool], vtiUp: [String: Bool]) {
        guard let handle = try? NetlinkHandle() else { return ([:], [:]) }
        let guarded = (try? FailClosedGuards(config).installed(handle)) ?? [:]
        let links = ((try? handle.links()) ?? []).reduce(into: [String: Bool]()) { $0[$1.name] = $1.attributes.isUp }
        var vtiUp: [String: Bool] = [:]
        for tunnel in config.tunnels {
            if let name = tunnel.vti?.interfaceName, let up = links[name] { vtiUp[tunnel.name] = up }
        }
        return (guarded, vtiUp)
    }

    /// The text of one scrape: a series exists exactly while its SA does (nothing is kept between scrapes).
    static func metricsText(_ snapshot: GatewayMetrics.Snapshot) -> String {
        var text = PrometheusText(reservingCapacity: 4096 + 1024 * (snapshot.sas?.count ?? 0) + 128 * snapshot.configured.count)
        StrongSwanMetrics.write(snapshot.sas ?? [], into: &text)
        GatewayMetrics.write(snapshot, into: &text)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    func metrics() -> Response {
        Response(status: 200, contentType: Self.prometheusContentType,
                 body: Self.metricsText(snapshot(withVersion: true)) + CertificateMetrics.text(from: charon))
    }

    func health() -> Response {
        do {
            // Asked every time (not the connection's cached answer): liveness means charon answers now.
            let version = try charon.withSession { session throws(VICIError) in try session.client.version() }
            return Response(status: 200, contentType: "text/plain", body: "ok: charon answers (\(version))\n")
        } catch {
            return Response(status: 503, contentType: "text/plain", body: "charon does not answer: \(error)\n")
        }
    }

    func readiness() -> Response {
        let snapshot = snapshot(withVersion: false)
        guard snapshot.sas != nil else { return Response(status: 503, contentType: "text/plain", body: "charon does not answer\n") }
        let states = snapshot.tunnelStates
        let up = snapshot.readyTunnels(states)
        let needed = snapshot.readyMinimum ?? snapshot.configured.count
        let lines = states.map { name, state in
            var line = "\(name): \(state.rawValue)"
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
