/// Idempotent forms for `init`: create what is missing, accept what already matches, and refuse what
/// conflicts (same name, different settings) with an error that says what differs.
extension NetlinkHandle {
    /// What an `ensure` call did.
    public enum Outcome: Sendable, Equatable { case created, alreadyPresent }

    /// Creates the VTI unless an identical one exists.
    /// - Throws: `.exists` with the differences when a link of that name has other settings.
    @discardableResult
    public func ensureLink(_ vti: VTILink) throws(NetlinkError) -> Outcome {
        let name = vti.attributes.name
        guard let existing = try linkIfPresent(named: name) else {
            try linkAdd(vti)
            return .created
        }
        var differences: [String] = []
        switch existing.kind {
        case .vti(let local, let remote, let inputKey, let outputKey):
            if local != vti.local { differences.append("local \(local.map(\.description) ?? "any") (want \(vti.local))") }
            if remote != vti.remote { differences.append("remote \(remote.map(\.description) ?? "any") (want \(vti.remote))") }
            if inputKey != vti.inputKey || outputKey != vti.outputKey {
                differences.append("keys \(inputKey)/\(outputKey) (want \(vti.inputKey)/\(vti.outputKey))")
            }
        case .veth:
            differences.append("it is a veth, not a \(vti.kind)")
        case .other(let kind):
            differences.append("it is a \(kind ?? "device without link info"), not a \(vti.kind)")
        }
        guard differences.isEmpty else {
            throw NetlinkError(kind: .exists, operation: "ensure link \(name)",
                               message: "a link named \(name) exists with other settings: \(differences.joined(separator: ", ")). Delete it or use another name")
        }
        return .alreadyPresent
    }

    /// Adds the address unless the interface already has it (with the same peer).
    @discardableResult
    public func ensureAddress(_ address: InterfaceAddress) throws(NetlinkError) -> Outcome {
        let present = try addresses(interfaceIndex: address.interfaceIndex)
        if let same = present.first(where: { $0.local.address == address.local.address }) {
            guard same == address else {
                throw NetlinkError(kind: .exists, operation: "ensure address \(address)",
                                   message: "interface \(address.interfaceIndex) has \(same) instead of \(address)")
            }
            return .alreadyPresent
        }
        try addressAdd(address)
        return .created
    }

    /// Installs the route, replacing one to the same destination in the same table (routes are ours to set).
    @discardableResult
    public func ensureRoute(_ route: Route) throws(NetlinkError) -> Outcome {
        let present = try routes(table: route.table)
        if present.contains(where: { $0.destination == route.destination && $0.outputInterface == route.outputInterface
                                     && $0.gateway == route.gateway && (route.metric == nil || $0.metric == route.metric) }) {
            return .alreadyPresent
        }
        try routeReplace(route)
        return .created
    }
}
