import IPsecCore
import VICI
import Foundation
import Logging
import NetlinkKit
import ServiceLifecycle

/// The gateway as a container entrypoint (`vnf-ipsec run`): renders the configuration, runs charon as a child,
/// configures and initiates the tunnel over VICI, keeps the optional main-table route in step with the
/// CHILD_SA, and on shutdown closes the SAs, stops charon and removes what it added.
///
/// Run it in a `ServiceGroup` with SIGTERM/SIGINT as graceful-shutdown signals. `run()` returns normally
/// after a requested shutdown and throws ``GatewayError/daemonExited(status:lastLines:)`` when charon dies.
public final class Gateway: Service, Sendable {
    public struct Options: Sendable {
        /// Where generated files go (the container's tmpfs).
        public var runtimeDirectory = "/run/vnf-ipsec"
        public var charonPath = "/usr/lib/ipsec/charon"
        public var starterPath = "/usr/lib/ipsec/starter"
        public var viciSocket = VICIConnection.defaultSocket
        /// Remove the VTI that `init` created when shutting down.
        public var teardownVTI = false
        /// How long charon may take to open its VICI socket.
        public var startupTimeout: Duration = .seconds(15)
        /// Upstream's mounted manual files.
        public var manualFiles = ManualConfiguration.upstreamPaths
        public init() {}
    }

    public let config: TunnelConfig
    public let options: Options
    private let logger: Logger
    private let backend = StrongSwanBackend()
    private let state = Locked(State())

    private struct State: Sendable {
        var daemon: DaemonProcess?
        var stopping = false
        /// Why charon could not be configured (its VICI error): the gateway stops instead of idling.
        var configurationFailure: String?
        /// Held while the gateway runs; released when the gateway object goes away.
        var lock: InstanceLock?
        var installedRoutes: [Route] = []
        /// The operator's own main-table routes to the same destinations that ours replaced: put back when
        /// ours go, so stopping the gateway restores the host's routing as it found it.
        var replacedRoutes: [Route] = []
    }

    public init(config: TunnelConfig, options: Options = Options(), logger: Logger) {
        self.config = config
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        let daemon = try start()
        state.withLock { $0.daemon = daemon }
        let configured = Task.detached { [self] in
            do {
                try await self.configureOverVICI(daemon)
            } catch {
                // A gateway whose tunnel charon refused is useless while it looks alive: say why, loudly,
                // and stop, so the container exits non-zero and the operator sees the reason.
                guard !state.withLock({ $0.stopping }), daemon.exitStatus == nil else { throw error }
                logger.error("charon did not take the configuration: \(error)")
                state.withLock { $0.configurationFailure = "\(error)" }
                await self.stop(daemon)
                throw error
            }
        }
        let status = await withGracefulShutdownHandler {
            await daemon.waitForExit()
        } onGracefulShutdown: { [self] in
            state.withLock { $0.stopping = true }
            Task.detached { await self.stop(daemon) }
        }
        configured.cancel()
        if case .failure(let error) = await configured.result, !state.withLock({ $0.stopping }) {
            // charon exited before we could configure it; its own exit is the more useful report below.
            logger.debug("VICI configuration ended: \(error)")
        }
        removeInstalledRoutes()
        removeSecretFiles()
        if let failure = state.withLock({ $0.configurationFailure }) {
            throw GatewayError.notStarted("charon did not take the configuration: \(failure)")
        }
        if state.withLock({ $0.stopping }) {
            if options.teardownVTI { removeVTI() }
            logger.info("stopped")
            return
        }
        throw GatewayError.daemonExited(status: status, lastLines: daemon.lastLines)
    }

    // MARK: start-up

