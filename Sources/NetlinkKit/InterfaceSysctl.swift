#if canImport(Glibc)
import Glibc
#endif

/// The per-interface sysctls the VTI set-up needs, written under /proc/sys/net/<family>/conf/<interface>/.
public enum InterfaceSysctl: Sendable, Hashable {
    /// `disable_policy`: let decrypted packets arriving on the VTI pass without an inbound IPsec policy check
    /// (the VTI's own policy already matched them).
    case disablePolicy(Bool)
    /// The same for IPv6 packets (`net.ipv6.conf.<if>.disable_policy`, Linux 5.17 and later).
    case disablePolicyIPv6(Bool)
    /// `forwarding` for IPv4 (`net.ipv4.conf.<if>.forwarding`).
    case forwarding(Bool)
    /// `disable_ipv6` on the interface.
    case disableIPv6(Bool)

    func path(interface: String) -> String {
        switch self {
        case .disablePolicy: "/proc/sys/net/ipv4/conf/\(interface)/disable_policy"
        case .disablePolicyIPv6: "/proc/sys/net/ipv6/conf/\(interface)/disable_policy"
        case .forwarding: "/proc/sys/net/ipv4/conf/\(interface)/forwarding"
        case .disableIPv6: "/proc/sys/net/ipv6/conf/\(interface)/disable_ipv6"
        }
    }

    var value: String {
        switch self {
        case .disablePolicy(let on), .disablePolicyIPv6(let on), .forwarding(let on), .disableIPv6(let on): on ? "1" : "0"
        }
    }

    /// Writes the setting in the calling thread's network namespace.
    func write(interface: String) throws(NetlinkError) {
        let path = path(interface: interface)
        let operation = "sysctl \(path)=\(value)"
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw NetlinkError(kind: code == ENOENT ? .notFound : code == EACCES || code == EROFS ? .permissionDenied : .system,
                               operation: operation, errno: code,
                               message: code == EROFS ? "/proc/sys is read-only: run the container with NET_ADMIN in its own network namespace or privileged" : nil)
        }
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw NetlinkError(kind: .system, operation: operation, errno: errno)
        }
    }

    /// Reads the current value in the calling thread's network namespace.
    static func read(path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: "\n")
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
