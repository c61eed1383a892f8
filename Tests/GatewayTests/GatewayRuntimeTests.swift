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
        enum Call: Equatable { case start, load, stop }
        let instanceLockPath = NSTemporaryDirectory() + "fake-backend-\(UUID().uuidString).lock"
        private let lock = NSLock()
        private var recorded: [Call] = []
        private var exitContinuation: CheckedContinuation<DaemonExit, Never>?
        private var pendingExit: DaemonExit?
        var loadError: String?
        var states: [TunnelState] = []

        var calls: [Call] { lock.withLock { recorded } }

        private func record(_ call: Call) { lock.withLock { recorded.append(call) } }

        func start(_ config: GatewayConfig) async throws { record(.start) }

        func load(_ config: GatewayConfig) async throws {
            record(.load)
            if let loadError { throw GatewayError.notStarted(loadError) }
        }

        func tunnelStates(of config: GatewayConfig) -> AsyncStream<[String: TunnelState]> {
            AsyncStream { continuation in
                for state in states { continuation.yield(Dictionary(uniqueKeysWithValues: config.tunnels.map { ($0.name, state) })) }
                continuation.finish()
            }
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

    func gateway(_ backend: FakeBackend) -> Gateway {
        Gateway(config: Self.config, backend: backend, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
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
