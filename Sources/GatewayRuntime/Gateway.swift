import Foundation
import IPsecCore
import Logging
import NetlinkKit
import ServiceLifecycle
import VICI

/// The gateway as a container entrypoint (`vnf-ipsec run`): an IKE daemon (a ``GatewayBackend``; charon by
/// default) started, configured with every tunnel and supervised, the optional main-table routes kept in
/// step with each tunnel, its configuration reloaded on request (SIGHUP) or when its files change, and on
/// shutdown the SAs closed, the daemon stopped and what was added removed.
///
/// Run it in a `ServiceGroup`. `run()` returns normally after a graceful shutdown or cancellation; it
/// throws ``GatewayError/daemonExited(status:lastLines:)`` when the daemon dies and
/// ``GatewayError/notStarted(_:)`` when it cannot start or refuses the configuration. All of its work is
/// structured: one task group whose children end when `run()` does.
public final class Gateway: Service, Sendable {
    public struct Options: Sendable {
        /// Remove the VTIs that `init` (or a reload) created when shutting down.
        public var teardownVTI = false
        /// How to read the configuration again; nil: the gateway keeps the one it started with.
        public var reloading: ConfigurationReloading?
        /// Where `run` records the configuration it runs and how the last reload went (for `status`).
        public var statusFile: String?
        /// Keep the daemon's SA list (``Gateway/securityAssociations``) for a reader such as the metrics
        /// endpoints. Off: the daemon is listed only when the gateway itself follows its tunnels' state
        /// (main-table routes, VTIs), so a gateway nobody observes costs the daemon nothing every
        /// ``Gateway/saRefreshInterval``.
        public var keepsSecurityAssociations = false
        public init() {}
    }

    public let options: Options
    public let backend: any GatewayBackend
    let logger: Logger
    let state: Locked<State>
    /// Reload requests (their reason), served one after another by `run()`.
    let reloadRequests: AsyncStream<String>
    private let reloadContinuation: AsyncStream<String>.Continuation

    struct State: Sendable {
        /// The configuration running now: the one given, then each reload's.
        var config: GatewayConfig
        var status: ConfigurationStatus
        /// What the watched files held when the running configuration (or a refused one) was read.
        var fingerprint: [String: [UInt8]?] = [:]
        /// By tunnel name.
        var installedRoutes: [String: [Route]] = [:]
        /// The operator's own main-table routes to the same destinations that ours replaced: put back when
        /// ours go, so stopping the gateway restores the host's routing as it found it.
        var replacedRoutes: [String: [Route]] = [:]
        /// Whether each VTI was last set up (true) or down (false) to follow its tunnel; absent: not yet.
        var vtiUp: [String: Bool] = [:]
        /// Route-based tunnels that have had a CHILD_SA since `run` started, and when `run` last initiated
        /// one of them again.
        var everUp: Set<String> = []
        var lastInitiated: [String: ContinuousClock.Instant] = [:]
        /// charon's SAs as last listed.
        var sas: SASnapshot?
        /// Configurations handed to the daemon so far: the first, then each reload (applied or not: a
        /// failed one may have loaded part of its credentials).
        var generation = 0
    }

