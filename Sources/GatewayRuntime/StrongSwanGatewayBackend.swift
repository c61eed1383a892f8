import Foundation
import IPsecCore
import Logging
import VICI

/// strongSwan as the gateway's IKE daemon: charon (or, in upstream's manual mode, the starter) supervised
/// as a child process, configured over VICI with exactly the tree swanctl.conf holds.
public final class StrongSwanGatewayBackend: GatewayBackend {
    public struct Options: Sendable {
        /// Where generated files go (the container's tmpfs).
        public var runtimeDirectory = "/run/vnf-ipsec"
        public var charonPath = "/usr/lib/ipsec/charon"
        public var starterPath = "/usr/lib/ipsec/starter"
        public var viciSocket = VICIConnection.defaultSocket
        /// How long charon may take to open its VICI socket.
        public var startupTimeout: Duration = .seconds(15)
        /// Upstream's mounted manual files.
        public var manualFiles = ManualConfiguration.upstreamPaths
        public init() {}
    }

    public let options: Options
    private let logger: Logger
    /// Where charon's output lines go (the container log).
    private let output: @Sendable (String) -> Void
    private let renderer = StrongSwanBackend()
    private let daemon = Locked<DaemonProcess?>(nil)
    /// The private key each certificate tunnel's charon holds (`load-key`'s identifier), by tunnel name:
    /// a rotated key replaces the old one, which is then unloaded once no tunnel uses it.
    private let loadedKeys = Locked<[String: String]>([:])
    /// The CA certificates (PEM blocks) loaded so far: one no tunnel names any more is still trusted by
    /// charon until the credentials are cleared.
    private let loadedAuthorities = Locked<Set<String>>([])

    /// - Parameter output: receives every line charon prints; by default they go to stdout as `charon: …`.
    public init(options: Options = Options(), logger: Logger,
                output: @escaping @Sendable (String) -> Void = StrongSwanGatewayBackend.standardOutput) {
        self.options = options
        self.logger = logger
        self.output = output
    }

    /// The throwing write: with SIGPIPE ignored a vanished reader is an error to drop, not a crash.
    public static let standardOutput: @Sendable (String) -> Void = { line in
        try? FileHandle.standardOutput.write(contentsOf: Data(("charon: " + line + "\n").utf8))
    }

    /// One gateway per charon socket: a lock next to it.
    public var instanceLockPath: String { options.viciSocket + ".lock" }

    // MARK: start

