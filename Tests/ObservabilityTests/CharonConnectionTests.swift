import Foundation
import GatewayRuntime
import IPsecCore
import Testing
import TestSupport
import VICI
@testable import Observability

/// The endpoints' one connection to charon: kept from request to request, replaced when charon restarts,
/// and never waiting past its time for a charon that does not answer.
@Suite struct CharonConnectionTests {
    @Test(.enabled(if: Privileges.canUseNamespaces && Privileges.hasCharon, "needs root and strongSwan (scripts/setup.sh)"))
    func keepsOneConnectionAndReconnectsToARestartedCharon() throws {
        let namespace = try NetworkNamespace("obsvici")
        defer { namespace.delete() }
        let stock = "include /etc/strongswan.d/*.conf\ncharon {\n    load_modular = yes\n    plugins {\n        include /etc/strongswan.d/charon/*.conf\n    }\n}\n"
        let first = try CharonInstance(in: namespace, strongswanConf: stock, label: "reconnect")
        defer { first.stop() }
        let config = GatewayConfig(tunnels: [TunnelConfig(name: "branch-a")])
        let endpoints = ObservationEndpoints(viciSocket: first.viciSocket) { ObservationEndpoints.Observed(config: config) }
        for path in ["/healthz", "/metrics", "/readyz", "/healthz", "/metrics"] {
            let answer = endpoints.respond(method: "GET", path: path)
            #expect(answer.status == (path == "/readyz" ? 503 : 200), "\(path): \(answer.body)")
        }
        #expect(endpoints.respond(method: "GET", path: "/metrics").body.contains("vnf_ipsec_charon_up 1.0"))
        #expect(endpoints.charon.connectionsOpened == 1, "one connection for every request")

        // charon restarts on the same socket: the kept connection is dead, and the next request must not
        // fail for it (the old code connected per request; a kept connection without retry answered 503 here).
        first.stop()
        let second = try CharonInstance(in: namespace, strongswanConf: stock, label: "reconnect")
        defer { second.stop() }
        #expect(first.viciSocket == second.viciSocket)
        let health = endpoints.respond(method: "GET", path: "/healthz")
        #expect(health.status == 200, "\(health.body)")
        #expect(endpoints.charon.connectionsOpened == 2)

        second.stop()
        #expect(endpoints.respond(method: "GET", path: "/healthz").status == 503)
        #expect(endpoints.respond(method: "GET", path: "/metrics").body.contains("vnf_ipsec_charon_up 0.0"))
    }

    /// A socket that accepts connections and never answers.
    @Test func aCharonThatDoesNotAnswerCostsTheTimeoutOnly() throws {
        let silent = try UnixSocketServer(named: "silent-charon") { _ in }
        defer { silent.close() }
        let charon = CharonConnection(socketPath: silent.path, timeout: .milliseconds(300))
        for _ in 0..<2 {
            let start = ContinuousClock.now
            #expect(throws: VICIError.self) { try charon.withSession { session throws(VICIError) in try session.client.version() } }
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(250) && waited < .milliseconds(900), "waited \(waited)")
        }
        #expect(charon.connectionsOpened == 2, "a connection that timed out is not used again")
    }
}
