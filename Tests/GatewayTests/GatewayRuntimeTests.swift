import Foundation
import IPsecCore
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import VICI
@testable import GatewayRuntime

/// The gateway runtime against a fake daemon: the order of its work and how each ending is reported, with
/// no charon, no VICI and no kernel changes (the fake's tunnel is between documentation addresses, so the
/// runtime's kernel clean-up finds nothing to touch).
@Suite(.enabled(if: getuid() == 0, "the runtime checks CAP_NET_ADMIN and CAP_NET_BIND_SERVICE before it starts"))
struct GatewayRuntimeTests {
    /// A daemon that does what each test tells it and records what the runtime asked for.
    final class FakeBackend: GatewayBackend, @unchecked Sendable {
        enum Call: Equatable { case start, load, stop, apply(added: [String], changed: [String], removed: [String]) }
        let instanceLockPath = NSTemporaryDirectory() + "fake-backend-\(UUID().uuidString).lock"
        private let lock = NSLock()
        private var recorded: [Call] = []
        private var exitContinuation: CheckedContinuation<DaemonExit, Never>?
        private var pendingExit: DaemonExit?
        var loadError: String?
        /// Runs while the daemon loads the first configuration (the seconds charon takes in production).
        var duringLoad: (@Sendable () throws -> Void)?
        var states: [TunnelState] = []
        private var listings = 0

        var calls: [Call] { lock.withLock { recorded } }
        /// How many SA lists the runtime asked for.
        var saListings: Int { lock.withLock { listings } }

        private func record(_ call: Call) { lock.withLock { recorded.append(call) } }

        func start(_ config: GatewayConfig) async throws { record(.start) }

        func load(_ config: GatewayConfig) async throws {
            record(.load)
            try duringLoad?()
            if let loadError { throw GatewayError.notStarted(loadError) }
        }

        func apply(_ change: ConfigurationChange, config: GatewayConfig) async throws {
            record(.apply(added: change.added.map(\.name), changed: change.changed.map(\.new.name), removed: change.removed.map(\.name)))
        }

        func securityAssociations(refreshingEvery refresh: Duration) -> AsyncStream<SASnapshot> {
            lock.withLock { listings += 1 }
            return AsyncStream { continuation in
                for state in states { continuation.yield(SASnapshot(sas: Self.sas(of: "vnf-ipsec", in: state), taken: .now)) }
                continuation.finish()
            }
        }

        /// What charon lists for a connection in `state`.
        static func sas(of connection: String, in state: TunnelState) -> [IKESAStatus] {
            guard state != .down else { return [] }
            var ike = VICIMessage()
            ike.append("uniqueid", "1")
            ike.append("state", "ESTABLISHED")
            if state == .up {
                var child = VICIMessage()
                child.append("name", connection)
                child.append("uniqueid", "1")
                child.append("state", "INSTALLED")
                var children = VICIMessage()
                children.append("\(connection)-1", section: child)
                ike.append("child-sas", section: children)
            }
            return [IKESAStatus(name: connection, ike)]
        }

        func waitForExit() async -> DaemonExit {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let ready = lock.withLock { () -> DaemonExit? in
                        if let pendingExit { return pendingExit }
                        exitContinuation = continuation
                        return nil
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            } onCancel: {
                self.exit(DaemonExit(status: 15, lastLines: ["terminated"]))
            }
        }

        /// The daemon ends (by itself, or because it was stopped).
        func exit(_ exit: DaemonExit) {
            let waiting = lock.withLock { () -> CheckedContinuation<DaemonExit, Never>? in
                guard pendingExit == nil else { return nil }
                pendingExit = exit
                defer { exitContinuation = nil }
                return exitContinuation
            }
            waiting?.resume(returning: exit)
        }

        func stop(_ config: GatewayConfig) async {
            record(.stop)
            exit(DaemonExit(status: 0, lastLines: []))
        }
    }

    static let config = try! GatewayConfig.load(environment: [
        "IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_LOCALNET": "198.51.100.0/24",
        "IPSEC_REMOTENET": "203.0.113.0/24", "IPSEC_PSK": "runtime-test-psk-0123456789",
    ]).config