    public init(config: GatewayConfig, backend: any GatewayBackend, options: Options = Options(), logger: Logger) {
        self.backend = backend
        self.options = options
        self.logger = logger
        state = Locked(State(config: config, status: ConfigurationStatus(config)))
        (reloadRequests, reloadContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The configuration running now.
    public var config: GatewayConfig { state.withLock { $0.config } }

    /// What `status` and the metrics tell about it: where it came from, when, and how reloads went.
    public var configurationStatus: ConfigurationStatus { state.withLock { $0.status } }

    /// The daemon's SAs as last listed (at most ``saRefreshInterval`` ago while it answers); nil before
    /// the first list.
    public var securityAssociations: SASnapshot? { state.withLock { $0.sas } }

    /// Changes each time a configuration is handed to the daemon (what it holds, such as certificates,
    /// may have changed); 0 before the first.
    public var configurationGeneration: Int { state.withLock { $0.generation } }

    /// How often the daemon's SAs are listed when no event says they changed.
    public static let saRefreshInterval: Duration = .seconds(2)

    /// Asks the running gateway to read its configuration again and apply the difference. Requests that
    /// arrive while one is served collapse into one.
    public func reload(because reason: String) {
        reloadContinuation.yield(reason)
    }

    /// What the children of `run()`'s task group report.
    private enum Event: Sendable {
        case refused(String)
        case shutdownRequested
        case exited(DaemonExit)
        case finished
    }

    private enum Outcome {
        case stopped
        case refused(String)
        case died(DaemonExit)
    }

    public func run() async throws {
        let config = self.config
        // A configuration built in code gets the environment's rules too.
        try config.validate()
        try RequiredCapabilities.check()
        warnAboutMissingInterfaces()
        // One gateway per daemon: the lock, held until run() returns, decides (a second run must not take
        // over a live daemon's socket).
        let lock = try InstanceLock(path: backend.instanceLockPath)
        defer { withExtendedLifetime(lock) {} }
        // What the files hold now, as close to their reading as run() gets: a file changed while charon
        // starts and loads (seconds) then differs from it, and is reloaded once the first load is done.
        // Taken after the load, such a change was recorded as if loaded, and never applied.
        recordFingerprint(of: config)
        if !config.isManual { removeSAsLeftByAnEarlierDaemon() }
        // Before charon starts: until it has loaded its policies, the guards are all that keeps the LAN's
        // traffic from leaving in cleartext.
        if !config.isManual { try installGuards(config) }
        do {
            try await backend.start(config)
        } catch {
            await backend.stop(config)  // removes what it wrote that holds secrets
            throw error  // the caller reports it (`run` logs it and exits 1)
        }

        let outcome = await withTaskGroup(of: Event.self) { group -> Outcome in
            group.addTask { [backend] in .exited(await backend.waitForExit()) }
            group.addTask { [self, backend, config] in
                do {
                    try await backend.load(config)
                } catch {
                    return Task.isCancelled ? .finished : .refused("\(error)")
                }
                state.withLock { $0.generation += 1 }
                writeStatusFile()
                // Reloads are served only once the first configuration is in place, one at a time.
                await serveReloads()
                return .finished
            }
            if !config.isManual {
                group.addTask { [self] in
                    await runProbes()
                    return .finished
                }
            }
            if let reloading = options.reloading, !config.isManual, config.reloadOnChange {
                group.addTask { [self] in
                    await watchConfigurationFiles(reloading)
                    return .finished
                }
            }
            group.addTask {
                // Ends with the shutdown request, or with a CancellationError when run() ends first.
                (try? await gracefulShutdown()) != nil ? .shutdownRequested : .finished
            }
            if options.keepsSecurityAssociations || Self.followsTunnelState(config) {
                group.addTask { [self] in
                    await keepSecurityAssociations()
                    return .finished
                }
            }
            var stopping = false
            var refusal: String?
            for await event in group {
                switch event {
                case .finished:
                    continue
                case .refused(let why) where !stopping:
                    // A gateway whose tunnel the daemon refused is useless while it looks alive: stop, and
                    // end with the reason, so the container exits non-zero and the operator sees why.
                    refusal = why
                    stopping = true
                    reloadContinuation.finish()
                    await backend.stop(self.config)
                case .refused:
                    continue
                case .shutdownRequested:
                    guard !stopping else { continue }
                    stopping = true
                    logger.info("shutting down")
                    // No reload may start while the tunnels are being closed.
                    reloadContinuation.finish()
                    await backend.stop(self.config)
                case .exited(let exit):
                    group.cancelAll()
                    if let refusal { return .refused(refusal) }
                    return stopping || Task.isCancelled ? .stopped : .died(exit)
                }
            }
            return .stopped
        }

        reloadContinuation.finish()
        removeInstalledRoutes()
        // Whatever ended the daemon, what it wrote that holds secrets goes (stop is a no-op on a dead one).
        await backend.stop(self.config)
        let guarded = FailClosedGuards(self.config).byTunnel.values.contains { !$0.isEmpty }
        switch outcome {
        case .stopped:
            if options.teardownVTI { removeVTI() }
            if guarded {
                logger.notice("fail-closed guards stay in place: traffic to the remote subnets is dropped until the gateway runs again (`vnf-ipsec teardown` removes them)")
            }
            logger.info("stopped")
        case .refused(let why):
            throw GatewayError.notStarted("charon did not take the configuration: \(why)")
        case .died(let exit):
            throw GatewayError.daemonExited(status: exit.status, lastLines: exit.lastLines)
        }
    }

    // MARK: kernel state around the daemon

    /// A charon that was killed (SIGKILL, OOM) leaves its SAs in the kernel; the next one negotiates new
    /// ones beside them and the old stay until their hard lifetime. We hold the lock, so no charon of ours
    /// runs: the SAs between a tunnel's two endpoints are leftovers and go. Nobody else's are touched.
    private func removeSAsLeftByAnEarlierDaemon() {
        let pairs = config.tunnels.compactMap { tunnel in tunnel.remote.address.map { (local: tunnel.local.address, remote: $0) } }
        guard !pairs.isEmpty else { return }
        func between(_ a: IPAddress, _ b: IPAddress) -> Bool {
            pairs.contains { local, remote in
                (a == remote && (local == nil || b == local)) || (b == remote && (local == nil || a == local))
            }
        }
        do {
            let handle = try NetlinkHandle()
            var removed: [String: Int] = [:]
            // Twice at most: a second look catches an SA that was being changed while the first pass ran.
            for pass in 1 ... 2 {
                let stale = try handle.xfrmStates().filter { between($0.source, $0.destination) }
                if stale.isEmpty { break }
                if pass == 2 { logger.warning("SAs still present after removal, trying again: \(stale.map(\.description).joined(separator: "; "))") }
                for sa in stale {
                    do {
                        try handle.xfrmStateDelete(sa)
                        // Counted by endpoint pair, whichever way the SA points.
                        let ends = [sa.source, sa.destination].sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
                        removed["\(ends[0]) and \(ends[1])", default: 0] += 1
                    } catch where error.kind == .notFound {
                        // Gone already (expired, or deleted with its pair).
                    } catch {
                        logger.warning("removing SA \(sa): \(error)")
                    }
                }
            }
            for (pair, count) in removed.sorted(by: { $0.key < $1.key }) {
                logger.notice("removed \(count) SAs an earlier charon left between \(pair)")
            }
        } catch {
            logger.warning("could not check for SAs left by an earlier charon: \(error)")
        }
    }

    /// charon silently ignores an interface in `interfaces_use` that does not exist, and then never
    /// negotiates: say so at start.
    private func warnAboutMissingInterfaces() {
        guard !config.interfaces.isEmpty, let handle = try? NetlinkHandle() else { return }
        for name in config.interfaces where (try? handle.linkIfPresent(named: name)) == nil {
            logger.warning("IPSEC_INTERFACES names \(name), which this network namespace does not have; charon will not use it")
        }
    }

    // MARK: fail closed

    /// Installs the configuration's guards and removes ours it no longer has; with fail_closed off removes
    /// every guard of ours (upstream's behaviour, also for what an earlier run left).
    func installGuards(_ config: GatewayConfig) throws {
        let guards = FailClosedGuards(config)
        do {
            let handle = try NetlinkHandle()
            let removed = try guards.apply(handle)
            for line in guards.summary { logger.info("\(line)") }
            if removed > 0 {
                logger.notice("removed \(removed) fail-closed guards no tunnel of this configuration has\(config.failClosed ? "" : " (fail_closed is off)")")
            }
        } catch {
            throw GatewayError.notStarted("cannot install the fail-closed guards (XFRM policies): \(error). Give the container NET_ADMIN, or set IPSEC_FAIL_CLOSED=no to run without them")
        }
    }

    // MARK: following each tunnel's state

    /// Whether the gateway keeps the kernel in step with each tunnel's SAs. What decides it cannot change
    /// on a reload (it needs a restart), so the configuration `run()` starts with decides.
    static func followsTunnelState(_ config: GatewayConfig) -> Bool {
        config.setRouteDefaultTable || (config.vtiFollowsSA && config.isRouteBased && !config.isManual)
    }

    /// Keeps the daemon's SAs for the readers (``securityAssociations``) and, when the gateway follows its
    /// tunnels' state, the kernel in step with each tunnel's CHILD_SA: its main-table routes
    /// (SET_ROUTE_DEFAULT_TABLE) and its VTI (up exactly while a CHILD_SA is installed); starts again a
    /// route-based tunnel that lost every SA (its traffic cannot: the VTI is down).
    private func keepSecurityAssociations() async {
        for await snapshot in backend.securityAssociations(refreshingEvery: Self.saRefreshInterval) {
            state.withLock { $0.sas = snapshot }
            let config = self.config
            guard Self.followsTunnelState(config) else { continue }
            let states = Dictionary(grouping: snapshot.sas, by: \.name)
                .reduce(into: [String: TunnelState]()) { $0[$1.key] = TunnelState($1.value, connection: $1.key) }
            var idle: [TunnelConfig] = []
            for tunnel in config.tunnels {
                let up = states[tunnel.name] == .up
                if config.setRouteDefaultTable {
                    do {
                        try reconcileDefaultTableRoute(tunnel, up: up)
                    } catch {
                        logger.error("main-table route: \(error)", metadata: ["connection": "\(tunnel.name)"])
                    }
                }
                if config.vtiFollowsSA, tunnel.vti != nil {
                    reconcileVTI(tunnel, up: up)
                    if tunnel.runInitiates, states[tunnel.name] == nil { idle.append(tunnel) }
                }
            }
            await initiateAgain(idle)
        }
    }

    /// Sets the VTI up (with its address and routes) or down, when that changed since the last time.
    func reconcileVTI(_ tunnel: TunnelConfig, up: Bool) {
        guard let setup = VTISetup(tunnel), state.withLock({ $0.vtiUp[tunnel.name] }) != up else { return }
        let name = setup.link.attributes.name
        do {
            _ = try setup.apply(try NetlinkHandle(), up: up)
            state.withLock {
                $0.vtiUp[tunnel.name] = up
                if up { $0.everUp.insert(tunnel.name) }
            }
            if up {
                logger.info("\(name) up: the tunnel has a CHILD_SA; routes through it restored", metadata: ["connection": "\(tunnel.name)"])
            } else {
                logger.notice("\(name) down: the tunnel has no CHILD_SA; routes through it withdrawn", metadata: ["connection": "\(tunnel.name)"])
            }
        } catch {
            logger.error("setting \(name) \(up ? "up" : "down"): \(error)", metadata: ["connection": "\(tunnel.name)"])
        }
    }

    /// Initiates again the tunnels that were up and now have no SA at all (closed by the peer, or by an
    /// operator), each at most every 10 s; the first start is the backend's (it knows who goes first).
    /// The short pause lets charon start its own attempt first where it will (DPD restart); the backend
    /// initiates only what still has no SA then.
    private func initiateAgain(_ idle: [TunnelConfig]) async {
        let now = ContinuousClock.now
        let due = state.withLock { state -> [TunnelConfig] in
            idle.filter { tunnel in
                guard state.everUp.contains(tunnel.name), state.lastInitiated[tunnel.name].map({ now - $0 >= .seconds(10) }) ?? true else { return false }
                state.lastInitiated[tunnel.name] = now
                return true
            }
        }
        guard !due.isEmpty else { return }
        try? await Task.sleep(for: .milliseconds(300))
        logger.info("initiating \(due.map(\.name).joined(separator: ", ")) again: no SA, and a VTI that follows its SA cannot let traffic start it")
        await backend.initiate(due)
    }

    // MARK: SET_ROUTE_DEFAULT_TABLE

    func reconcileDefaultTableRoute(_ tunnel: TunnelConfig, up: Bool) throws {
        let installed = state.withLock { $0.installedRoutes[tunnel.name] ?? [] }
        if up, installed.isEmpty {
            guard case .address(let remote) = tunnel.remote else { return }
            let handle = try NetlinkHandle()
            let path = try handle.routeGet(to: remote)
            let existing = try handle.routes(table: .main)
            var routes: [Route] = []
            var replaced: [Route] = []
            // In manual mode the mounted files decide the selectors; the route goes to what was configured.
            let destinations = config.isManual ? tunnel.remoteNets : tunnel.remoteTrafficSelectors
            for network in destinations where network.address.isIPv6 == remote.isIPv6 {
                var route = Route(destination: network,
                                  outputInterface: path.outputInterface, gateway: path.gateway)
                route.preferredSource = tunnel.localPrivateIP
                let previous = existing.filter { $0.destination == route.destination && $0.metric == route.metric }
                try handle.ensureRoute(route)
                routes.append(route)
                for old in previous where old != route {
                    replaced.append(old)
                    logger.notice("main-table route \(old) replaced while the tunnel is up; it is restored when the tunnel goes down")
                }
                logger.info("main-table route added: \(route)")
            }
            state.withLock { $0.installedRoutes[tunnel.name] = routes; $0.replacedRoutes[tunnel.name] = replaced }
        } else if !up, !installed.isEmpty {
            removeInstalledRoutes(of: [tunnel.name])
        }
    }

    /// Removes the routes installed for the named tunnels (all by default) and restores what they replaced.
    func removeInstalledRoutes(of names: Set<String>? = nil) {
        let (routes, replaced) = state.withLock { state -> ([Route], [Route]) in
            let chosen = names ?? Set(state.installedRoutes.keys)
            defer { for name in chosen { state.installedRoutes[name] = nil; state.replacedRoutes[name] = nil } }
            return (chosen.flatMap { state.installedRoutes[$0] ?? [] }, chosen.flatMap { state.replacedRoutes[$0] ?? [] })
        }
        guard !routes.isEmpty, let handle = try? NetlinkHandle() else { return }
        for route in routes {
            do {
                try handle.routeDelete(route)
                logger.info("main-table route removed: \(route)")
            } catch {
                logger.warning("removing main-table route \(route): \(error)")
            }
        }
        for route in replaced {
            do {
                try handle.routeAdd(route)
                logger.info("main-table route restored: \(route)")
            } catch {
                logger.warning("restoring main-table route \(route): \(error)")
            }
        }
    }

    // MARK: shutdown

    private func removeVTI() {
        for setup in config.tunnels.compactMap(VTISetup.init) {
            do {
                try setup.remove(try NetlinkHandle())
                logger.info("removed \(setup.link.attributes.name)")
            } catch {
                logger.warning("removing \(setup.link.attributes.name): \(error)")
            }
        }
    }
}

/// Why the gateway stopped without being asked to.
public enum GatewayError: Error, CustomStringConvertible {
    case daemonExited(status: Int32, lastLines: [String])
    case notStarted(String)

    public var description: String {
        switch self {
        case .daemonExited(let status, let lines):
            "charon exited unexpectedly (status \(status)); its last lines:\n" + lines.map { "  \($0)" }.joined(separator: "\n")
                + "\nThe container runtime should restart the gateway; if this repeats, check the lines above (DEBUG=yes adds detail)."
        case .notStarted(let why): why
        }
    }
}
