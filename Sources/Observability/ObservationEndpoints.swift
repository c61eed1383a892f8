import GatewayRuntime
import IPsecCore
import NetlinkKit
import VICI

/// What the HTTP endpoints answer, independent of the server that carries them:
/// - `/metrics`: the Prometheus text format (charon's SAs with the exporter's names, the gateway's own);
/// - `/healthz`: 200 while charon answers over VICI (liveness: the peers do not matter);
/// - `/readyz`: 200 while every configured tunnel (or `ready_minimum` of them) has an installed CHILD_SA.
///
/// charon's SAs are the ones the gateway keeps listed (``Gateway/securityAssociations``, at most a refresh
/// interval old), so a scrape does not wait for charon and a scraper's rate does not load it; traffic
/// counters are read from the kernel at the scrape. Without such a list, or with one gone stale (charon
/// stopped answering), an answer asks charon itself over one kept connection (``CharonConnection``).
/// The calls block on sockets, so callers run them off the event loop.
public struct ObservationEndpoints: Sendable {
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var contentType: String
        public var body: String
    }

    /// What the running gateway tells at each request (its configuration changes on reload).
    public struct Observed: Sendable {
        public var config: GatewayConfig
        public var status: ConfigurationStatus?
        /// charon's SAs as the gateway last listed them; nil: none (the endpoints ask charon).
        public var sas: SASnapshot?
        /// Changes whenever charon may hold other certificates (``Gateway/configurationGeneration``); 0:
        /// unknown, so they are asked at every scrape.
        public var generation: Int

        public init(config: GatewayConfig, status: ConfigurationStatus? = nil, sas: SASnapshot? = nil, generation: Int = 0) {
            self.config = config
            self.status = status
            self.sas = sas
            self.generation = generation
        }

        /// What `gateway` tells now.
        public init(_ gateway: Gateway) {
            self.init(config: gateway.config, status: gateway.configurationStatus, sas: gateway.securityAssociations,
                      generation: gateway.configurationGeneration)
        }
    }

    let charon: CharonConnection
    let gateway: @Sendable () -> Observed

    /// The kernel's guards, VTIs and (when asked) XFRM states: read from this network namespace by default.
    public typealias KernelReader = @Sendable (_ xfrmStates: Bool) -> KernelSnapshot?
    let kernel: KernelReader
    let certificates = CertificateMetrics.Cache()

    public init(viciSocket: String, kernel: KernelReader? = nil, gateway: @escaping @Sendable () -> Observed) {
        let namespace = KeptNetlinkHandle()
        self.kernel = kernel ?? { namespace.read(xfrmStates: $0) }
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

    /// A list older than this means the gateway's lister has not heard from charon for three refreshes:
    /// the endpoints then ask charon themselves (and say it is down when it does not answer).
    static let staleAfter: Duration = Gateway.saRefreshInterval * 3

    /// What one answer reads: the configuration, charon's SAs (the gateway's list, or charon's answer) and,
    /// for `/metrics`, the kernel and charon's version (asked once per connection: it cannot change
    /// without a new charon). Without charon, `sas` is nil.
    func snapshot(_ observed: Observed, forMetrics: Bool) -> GatewayMetrics.Snapshot {
        let config = observed.config
        let kernel = forMetrics ? self.kernel(true) : nil
        let now = ContinuousClock.now
        var sas: SASnapshot?
        var version: String?
        var names: [String]?
        if let listed = observed.sas, now - listed.taken <= Self.staleAfter {
            sas = listed
            // In upstream's manual mode the mounted files name the connections: charon knows them, we do not.
            if config.isManual || forMetrics {
                let answer = try? charon.withSession { session throws(VICIError) in
                    (names: config.isManual ? try session.client.connectionNames() : nil, version: forMetrics ? try session.version() : nil)
                }
                (names, version) = (answer?.names, answer?.version)
            }
        } else {
            let answer = try? charon.withSession { session throws(VICIError) in
                (sas: try session.client.securityAssociations(),
                 names: config.isManual ? try session.client.connectionNames() : nil,
                 version: forMetrics ? try session.version() : nil)
            }
            sas = answer.map { SASnapshot(sas: $0.sas, taken: now) }
            (names, version) = (answer?.names, answer?.version)
        }
        let configured = config.isManual ? (names ?? []) : config.tunnels.map(\.name)
        let probeRequired = config.readyRequiresProbe ? Set(config.tunnels.filter { $0.probe != nil }.map(\.name)) : []
        var snapshot = GatewayMetrics.Snapshot(configured: configured, sas: sas?.current(at: now, kernel: kernel?.xfrmStates),
                                               charonVersion: version, status: observed.status, readyMinimum: config.readyMinimum,
                                               probeRequired: probeRequired)
        if let kernel {
            snapshot.guarded = kernel.guarded(config)
            snapshot.vtiUp = kernel.vtiUp(config)
        }
        return snapshot
    }

    /// The text of one scrape: a series exists exactly while its SA is in the list (no registry is kept).
    static func metricsText(_ snapshot: GatewayMetrics.Snapshot) -> String {
        var text = PrometheusText(reservingCapacity: 4096 + 1024 * (snapshot.sas?.count ?? 0) + 128 * snapshot.configured.count)
        StrongSwanMetrics.write(snapshot.sas ?? [], into: &text)
        GatewayMetrics.write(snapshot, into: &text)
        return String(decoding: text.bytes, as: UTF8.self)
    }

    func metrics() -> Response {
        let observed = gateway()
        return Response(status: 200, contentType: Self.prometheusContentType,
                        body: Self.metricsText(snapshot(observed, forMetrics: true)) + certificates.text(from: charon, generation: observed.generation))
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
        let snapshot = snapshot(gateway(), forMetrics: false)
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
