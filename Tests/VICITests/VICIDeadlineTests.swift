import Foundation
import Testing
import TestSupport
@testable import VICI

/// `status` against something that answers one byte at a time: the timeout bounds the whole request, not
/// each receive, so a trickling (or hung) peer cannot hold a probe forever.
@Suite struct VICIDeadlineTests {
    /// A socket that sends each client a plausible packet header, then one byte every 100 ms.
    static func tricklingServer() throws -> UnixSocketServer {
        try UnixSocketServer(named: "trickle") { client in
            client.write([0, 0, 0x10, 0])  // announces 4 KiB, then trickles
            for _ in 0 ..< 600 where !client.serverIsClosed {
                guard client.write([1]) else { break }
                usleep(100_000)
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aTricklingPeerCannotOutlastTheRequestTimeout() throws {
        let server = try Self.tricklingServer()
        defer { server.close() }
        let client = try VICIClient(socketPath: server.path, timeout: .seconds(1))
        let started = ContinuousClock.now
        #expect(throws: VICIError.self) { _ = try client.securityAssociations() }
        // Each byte arrives well within the per-receive timeout; only a whole-request deadline ends it.
        #expect(ContinuousClock.now - started < .seconds(30), "the request was not bounded as a whole")
    }
}
