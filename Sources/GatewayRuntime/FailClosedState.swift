import NetlinkKit

/// What the kernel holds now of what keeps tunnels closed: the fail-closed guards of vnf-ipsec's (whoever
/// installed them) and each VTI's administrative state. Read by `status` and the metrics, from the kernel
/// rather than from `run`, so it is true also after `run` has stopped.
public struct FailClosedState: Sendable, Codable, Equatable {
    /// Each guarded pair, `LOCAL -> REMOTE`, once (a pair has two policies, one per mark half), and each
    /// guard route, `unreachable NETWORK`.
    public var guards: [String]
    /// Each VTI (vti/vti6 links) by name: administratively up or not.
    public var vtis: [String: Bool]

    public init(guards: [String], vtis: [String: Bool]) {
        self.guards = guards
        self.vtis = vtis
    }

    /// One read of the kernel (``KernelSnapshot``), for `status`.
    public static func read(_ handle: NetlinkHandle) throws(NetlinkError) -> FailClosedState {
        try KernelSnapshot.read(handle).failClosed
    }

    /// For `status`: one line, or two.
    public var text: String {
        var out = guards.isEmpty ? "fail-closed guards: none\n" : "fail-closed guards: \(guards.joined(separator: ", "))\n"
        if !vtis.isEmpty {
            out += "VTIs: " + vtis.keys.sorted().map { "\($0) \(vtis[$0] == true ? "up" : "down")" }.joined(separator: ", ") + "\n"
        }
        return out
    }
}
