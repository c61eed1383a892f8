import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A failed netlink operation: the kernel's errno, its extended-ack message when it sent one, and what we
/// were doing. `kind` is what callers switch on; `description` tells an operator what to do.
public struct NetlinkError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The kernel does not know the link kind (e.g. `vti` without the ip_vti module).
        case unsupportedLinkKind(String)
        case exists
        case notFound
        case permissionDenied
        /// A reply that does not parse: truncated, wrong lengths, unexpected type.
        case malformedReply
        /// The socket itself failed (open, bind, send, receive) or the namespace could not be entered.
        case system
        /// Refused before anything was sent: an invalid interface name, a request too large to build.
        case invalidArgument
        case other
    }

    public var kind: Kind
    /// The operation, e.g. `link add vti42`.
    public var operation: String
    /// The system's error (swift-system's `Errno`), nil when the failure is not a system call's.
    public var errno: Errno?
    /// The kernel's extended-ack message, or our explanation of a malformed reply.
    public var message: String?

    public init(kind: Kind, operation: String, errno: Errno? = nil, message: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.errno = errno
        self.message = message
    }

    /// Classifies a kernel error answer for `operation`.
    static func kernel(_ code: Int32, operation: String, message: String?, linkKind: String? = nil) -> NetlinkError {
        let kind: Kind
        switch code {
        case EOPNOTSUPP where linkKind != nil: kind = .unsupportedLinkKind(linkKind!)
        case EEXIST: kind = .exists
        case ENODEV, ESRCH, EADDRNOTAVAIL, ENOENT: kind = .notFound
        case EPERM, EACCES: kind = .permissionDenied
        default: kind = .other
        }
        return NetlinkError(kind: kind, operation: operation, errno: Errno(rawValue: code), message: message)
    }

    static func malformed(_ operation: String, _ why: String) -> NetlinkError {
        NetlinkError(kind: .malformedReply, operation: operation, message: why)
    }

    public var description: String {
        var text = "\(operation): "
        if let errno { text += errno.description }
        if let message, !message.isEmpty { text += (errno != nil ? " (\(message))" : message) }
        switch kind {
        case .unsupportedLinkKind(let kindName) where kindName.hasPrefix("vti"):
            text += ". The kernel lacks \(kindName.uppercased()) support (the \(kindName == "vti6" ? "ip6_vti" : "ip_vti") module)"
        case .unsupportedLinkKind(let kindName):
            text += ". The kernel does not support links of type \(kindName)"
        case .permissionDenied:
            text += ". Changing the network configuration needs CAP_NET_ADMIN"
        default:
            break
        }
        return text
    }
}