    public func start(_ config: GatewayConfig) async throws {
        var environment = ["PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        let launch: DaemonProcess.Launch
        if config.isManual {
            try ManualConfiguration.check(options.manualFiles)
            if config.charonSettings == .generated {
                let charon = renderer.render(config, format: .ipsec).filter { $0.path == "strongswan.conf" }
                try ConfigurationFiles.write(charon, into: options.runtimeDirectory)
                environment["STRONGSWAN_CONF"] = options.runtimeDirectory + "/strongswan.conf"
            }
            launch = .init(executable: options.starterPath, arguments: ["--nofork", "--conf", options.manualFiles.ipsecConf], environment: environment)
            logger.info("starting strongSwan's starter with the mounted \(options.manualFiles.ipsecConf)")
        } else {
            let files = renderer.render(config, format: .swanctl)
            // swanctl.conf is written for operators (`swanctl --list-conns --file`); charon gets the same over VICI.
            try ConfigurationFiles.write(files, into: options.runtimeDirectory)
            if config.charonSettings == .generated {
                environment["STRONGSWAN_CONF"] = options.runtimeDirectory + "/strongswan.conf"
            }
            launch = .init(executable: options.charonPath, environment: environment)
            logger.info("starting charon", metadata: ["config": "\(options.runtimeDirectory)"])
            // The caller holds the instance lock: a socket here is a crashed run's, never a live charon's.
            unlink(options.viciSocket)
        }
        let process = try DaemonProcess(launch, onLine: output)
        daemon.withLock { $0 = process }
        if !config.isManual {
            do {
                _ = try await connect(to: process)
            } catch {
                await process.stop(grace: .seconds(2))
                throw error
            }
        }
    }

    /// charon opens its socket once its plugins are loaded, about a second after start. The socket's
    /// folder is watched (inotify): each new entry there is a moment to try; charon's exit and the start-up
    /// timeout end the wait. Where the folder cannot be watched, the socket is tried every 20 ms instead.
    private func connect(to process: DaemonProcess) async throws -> VICIClient {
        let deadline = ContinuousClock.now + options.startupTimeout
        let folder = (options.viciSocket as NSString).deletingLastPathComponent
        if let client = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(10)) { return client }
        if let watch = FolderChanges(folder: folder, until: deadline) {
            process.whenExited { watch.finish() }
            // A try after subscribing too: the socket may have appeared in between.
            if let client = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(10)) { return client }
            for await _ in watch.changes {
                if let client = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(10)) { return client }
            }
        } else {
            while process.exitStatus == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                if let client = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(10)) { return client }
            }
        }
        try Task.checkCancellation()
        if process.exitStatus != nil { throw GatewayError.notStarted("charon exited during start-up") }
        throw GatewayError.notStarted("charon did not open its VICI socket \(options.viciSocket) within \(options.startupTimeout)")
    }

    // MARK: load

    public func load(_ config: GatewayConfig) async throws {
        guard !config.isManual else { return }  // the starter loads the mounted files itself
        let client = try VICIClient(socketPath: options.viciSocket, timeout: .seconds(10))
        try load(config.tunnels, client: client)
        // The names only while they fit on a line; with many tunnels `status` lists them.
        var metadata: Logger.Metadata = ["charon": "\((try? client.version()) ?? "?")"]
        if config.tunnels.count <= 10 { metadata["connection"] = "\(config.tunnels.map(\.name).joined(separator: ","))" }
        logger.info("\(config.tunnels.count == 1 ? "connection" : "\(config.tunnels.count) connections") loaded", metadata: metadata)
        try await start(config.tunnels, client: client)
    }

    /// The tunnels' keys, then their connections in as few messages as fit.
    private func load(_ tunnels: [TunnelConfig], client: VICIClient) throws {
        try loadKeys(tunnels, client: client)
        try loadCertificates(tunnels, client: client)
        try loadConnections(tunnels, client: client)
    }

    /// Each certificate tunnel's key, certificate (with its file's intermediates), CAs and CRL, from the
    /// text read when the configuration was loaded; nothing is written to disk. charon finds the
    /// certificate by the connection's identity and the key by the certificate. Loading the same
    /// certificate again is harmless (charon keeps one copy). Keys no tunnel uses any more are unloaded
    /// after the new ones are in, so new handshakes use the new key and established SAs are not touched.
    private func loadCertificates(_ tunnels: [TunnelConfig], client: VICIClient) throws {
        // Tunnels usually share one certificate, key and CA: each is sent once per load.
        var keyIDs: [String: String] = [:]
        var sent = Set<String>()
        for tunnel in tunnels {
            guard let certificates = tunnel.certificates, let key = certificates.privateKey.block else { continue }
            let id = try keyIDs[key.text] ?? client.loadKey(key.text)
            keyIDs[key.text] = id
            for certificate in certificates.authorityCertificates where sent.insert(certificate).inserted {
                try client.loadCertificate(certificate, kind: .authority)
                loadedAuthorities.withLock { _ = $0.insert(certificate) }
            }
            for certificate in certificates.certificateChain where sent.insert(certificate).inserted {
                try client.loadCertificate(certificate, kind: .endEntity)
            }
            if let crl = certificates.revocationListBlock, sent.insert(crl).inserted { try client.loadCertificate(crl, kind: .revocationList) }
            loadedKeys.withLock { $0[tunnel.name] = id }
        }
    }

    /// Unloads the keys that were loaded for tunnels that are gone or have another key now.
    private func unloadUnusedKeys(removed: [TunnelConfig], client: VICIClient, previous: Set<String>) {
        let inUse = loadedKeys.withLock { keys in
            for tunnel in removed { keys[tunnel.name] = nil }
            return Set(keys.values)
        }
        for id in previous.subtracting(inUse) {
            do {
                try client.unloadKey(id: id)
            } catch {
                logger.warning("unloading a replaced private key: \(error)")
            }
        }
    }

    private func loadKeys(_ tunnels: [TunnelConfig], client: VICIClient) throws {
        for tunnel in tunnels {
            guard let psk = tunnel.psk else { continue }
            try client.loadSharedKey(psk.secret, owners: renderer.sharedKeyOwners(tunnel).map(\.description),
                                     id: StrongSwanBackend.sharedKeyID(tunnel))
        }
    }

    private func loadConnections(_ tunnels: [TunnelConfig], client: VICIClient) throws {
        guard !tunnels.isEmpty else { return }
        try client.loadConnections(tunnels.map { ($0.name, VICIMessage(renderer.connection($0))) })
    }

    /// Both gateways start at once in most deployments; if both initiated, charon would keep two IKE_SAs.
    /// In the automatic role the side with the higher address lets the other go first and initiates only
    /// if nothing came up; an initiator goes at once; a responder never.
    private func start(_ tunnels: [TunnelConfig], client: VICIClient) async throws {
        let initiating = tunnels.filter(\.runInitiates)
        let waiting = initiating.filter { tunnel in
            guard tunnel.behaviour.role == .automatic, let local = tunnel.local.address, let remote = tunnel.remote.address else { return false }
            return !local.bytes.lexicographicallyPrecedes(remote.bytes)
        }
        let waitingNames = Set(waiting.map(\.name))
        initiate(initiating.filter { !waitingNames.contains($0.name) }, client: client)
        if !waiting.isEmpty {
            try await Task.sleep(for: .seconds(2))
            initiate(waiting, client: client)
        }
    }

    // MARK: reload

    public func apply(_ change: ConfigurationChange, config: GatewayConfig) async throws {
        guard !config.isManual else { return }
        let client = try VICIClient(socketPath: options.viciSocket, timeout: .seconds(10))
        // Removed: the peers are told, the connections and keys go.
        let open = Set(((try? client.securityAssociations()) ?? []).map(\.name))
        for tunnel in change.removed {
            if open.contains(tunnel.name) { try? client.terminate(ike: tunnel.name, timeout: nil) }
            try client.unloadConnection(named: tunnel.name)
            if tunnel.psk != nil { try? client.unloadSharedKey(id: StrongSwanBackend.sharedKeyID(tunnel)) }
        }
        try clearCredentialsIfACAWasRemoved(config, client: client)
        let keysBefore = Set(loadedKeys.withLock { $0.values })
        // Changed: only what the change needs (see ConfigurationChange).
        try loadKeys(change.changed.filter(\.loadKey).map(\.new), client: client)
        try loadCertificates(change.changed.filter(\.loadCertificates).map(\.new), client: client)
        // A tunnel that went back to a PSK keeps no key.
        loadedKeys.withLock { keys in for tunnel in change.changed where tunnel.new.certificates == nil { keys[tunnel.new.name] = nil } }
        try loadConnections(change.changed.filter(\.loadConnection).map(\.new), client: client)
        let renegotiated = change.changed.filter(\.renegotiate).map(\.new)
        for tunnel in renegotiated where open.contains(tunnel.name) {
            try? client.terminate(ike: tunnel.name, timeout: .milliseconds(1500))
        }
        // Added: loaded like at start.
        try load(change.added, client: client)
        unloadUnusedKeys(removed: change.removed, client: client, previous: keysBefore)
        try await start(renegotiated + change.added, client: client)
    }

    /// A CA no tunnel names any more must stop being trusted now, not at the next restart. VICI cannot
    /// unload one certificate, so every credential loaded over VICI goes (`clear-creds`) and those of
    /// the configuration are loaded again at once: PSKs, keys, certificates, CAs, CRLs. Established SAs
    /// stay; a handshake that needs a credential in the few milliseconds between fails and is retried.
    private func clearCredentialsIfACAWasRemoved(_ config: GatewayConfig, client: VICIClient) throws {
        let wanted = Set(config.tunnels.flatMap { $0.certificates?.authorityCertificates ?? [] })
        let removed = loadedAuthorities.withLock { $0.subtracting(wanted) }
        guard !removed.isEmpty else { return }
        logger.notice("\(removed.count == 1 ? "a CA was" : "\(removed.count) CAs were") taken out of the configuration: charon's credentials are cleared and loaded again, so it no longer trusts \(removed.count == 1 ? "it" : "them") (established SAs stay)")
        try client.clearCredentials()
        loadedKeys.withLock { $0 = [:] }
        loadedAuthorities.withLock { $0 = [] }
        try loadKeys(config.tunnels, client: client)
        try loadCertificates(config.tunnels, client: client)
    }

    /// The swanctl.conf operators read (`swanctl --list-conns --file`) made what charon now has: rendered
    /// whole, so it follows the reload rather than delaying it.
    public func afterReload(_ config: GatewayConfig) {
        do {
            try ConfigurationFiles.write(renderer.render(config, format: .swanctl).filter { $0.path == "swanctl.conf" }, into: options.runtimeDirectory)
        } catch {
            logger.warning("\(error)")
        }
    }

    public func initiate(_ tunnels: [TunnelConfig]) async {
        guard !tunnels.isEmpty, let client = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(5)) else { return }
        guard let sas = try? client.securityAssociations(waitingForBusy: true) else { return }
        let busy = Set(sas.map(\.name))
        initiate(tunnels.filter { !busy.contains($0.name) }, client: client)
    }

    /// Starts each tunnel that has no SA yet. Returns at once: with keyingtries=0 charon keeps trying in
    /// the background until the peer answers.
    private func initiate(_ tunnels: [TunnelConfig], client: VICIClient) {
        guard !tunnels.isEmpty else { return }
        let sas = (try? client.securityAssociations()) ?? []
        for tunnel in tunnels where TunnelState(sas, connection: tunnel.name) == .down {
            do {
                try client.initiate(child: tunnel.name, ike: tunnel.name, timeout: .zero)
            } catch {
                logger.warning("initiate: \(error) (charon keeps retrying)", metadata: ["connection": "\(tunnel.name)"])
            }
        }
    }

    // MARK: state

    /// charon's SAs, listed on a thread of the stream's own: VICI event reading blocks on a socket, and
    /// Swift's cooperative threads must never block. A receive times out after `refresh`, which is the
    /// periodic list and the moment the thread notices it should end. Each event is answered by a list
    /// with that event applied (reading a burst of events into one list was tried, and made a route-based
    /// tunnel closed by an operator come back a refresh later in lab 15: see the commit).
    public func securityAssociations(refreshingEvery refresh: Duration) -> AsyncStream<SASnapshot> {
        let socket = options.viciSocket
        let process = daemon.withLock { $0 }
        let logger = self.logger
        let startupTimeout = options.startupTimeout
        return AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let ended = Locked(false)
            let listening = Locked<VICIConnection?>(nil)
            continuation.onTermination = { _ in
                // The consumer is gone (its task ended or was cancelled): unblock the reader now.
                ended.withLock { $0 = true }
                listening.withLock { $0 }?.interrupt()
            }
            let reader = Thread {
                defer { continuation.finish() }
                // In manual mode the starter starts charon, so its socket may still be on its way.
                let deadline = ContinuousClock.now + startupTimeout
                var connected: (events: VICIClient, query: VICIClient)?
                while connected == nil, !ended.withLock({ $0 }), process?.exitStatus == nil, ContinuousClock.now < deadline {
                    if let events = try? VICIClient(socketPath: socket, timeout: .seconds(10)),
                       let query = try? VICIClient(socketPath: socket, timeout: .seconds(5)),
                       Self.followedEvents.allSatisfy({ (try? events.connection.register($0)) != nil }) {
                        connected = (events, query)
                    } else {
                        usleep(50_000)
                    }
                }
                guard let (events, query) = connected else {
                    if !ended.withLock({ $0 }) { logger.error("cannot follow charon's SA events on \(socket)") }
                    return
                }
                listening.withLock { $0 = events.connection }
                if ended.withLock({ $0 }) { return }
                events.connection.setTimeout(refresh)
                // The SAs as they are now first (what the kernel must be reconciled with at start), then
                // after each event and each `refresh` without one.
                var first = true
                while !ended.withLock({ $0 }), process?.exitStatus == nil {
                    var event: UpdownEvent?
                    if !first {
                        switch Result(catching: { () throws(VICIError) in try events.connection.receive() }) {
                        case .success(let packet): event = UpdownEvent(packet)
                        case .failure(.io(let what)) where !what.contains("in time"): return  // charon went away
                        case .failure: break
                        }
                    }
                    first = false
                    // Waiting for busy IKE_SAs: one charon is busy with (a DPD exchange, the event's own)
                    // must not look absent, or its VTI would go down.
                    guard var sas = try? query.securityAssociations(waitingForBusy: true) else { continue }
                    let taken = ContinuousClock.now
                    if let event { sas = event.apply(to: sas) }
                    continuation.yield(SASnapshot(sas: sas, taken: taken))
                }
            }
            reader.name = "vnf-ipsec SA events"
            reader.start()
        }
    }

    /// What changes a tunnel's SAs: up and down, and rekeying (new SPIs, new unique IDs).
    static let followedEvents = ["child-updown", "ike-updown", "child-rekey", "ike-rekey"]

    // MARK: exit and stop

    public func waitForExit() async -> DaemonExit {
        guard let process = daemon.withLock({ $0 }) else { return DaemonExit(status: 0, lastLines: []) }
        let status = await withTaskCancellationHandler {
            await process.waitForExit()
        } onCancel: {
            process.terminate(grace: .seconds(2))
        }
        return DaemonExit(status: status, lastLines: process.lastLines)
    }

    public func stop(_ config: GatewayConfig) async {
        if !config.isManual, let client = try? VICIClient(socketPath: options.viciSocket, timeout: .seconds(2)) {
            // Every IKE_SA is asked to close at once (charon sends each peer its DELETE), then the peers'
            // answers are awaited together for at most 1.5 s, however many tunnels there are.
            let names = Set(config.tunnels.map(\.name))
            let open = ((try? client.securityAssociations()) ?? []).filter { names.contains($0.name) }
            for name in Set(open.map(\.name)) { try? client.terminate(ike: name, timeout: nil) }
            let deadline = ContinuousClock.now + .milliseconds(1500)
            while !open.isEmpty, ContinuousClock.now < deadline,
                  ((try? client.securityAssociations()) ?? []).contains(where: { names.contains($0.name) }) {
                try? await Task.sleep(for: .milliseconds(20))
            }
            for name in config.tunnels.map(\.name) { try? client.unloadConnection(named: name) }
        }
        await daemon.withLock { $0 }?.stop(grace: .seconds(2))
        // swanctl.conf holds the PSK; it was written for operators to inspect while the gateway runs.
        unlink(options.runtimeDirectory + "/swanctl.conf")
    }
}