    private func start() throws -> DaemonProcess {
        try RequiredCapabilities.check()
        warnAboutMissingInterfaces()
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        let launch: DaemonProcess.Launch
        if config.useManualConfig {
            try ManualConfiguration.check(options.manualFiles)
            if !config.manualCharon {
                try writeCharonConfiguration(format: .ipsec, into: &environment)
            }
            launch = .init(executable: options.starterPath, arguments: ["--nofork", "--conf", options.manualFiles.ipsecConf], environment: environment)
            logger.info("starting strongSwan's starter with the mounted \(options.manualFiles.ipsecConf)")
        } else {
            let files = backend.render(config, format: .swanctl)
            // swanctl.conf is written for operators (`swanctl --list-conns --file`); charon gets the same over VICI.
            try ConfigurationFiles.write(files, into: options.runtimeDirectory)
            if !config.manualCharon {
                environment["STRONGSWAN_CONF"] = options.runtimeDirectory + "/strongswan.conf"
            }
            launch = .init(executable: options.charonPath, environment: environment)
            logger.info("starting charon", metadata: ["config": "\(options.runtimeDirectory)"])
        }
        // One gateway per charon socket: the lock, not the socket, decides. Only its holder may remove a
        // stale socket left by a crashed run; a second run must not unlink a live charon's socket.
        let lock = try InstanceLock(path: options.viciSocket + ".lock")
        state.withLock { $0.lock = lock }
        if !config.useManualConfig {
            unlink(options.viciSocket)
            removeSAsLeftByAnEarlierCharon()
        }
        return try DaemonProcess(launch) { line in
            // The throwing write: with SIGPIPE ignored a vanished reader is an error to drop, not a crash.
            try? FileHandle.standardOutput.write(contentsOf: Data(("charon: " + line + "\n").utf8))
        }
    }

