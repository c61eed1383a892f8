import Foundation
import IPsecCore
import NetlinkKit

/// One data-plane probe attempt: a non-blocking TCP connect to the target, waited for with poll(2). A
/// connection or a refusal (RST) is an answer that crossed the tunnel both ways; anything else within the
/// timeout is a loss.
enum TunnelProbe {
    enum Attempt: Sendable, Equatable {
        case answered(Duration)
        case lost(String)
    }

    /// Blocks for at most `timeout`: call it off the cooperative pool.
    static func attempt(to target: ListenAddress, from source: IPAddress?, timeout: Duration) -> Attempt {
        let family = target.address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .lost("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let source {
            let bound = withSocketAddress(source, port: 0) { bind(fd, $0, $1) }
            guard bound == 0 else { return .lost("bind \(source): \(String(cString: strerror(errno)))") }
        }
        let started = ContinuousClock.now
        let connected = withSocketAddress(target.address, port: target.port) { connect(fd, $0, $1) }
        if connected == 0 || errno == ECONNREFUSED { return .answered(ContinuousClock.now - started) }
        guard errno == EINPROGRESS else { return .lost(String(cString: strerror(errno))) }
        var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let milliseconds = Int32(max(1, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        var ready: Int32
        repeat { ready = poll(&poller, 1, milliseconds) } while ready < 0 && errno == EINTR
        guard ready > 0 else { return .lost(ready == 0 ? "no answer within \(timeout)" : String(cString: strerror(errno))) }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        if error == 0 || error == ECONNREFUSED { return .answered(ContinuousClock.now - started) }
        return .lost(String(cString: strerror(error)))
    }

    private static func withSocketAddress<T>(_ address: IPAddress, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if address.isIPv6 {
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &storage.sin6_addr) { $0.copyBytes(from: address.bytes) }
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        }
        var storage = sockaddr_in()
        storage.sin_family = sa_family_t(AF_INET)
        storage.sin_port = port.bigEndian
        withUnsafeMutableBytes(of: &storage.sin_addr) { $0.copyBytes(from: address.bytes) }
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }

    /// Where a probe must come from to match the tunnel's policy: for a policy-based tunnel an address of
    /// this host inside its local subnets (else the kernel would pick the WAN address, which the policy
    /// does not cover); for a route-based one the kernel's choice (the VTI's).
    static func source(for tunnel: TunnelConfig, family isIPv6: Bool) -> IPAddress? {
        guard tunnel.vti == nil, !tunnel.localNets.isEmpty, let handle = try? NetlinkHandle(),
              let addresses = try? handle.addresses() else { return nil }
        return addresses.map(\.local.address).first { address in
            address.isIPv6 == isIPv6 && tunnel.localNets.contains { $0.contains(address) }
        }
    }
}

/// What the probes of one tunnel found so far.
public struct ProbeStatistics: Sendable, Codable, Equatable {
    public var target: String
    public var sent = 0
    public var lost = 0
    /// The last answer's round trip, in seconds.
    public var lastRoundTripSeconds: Double?
    public var lastAnswered: Bool?
    public var lastError: String?

    public init(target: String) { self.target = target }
}
