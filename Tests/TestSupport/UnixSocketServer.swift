import Foundation

/// A UNIX stream socket at a fresh temporary path, standing in for a daemon (charon's VICI socket) in tests.
/// Every client it accepts is served by `serve` on a thread of its own; when `serve` returns, the server
/// reads until the client hangs up (so the client's own writes never fail) and closes the connection.
/// Knows nothing of what is said: the test's `serve` does.
public final class UnixSocketServer: @unchecked Sendable {
    /// One accepted client.
    public struct Connection: Sendable {
        public let descriptor: Int32
        private let server: UnixSocketServer

        fileprivate init(descriptor: Int32, server: UnixSocketServer) {
            self.descriptor = descriptor
            self.server = server
        }

        /// Whether the test has closed the server: a `serve` that goes on by itself (trickling) stops then.
        public var serverIsClosed: Bool { server.state.withLock { $0.closed } }

        /// Writes all of `bytes`; false when the client has gone.
        @discardableResult
        public func write(_ bytes: [UInt8]) -> Bool {
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard n > 0 else { return false }
                sent += n
            }
            return true
        }

        /// Exactly `count` bytes, or nil when the client hangs up first.
        public func read(exactly count: Int) -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: count), have = 0
            while have < count {
                let n = buffer[have...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                guard n > 0 else { return nil }
                have += n
            }
            return buffer
        }
    }

    private struct State {
        var closed = false
        /// The accepted connections not yet closed: `close()` shuts them down, which ends a `serve` blocked
        /// in a receive. A descriptor leaves this set before it is closed, so it is never shut down reused.
        var open: Set<Int32> = []
    }

    public let path: String
    private let listener: Int32
    private let state = Locked(State())

    /// Listens at a new path in the temporary folder whose name starts with `name`.
    /// - Throws: `POSIXError` when the socket cannot be made, bound or listened on.
    public init(named name: String, serve: @escaping @Sendable (Connection) -> Void) throws {
        path = NSTemporaryDirectory() + "\(name)-\(getpid())-\(UInt32.random(in: 0 ... .max)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { Glibc.close(fd); throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EADDRINUSE
            Glibc.close(fd)
            throw POSIXError(code)
        }
        listener = fd
        // Only this thread closes the listener, after its last accept: closed by `close()` under a blocked
        // accept, the descriptor could be reused by another test's socket and accepted on.
        Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { break }
                let accepted = state.withLock { state in
                    guard !state.closed else { return false }
                    state.open.insert(client)
                    return true
                }
                guard accepted else { Glibc.close(client); break }
                Thread { [self] in
                    serve(Connection(descriptor: client, server: self))
                    var sink = [UInt8](repeating: 0, count: 4096)
                    while recv(client, &sink, sink.count, 0) > 0 {}
                    state.withLock { _ = $0.open.remove(client) }
                    Glibc.close(client)
                }.start()
            }
            Glibc.close(fd)
        }.start()
    }

    /// Stops accepting, ends every connection and removes the socket's path. Idempotent.
    public func close() {
        let first = state.withLock { state in
            defer { state.closed = true }
            for client in state.open { shutdown(client, Int32(SHUT_RDWR)) }
            return !state.closed
        }
        guard first else { return }
        // Wakes the accept (Linux ends it with EINVAL); the accepting thread closes the descriptor.
        shutdown(listener, Int32(SHUT_RDWR))
        unlink(path)
    }
}