    /// A charon that was killed (SIGKILL, OOM) leaves its SAs in the kernel; the next one negotiates new
    /// ones beside them and the old stay until their hard lifetime. We hold the lock, so no charon of ours
    /// runs: the SAs between this tunnel's two endpoints are leftovers and go. Nobody else's are touched.
    private func removeSAsLeftByAnEarlierCharon() {
        guard let remote = config.remote.address else { return }
        let local = config.local.address
        func between(_ a: IPAddress, _ b: IPAddress) -> Bool {
            (a == remote && (local == nil || b == local)) || (b == remote && (local == nil || a == local))
        }
        do {
            let handle = try NetlinkHandle()
            let stale = try handle.xfrmStates().filter { between($0.source, $0.destination) }
            for sa in stale { try? handle.xfrmStateDelete(sa) }
            if !stale.isEmpty { logger.notice("removed \(stale.count) SAs an earlier charon left between \(local.map { "\($0)" } ?? "%any") and \(remote)") }
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

    private func writeCharonConfiguration(format: ConfigFormat, into environment: inout [String: String]) throws {
        let charon = backend.render(config, format: format).filter { $0.path == "strongswan.conf" }
        try ConfigurationFiles.write(charon, into: options.runtimeDirectory)
        environment["STRONGSWAN_CONF"] = options.runtimeDirectory + "/strongswan.conf"
    }

    /// Loads secret and connection, initiates, and (with SET_ROUTE_DEFAULT_TABLE) follows CHILD_SA events.
    private func configureOverVICI(_ daemon: DaemonProcess) async throws {
        guard !config.useManualConfig else {
            if config.setRouteDefaultTable { followChildSAsOnOwnThread(daemon) }
            return
        }
        let client = try await waitForVICI(daemon)
        let name = config.connectionName
        if let psk = config.psk {
            try client.loadSharedKey(psk.secret, owners: backend.sharedKeyOwners(config).map(\.description), id: "ike-\(name)")
        }
        try client.loadConnection(named: name, VICIMessage(backend.connection(config)))
        logger.info("connection loaded", metadata: ["connection": "\(name)", "charon": "\((try? client.version()) ?? "?")"])
        if config.remote != .any {
            // Both gateways start at once in most deployments; if both initiated, charon would keep two IKE_SAs.
            // The side with the higher address lets the other go first and initiates only if nothing came up.
            if let local = config.local.address, case .address(let remote) = config.remote, local.bytes.lexicographicallyPrecedes(remote.bytes) == false {
                try await Task.sleep(for: .seconds(2))
            }
            if TunnelState((try? client.securityAssociations()) ?? [], connection: name) == .down {
                // Return at once: with keyingtries=0 charon keeps trying in the background until the peer answers.
                do {
                    try client.initiate(child: name, ike: name, timeout: .zero)
                } catch {
                    logger.warning("initiate: \(error) (charon keeps retrying)")
                }
            }
        }
        if config.setRouteDefaultTable { followChildSAsOnOwnThread(daemon) }
    }

    private func waitForVICI(_ daemon: DaemonProcess) async throws -> VICIClient {
        let deadline = ContinuousClock.now + options.startupTimeout
        while true {
            if daemon.exitStatus != nil || Task.isCancelled { throw GatewayError.notStarted("charon exited during start-up") }
            if let client = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(10)) { return client }
            guard ContinuousClock.now < deadline else {
                throw GatewayError.notStarted("charon did not open its VICI socket \(options.viciSocket) within \(options.startupTimeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    // MARK: SET_ROUTE_DEFAULT_TABLE

    /// Keeps the main-table route to IPSEC_REMOTENET present exactly while a CHILD_SA is installed, woken by
    /// charon's child-updown events (and re-checked every few seconds in case an event is missed).
    /// Event listening blocks on a socket: it gets a thread of its own, never one of the few cooperative ones.
    private func followChildSAsOnOwnThread(_ daemon: DaemonProcess) {
        let thread = Thread { [self] in
            do {
                try followChildSAs(daemon)
            } catch {
                if !state.withLock({ $0.stopping }) { logger.error("following CHILD_SA events stopped: \(error)") }
            }
        }
        thread.name = "vnf-ipsec child-updown"
        thread.start()
    }

    private func followChildSAs(_ daemon: DaemonProcess) throws {
        let deadline = ContinuousClock.now + options.startupTimeout
        var connected: VICIClient?
        while connected == nil {
            connected = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(10))
            if connected == nil {
                guard daemon.exitStatus == nil, ContinuousClock.now < deadline else { throw GatewayError.notStarted("no VICI socket for CHILD_SA events") }
                usleep(50_000)
            }
        }
        let events = connected!
        try events.connection.register("child-updown")
        events.connection.setTimeout(.seconds(5))
        let query = try VICIClient(socketPath: options.viciSocket)
        while daemon.exitStatus == nil, !state.withLock({ $0.stopping }), !Task.isCancelled {
            // A receive timeout is the periodic re-check; any other error means charon went away.
            if case .failure(let error) = Result(catching: { () throws(VICIError) in try events.connection.receive() }),
               case .io(let what) = error, !what.contains("in time") {
                throw error
            }
            let up = TunnelState((try? query.securityAssociations()) ?? [], connection: config.connectionName) == .up
            do {
                try reconcileDefaultTableRoute(up: up)
            } catch {
                logger.error("main-table route: \(error)")
            }
        }
    }

    func reconcileDefaultTableRoute(up: Bool) throws {
        let handle = try NetlinkHandle()
        let installed = state.withLock { $0.installedRoutes }
        if up, installed.isEmpty {
            guard case .address(let remote) = config.remote else { return }
            let path = try handle.routeGet(to: remote)
            let existing = try handle.routes(table: .main)
            var routes: [Route] = []
            var replaced: [Route] = []
            for network in config.remoteNets where network.address.isIPv6 == remote.isIPv6 {
                var route = Route(destination: network,
                                  outputInterface: path.outputInterface, gateway: path.gateway)
                route.preferredSource = config.localPrivateIP
                let previous = existing.filter { $0.destination == route.destination && $0.metric == route.metric }
                try handle.ensureRoute(route)
                routes.append(route)
                for old in previous where old != route {
                    replaced.append(old)
                    logger.notice("main-table route \(old) replaced while the tunnel is up; it is restored when the tunnel goes down")
                }
                logger.info("main-table route added: \(route)")
            }
            state.withLock { $0.installedRoutes = routes; $0.replacedRoutes = replaced }
        } else if !up, !installed.isEmpty {
            removeInstalledRoutes()
        }
    }

    private func removeInstalledRoutes() {
        let (routes, replaced) = state.withLock { state -> ([Route], [Route]) in
            defer { state.installedRoutes = []; state.replacedRoutes = [] }
            return (state.installedRoutes, state.replacedRoutes)
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

    /// Closes the SAs (the peer is told), then stops charon; bounded to about 5 s in all.
    private func stop(_ daemon: DaemonProcess) async {
        logger.info("shutting down")
        if !config.useManualConfig, let client = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(2)) {
            try? client.terminate(ike: config.connectionName, timeout: .milliseconds(1500))
            try? client.unloadConnection(named: config.connectionName)
        }
        await daemon.stop(grace: .seconds(2))
    }

    /// swanctl.conf holds the PSK; it was written for operators to inspect while the gateway runs and
    /// must not outlive it.
    private func removeSecretFiles() {
        unlink(options.runtimeDirectory + "/swanctl.conf")
    }

    private func removeVTI() {
        guard let setup = VTISetup(config) else { return }
        do {
            try setup.remove(try NetlinkHandle())
            logger.info("removed \(setup.link.attributes.name)")
        } catch {
            logger.warning("removing \(setup.link.attributes.name): \(error)")
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
