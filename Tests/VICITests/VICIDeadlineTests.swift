import Foundation
import Testing
@testable import VICI

/// `status` against something that answers one byte at a time: the timeout bounds the whole request, not
/// each receive, so a trickling (or hung) peer cannot hold a probe forever.
@Suite struct VICIDeadlineTests {
    /// A UNIX socket that accepts one client and sends a plausible packet header, then one byte every 100 ms.
    final class TricklingServer: @unchecked Sendable {
        let path = NSTemporaryDirectory() + "trickle-\(getpid())-\(UInt32.random(in: 0 ... .max)).vici"
        private let listener: Int32
        private var stop = false

        init() throws {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            listener = fd
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0, listen(fd, 1) == 0 else { throw POSIXError(.EADDRINUSE) }
            let listener = fd
            Thread { [self] in
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                var header: [UInt8] = [0, 0, 0x10, 0]  // announces 4 KiB, then trickles
                _ = send(client, &header, 4, Int32(MSG_NOSIGNAL))
                var byte: UInt8 = 1
                for _ in 0 ..< 600 where !stop {
                    if send(client, &byte, 1, Int32(MSG_NOSIGNAL)) < 0 { break }
                    usleep(100_000)
                }
                Glibc.close(client)
            }.start()
        }

        func close() {
            stop = true
            Glibc.close(listener)
            unlink(path)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aTricklingPeerCannotOutlastTheRequestTimeout() throws {
        let server = try TricklingServer()
        defer { server.close() }
        let client = try VICIClient(socketPath: server.path, timeout: .seconds(1))
        let started = ContinuousClock.now
        #expect(throws: VICIError.self) { _ = try client.securityAssociations() }
        // Each byte arrives well within the per-receive timeout; only a whole-request deadline ends it.
        #expect(ContinuousClock.now - started < .seconds(30), "the request was not bounded as a whole")
    }
}
