import SystemPackage
import CLibmnl
#if canImport(Glibc)
import Glibc
#endif

/// A network namespace to work in: a name under /run/netns (as `ip netns add` creates) or any path to a
/// namespace file (e.g. /proc/<pid>/ns/net).
public enum NetworkNamespacePath: Sendable, Hashable {
    case named(String)
    case path(String)

    public var path: String {
        switch self {
        case .named(let name): "/run/netns/\(name)"
        case .path(let path): path
        }
    }

    /// Runs `body` with the calling thread inside the namespace, then returns the thread to its own.
    /// Sockets and /proc/sys files opened inside stay bound to the namespace afterwards, which is what
    /// lets one process drive several sites. `body` must not suspend (it runs on this thread only).
    func entered<T>(_ body: () throws(NetlinkError) -> T) throws(NetlinkError) -> T {
        let operation = "enter network namespace \(path)"
        let original = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard original >= 0 else { throw NetlinkError(kind: .system, operation: operation, errno: Errno(rawValue: errno)) }
        defer { close(original) }
        let target = open(path, O_RDONLY | O_CLOEXEC)
        guard target >= 0 else {
            throw NetlinkError(kind: errno == ENOENT ? .notFound : .system, operation: operation, errno: Errno(rawValue: errno))
        }
        defer { close(target) }
        guard vnf_setns_net(target) == 0 else {
            throw NetlinkError(kind: errno == EPERM ? .permissionDenied : .system, operation: operation, errno: Errno(rawValue: errno))
        }
        defer {
            // Returning to our own namespace cannot fail for a thread that could leave it.
            precondition(vnf_setns_net(original) == 0, "could not return to the original network namespace")
        }
        return try body()
    }
}