    func gateway(_ backend: FakeBackend, options: Gateway.Options = Gateway.Options()) -> Gateway {
        Gateway(config: Self.config, backend: backend, options: options, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A folder of the test's own (0700) for the configuration file it rewrites; the caller removes it.
    static func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "reload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return folder
    }

    /// Two policy-based tunnels in a file the test rewrites; the gateway reloads from it.
    static func twoTunnels(_ second: String = "10.2.0.0/16", third: Bool = false) -> String {
        var yaml = """
            defaults: {localip: 192.0.2.1, localnet: 172.16.0.0/16}
            tunnels:
              - {name: one, remoteip: 198.51.100.1, remotenet: 10.1.0.0/16, psk: one-key-0123456789abcdefgh}
              - {name: two, remoteip: 198.51.100.2, remotenet: "\(second)", psk: two-key-0123456789abcdefgh}

            """
        if third { yaml += "  - {name: three, remoteip: 198.51.100.3, remotenet: 10.3.0.0/16, psk: three-key-0123456789abcdefgh}\n" }
        return yaml
    }

    /// A gateway on `twoTunnels()` read from a file, with reloading from it and a status file.
    /// `firstLines` go before the tunnels (gateway-wide keys).
    func reloadingGateway(_ backend: FakeBackend, folder: String, firstLines: String = "") throws -> Gateway {
        try (firstLines + Self.twoTunnels()).write(toFile: folder + "/gateway.yaml", atomically: true, encoding: .utf8)
        let environment = ["IPSEC_CONFIG_FILE": folder + "/gateway.yaml"]
        var options = Gateway.Options()
        options.statusFile = folder + "/status.json"
        options.reloading = ConfigurationReloading(load: { try GatewayConfig.load(environment: environment) },
                                                   watchedFiles: { _ in [folder + "/gateway.yaml"] })
        return Gateway(config: try GatewayConfig.load(environment: environment).config, backend: backend, options: options,
                       logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test(.timeLimit(.minutes(1)))
    func withReloadOnChangeOffOnlySIGHUPReloads() async throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let backend = FakeBackend()
        let gateway = try reloadingGateway(backend, folder: folder, firstLines: "reload_on_change: no\n")
        let run = Task { try await gateway.run() }
        await eventually { status(folder) != nil }
        try ("reload_on_change: no\n" + Self.twoTunnels(third: true)).write(toFile: folder + "/gateway.yaml", atomically: true, encoding: .utf8)
        try await Task.sleep(for: .seconds(1))
        #expect(status(folder)?.lastReload == nil && gateway.config.tunnels.count == 2, "reloaded by itself")
        gateway.reload(because: "SIGHUP")
        await eventually { status(folder)?.tunnels.count == 3 }
        #expect(backend.calls.last == .apply(added: ["three"], changed: [], removed: []), "\(backend.calls)")
        run.cancel()
        try await run.value
    }

    /// A file changed while charon starts and loads the first configuration is applied once that is done.
    /// The files' state used to be remembered after the load, as if the change had been loaded with it.
    @Test(.timeLimit(.minutes(1)))
    func aFileChangedWhileTheFirstConfigurationLoadsIsReloaded() async throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let backend = FakeBackend()
        let gateway = try reloadingGateway(backend, folder: folder)
        backend.duringLoad = { try Self.twoTunnels("10.22.0.0/16").write(toFile: folder + "/gateway.yaml", atomically: true, encoding: .utf8) }
        let run = Task { try await gateway.run() }
        await eventually { backend.calls.contains { if case .apply = $0 { true } else { false } } }
        #expect(backend.calls.last == .apply(added: [], changed: ["two"], removed: []), "\(backend.calls)")
        #expect(gateway.config.tunnels.last?.remoteNets.map(\.description) == ["10.22.0.0/16"])
        run.cancel()
        try await run.value
    }

    func status(_ folder: String) -> ConfigurationStatus? {
        FileManager.default.contents(atPath: folder + "/status.json").flatMap { try? JSONDecoder().decode(ConfigurationStatus.self, from: $0) }
    }

    @Test(.timeLimit(.minutes(1)))
    func aReloadAppliesOnlyTheDifferenceAndARefusedFileChangesNothing() async throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let backend = FakeBackend()
        let gateway = try reloadingGateway(backend, folder: folder)
        let run = Task { try await gateway.run() }
        await eventually { status(folder) != nil }
        #expect(status(folder)?.tunnels == ["one", "two"])

        // SIGHUP with nothing changed: nothing applied.
        gateway.reload(because: "SIGHUP")
        await eventually { status(folder)?.lastReload != nil }
        #expect(status(folder)?.lastReload?.summary == "no tunnel changed")
        #expect(!backend.calls.contains { if case .apply = $0 { true } else { false } })

        // A tunnel added and one changed: exactly those reach the daemon.
        try Self.twoTunnels("10.22.0.0/16", third: true).write(toFile: folder + "/gateway.yaml", atomically: true, encoding: .utf8)
        gateway.reload(because: "SIGHUP")
        await eventually { status(folder)?.tunnels.count == 3 }
        #expect(backend.calls.last == .apply(added: ["three"], changed: ["two"], removed: []), "\(backend.calls)")
        #expect(status(folder)?.lastReload?.succeeded == true)
        #expect(gateway.config.tunnels.map(\.name) == ["one", "two", "three"])

        // A broken file: refused with every problem, the running configuration stays, nothing applied.
        let applied = backend.calls.count
        try "tunnels:\n  - {name: one, remoteip: 300.1.1.1}\n".write(toFile: folder + "/gateway.yaml", atomically: true, encoding: .utf8)
        gateway.reload(because: "SIGHUP")
        await eventually { status(folder)?.lastReload?.succeeded == false }
        let refused = try #require(status(folder)?.lastReload)
        #expect(refused.problems.contains { $0.contains("tunnel one: remoteip=\"300.1.1.1\"") }, "\(refused)")
        #expect(backend.calls.count == applied && gateway.config.tunnels.count == 3 && run.isCancelled == false)

        // Written back as it was, minus a tunnel: the watcher sees the file change by itself.
        try Self.twoTunnels("10.22.0.0/16").write(toFile: folder + "/gateway.yaml", atomically: true, encoding: .utf8)
        await eventually { status(folder)?.tunnels.count == 2 }
        #expect(backend.calls.last == .apply(added: [], changed: [], removed: ["three"]), "\(backend.calls)")
        #expect(status(folder)?.lastReload?.reason == "a configuration file changed")
        run.cancel()
        try await run.value
    }

