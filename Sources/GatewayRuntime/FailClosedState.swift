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

    public static func read(_ handle: NetlinkHandle) throws(NetlinkError) -> FailClosedState {
        let pairs = Set(try handle.xfrmPolicies().filter(FailClosedGuards.isGuard).map { "\($0.source) -> \($0.destination)" })
            .union(try handle.routes(table: .main).filter(FailClosedGuards.isGuard).map { "unreachable \($0.destination)" })
        var vtis: [String: Bool] = [:]
        for link in try handle.links() {
            if case .vti = link.kind { vtis[link.name] = link.attributes.isUp }
        }
        return FailClosedState(guards: pairs.sorted(), vtis: vtis)
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
