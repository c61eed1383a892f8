import Foundation

/// A throwaway network namespace for one test, removed (with everything in it) by `delete()`.
public final class NetworkNamespace: @unchecked Sendable {
    public let name: String
    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    /// Creates `vnft-<pid>-<n>-<label>` with its loopback up.
    public init(_ label: String) throws {
        Self.counterLock.lock()
        Self.counter += 1
        let n = Self.counter
        Self.counterLock.unlock()
        name = String("vt\(getpid() % 100000)-\(n)-\(label)".prefix(30))
        try Shell.check(["ip", "netns", "add", name])
        try Shell.check(["ip", "-n", name, "link", "set", "lo", "up"])
    }

    /// The namespace's path, for APIs that take one.
    public var path: String { "/run/netns/\(name)" }

    /// Runs a command inside the namespace.
    @discardableResult
    public func run(_ argv: [String], timeout: Double = 30) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", name] + argv, timeout: timeout)
    }

    @discardableResult
    public func check(_ argv: [String], timeout: Double = 30) throws -> String {
        try Shell.check(["ip", "netns", "exec", name] + argv, timeout: timeout)
    }

    /// Kills whatever still runs inside, then removes the namespace.
    public func delete() {
        if let pids = try? Shell.run(["ip", "netns", "pids", name]).stdout {
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        _ = try? Shell.run(["ip", "netns", "del", name])
    }

    /// Joins two namespaces with a veth pair and addresses both ends.
    public static func link(_ a: NetworkNamespace, _ aName: String, _ aAddress: String,
                            _ b: NetworkNamespace, _ bName: String, _ bAddress: String) throws {
        try Shell.check(["ip", "link", "add", aName, "netns", a.name, "type", "veth", "peer", "name", bName, "netns", b.name])
        try a.check(["ip", "addr", "add", aAddress, "dev", aName])
        try b.check(["ip", "addr", "add", bAddress, "dev", bName])
        try a.check(["ip", "link", "set", aName, "up"])
        try b.check(["ip", "link", "set", bName, "up"])
    }
}