    /// Waits (bounded) until `condition` holds, yielding to the runtime in between.
    func eventually(_ condition: () -> Bool) async {
        for _ in 0 ..< 500 where !condition() { try? await Task.sleep(for: .milliseconds(10)) }
    }

    @Test(.timeLimit(.minutes(1)))
    func aGracefulShutdownStopsTheDaemonAndReturns() async throws {
        let backend = FakeBackend()
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await gateway(backend).run() }
                await eventually { backend.calls.contains(.load) }
                trigger.triggerGracefulShutdown()
                try await group.next()
            }
        }
        #expect(backend.calls.prefix(3) == [.start, .load, .stop], "\(backend.calls)")
    }

    @Test(.timeLimit(.minutes(1)))
    func aRefusedConfigurationStopsTheDaemonAndFailsWithTheReason() async {
        let backend = FakeBackend()
        backend.loadError = "no key exchange group in proposal 1"
        let error = await #expect(throws: GatewayError.self) { try await gateway(backend).run() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("no key exchange group in proposal 1"))
        #expect(backend.calls.prefix(3) == [.start, .load, .stop], "\(backend.calls)")
    }

    @Test(.timeLimit(.minutes(1)))
    func aDaemonThatDiesEndsRunWithItsLastLines() async {
        let backend = FakeBackend()
        let run = Task { try await gateway(backend).run() }
        await eventually { backend.calls.contains(.load) }
        backend.exit(DaemonExit(status: 9, lastLines: ["killed by the OOM killer"]))
        await #expect(throws: GatewayError.daemonExited(status: 9, lastLines: ["killed by the OOM killer"])) { try await run.value }
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellationEndsRunAndTheDaemon() async throws {
        let backend = FakeBackend()
        let run = Task { try await gateway(backend).run() }
        await eventually { backend.calls.contains(.load) }
        run.cancel()
        try await run.value  // returns: a cancelled gateway is a stopped one
        #expect(backend.calls.contains(.stop))
    }

    /// Listing every 2 s costs the daemon time per tunnel: a policy-based gateway without main-table
    /// routes keeps the list only when asked to (the metrics endpoints read it).
    @Test(.timeLimit(.minutes(1)), arguments: [false, true])
    func theSAListIsKeptOnlyForAReader(kept: Bool) async throws {
        let backend = FakeBackend()
        backend.states = [.up]
        var options = Gateway.Options()
        options.keepsSecurityAssociations = kept
        let gateway = gateway(backend, options: options)
        let run = Task { try await gateway.run() }
        await eventually { backend.calls.contains(.load) }
        if kept { await eventually { gateway.securityAssociations != nil } }
        run.cancel()
        try await run.value
        #expect(backend.saListings == (kept ? 1 : 0))
        #expect((gateway.securityAssociations?.sas.map(\.name) ?? []) == (kept ? ["vnf-ipsec"] : []))
    }

    @Test(.timeLimit(.minutes(1)))
    func aSecondGatewayOnTheSameDaemonIsRefused() async throws {
        let backend = FakeBackend()
        let first = Task { try await gateway(backend).run() }
        await eventually { backend.calls.contains(.load) }
        await #expect(throws: GatewayError.self) { try await gateway(backend).run() }
        #expect(backend.calls.filter { $0 == .start }.count == 1, "the second gateway started the daemon again")
        first.cancel()
        try await first.value
    }
}

extension GatewayError: Equatable {
    public static func == (lhs: GatewayError, rhs: GatewayError) -> Bool { "\(lhs)" == "\(rhs)" }
}
