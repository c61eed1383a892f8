import SystemPackage
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
        do {
            let file = try FileDescriptor.open(FilePath(path), .writeOnly, options: [.closeOnExec])
            try file.closeAfter { _ = try file.writeAll(Array((value + "\n").utf8)) }
        } catch {
            let errno = error as? Errno
            let kind: NetlinkError.Kind = switch errno {
            case .noSuchFileOrDirectory?: .notFound
            case .permissionDenied?, .readOnlyFileSystem?: .permissionDenied
            default: .system
            }
            throw NetlinkError(kind: kind, operation: operation, errno: errno,
                               message: errno == .readOnlyFileSystem ? "/proc/sys is mounted read-only here" : nil)
        }
    }

    /// Reads the current value in the calling thread's network namespace.
    static func read(path: String) -> String? {
        guard let file = try? FileDescriptor.open(FilePath(path), .readOnly, options: [.closeOnExec]) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = try? file.closeAfter { try buffer.withUnsafeMutableBytes { try file.read(into: $0) } }
        guard let count, count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: "\n")
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
