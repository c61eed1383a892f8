import IPsecCore
import VICI

/// The IKE daemon as the gateway runtime drives it: the seam between `Gateway` (what every gateway does:
/// capabilities, the instance lock, kernel leftovers, routes, shutdown order) and one daemon's way of
/// being started, configured, asked and stopped. ``StrongSwanGatewayBackend`` is charon over VICI; the
/// runtime's tests use a fake with no daemon at all.
public protocol GatewayBackend: Sendable {
    /// A file the gateway locks while it runs: two gateways must not drive one daemon's control socket.
    var instanceLockPath: String { get }

    /// Writes what the daemon reads at start and starts it; returns once it can be configured.
    /// - Throws: when it cannot start, or does not become ready in time (it is stopped again).
    func start(_ config: GatewayConfig) async throws

    /// Hands the daemon every tunnel (secrets, connections) and starts negotiating where this side should.
    /// - Throws: the daemon's refusal, in its words.
    func load(_ config: GatewayConfig) async throws

    /// Applies a reload to the running daemon: removed tunnels closed and unloaded, changed ones reloaded
    /// (and negotiated again where the change needs it), added ones loaded and started. Unchanged tunnels
    /// are not touched. `config` is the whole new configuration.
    /// - Throws: the daemon's refusal, in its words; what was applied before it stays.
    func apply(_ change: ConfigurationChange, config: GatewayConfig) async throws

    /// What may follow a reload once it is in effect (files kept for operators); by default nothing.
    func afterReload(_ config: GatewayConfig)

    /// The daemon's SAs now, and again whenever one may have changed (up, down, rekeyed) and at least
    /// every `refresh` (a state with no event of its own, such as connecting, and an event missed), until
    /// the daemon ends or the consuming task is cancelled. A list that fails is skipped, not yielded.
    func securityAssociations(refreshingEvery refresh: Duration) -> AsyncStream<SASnapshot>

    /// Starts negotiating the tunnels that have no SA at all (a route-based tunnel whose VTI follows its SA
    /// cannot be started by its traffic: with the VTI down that traffic never reaches charon's trap).
    func initiate(_ tunnels: [TunnelConfig]) async

    /// Suspends until the daemon ends by itself and says how. Cancelling the waiting task stops it.
    func waitForExit() async -> DaemonExit

    /// Closes the tunnels (the peers are told) and stops the daemon, within a few seconds; removes what it
    /// wrote that holds secrets.
    func stop(_ config: GatewayConfig) async
}

/// How a daemon ended: its exit status (a signal number when killed) and its last output lines.
public struct DaemonExit: Sendable, Equatable {
    public var status: Int32
    public var lastLines: [String]

    public init(status: Int32, lastLines: [String]) {
        self.status = status
        self.lastLines = lastLines
    }
}

extension GatewayBackend {
    public func afterReload(_ config: GatewayConfig) {}
    public func initiate(_ tunnels: [TunnelConfig]) async {}
}
