import CLibmnl
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The entry point: rtnetlink operations on links, addresses and routes, optionally inside another network
/// namespace (vishvananda/netlink's `Handle`). Every method is synchronous and throws ``NetlinkError``;
/// calls on one handle are serialised, so a handle may be shared between tasks.
public final class NetlinkHandle: Sendable {
    private let socket: Mutex<NetlinkSocket>
    /// The XFRM socket, opened in the handle's namespace on first use.
    private let xfrmSocket = Mutex<NetlinkSocket?>(nil)
    /// The namespace the handle works in; nil for the caller's own.
    public let namespace: NetworkNamespacePath?

    /// Opens an rtnetlink socket in `namespace` (or the caller's own).
    public init(namespace: NetworkNamespacePath? = nil) throws(NetlinkError) {
        self.namespace = namespace
        if let namespace {
            socket = Mutex(try namespace.entered { () throws(NetlinkError) in try NetlinkSocket() })
        } else {
            socket = Mutex(try NetlinkSocket())
        }
    }

    private func transact(_ requests: [NetlinkRequest], linkKind: String? = nil) throws(NetlinkError) -> [[NetlinkMessage]] {
        try socket.withLock { (socket) throws(NetlinkError) -> [[NetlinkMessage]] in try socket.transact(requests, linkKind: linkKind) }
    }

    private func dump(_ request: NetlinkRequest) throws(NetlinkError) -> [NetlinkMessage] {
        try socket.withLock { (socket) throws(NetlinkError) -> [NetlinkMessage] in try socket.dump(request) }
    }

    // MARK: links

    /// Creates a VTI (`vti` or `vti6` by the endpoints' family).
    /// - Throws: `.unsupportedLinkKind("vti")` when the kernel has no VTI support, `.exists` when the name is taken.
    public func linkAdd(_ link: VTILink) throws(NetlinkError) {
        try InterfaceName.validate(link.attributes.name, operation: "link add \(link.attributes.name)")
        _ = try transact([RequestEncoding.addVTI(link)], linkKind: link.kind)
    }

    /// Creates a veth pair in this handle's namespace.
    public func linkAdd(_ link: VethLink) throws(NetlinkError) {
        try InterfaceName.validate(link.attributes.name, operation: "link add \(link.attributes.name)")
        try InterfaceName.validate(link.peerName, operation: "link add \(link.attributes.name) peer \(link.peerName)")
        _ = try transact([RequestEncoding.addVeth(link)], linkKind: "veth")
    }

    /// The link called `name`. - Throws: `.notFound` when there is none.
    public func link(named name: String) throws(NetlinkError) -> Link {
        try InterfaceName.validate(name, operation: "link get \(name)")
        guard let message = try transact([RequestEncoding.getLink(name: name)]).first?.first else {
            throw .malformed("link get \(name)", "no RTM_NEWLINK in the answer")
        }
        return try ReplyDecoding.link(message)
    }

    /// The link called `name`, or nil when there is none.
    public func linkIfPresent(named name: String) throws(NetlinkError) -> Link? {
        do {
            return try link(named: name)
        } catch where error.kind == .notFound {
            return nil
        }
    }

    public func links() throws(NetlinkError) -> [Link] {
        var links: [Link] = []
        for message in try dump(RequestEncoding.dumpLinks()) { links.append(try ReplyDecoding.link(message)) }
        return links
    }

    public func linkDelete(named name: String) throws(NetlinkError) {
        let index = try link(named: name).index
        _ = try transact([RequestEncoding.deleteLink(index: index, name: name)])
    }

    public func linkSetUp(named name: String) throws(NetlinkError) {
        _ = try transact([RequestEncoding.setLinkUp(index: try link(named: name).index, name: name, up: true)])
    }

    public func linkSetDown(named name: String) throws(NetlinkError) {
        _ = try transact([RequestEncoding.setLinkUp(index: try link(named: name).index, name: name, up: false)])
    }

    public func linkSetMTU(named name: String, mtu: UInt32) throws(NetlinkError) {
        _ = try transact([RequestEncoding.setMTU(index: try link(named: name).index, name: name, mtu: mtu)])
    }

    /// Sets a per-interface sysctl in this handle's namespace.
    public func setSysctl(_ setting: InterfaceSysctl, interface: String) throws(NetlinkError) {
        try InterfaceName.validate(interface, operation: "sysctl \(interface)")
        if let namespace {
            try namespace.entered { () throws(NetlinkError) in try setting.write(interface: interface) }
        } else {
            try setting.write(interface: interface)
        }
    }

    /// Reads a per-interface sysctl ("0"/"1") in this handle's namespace; nil when absent.
    public func sysctl(_ setting: InterfaceSysctl, interface: String) -> String? {
        guard InterfaceName.problem(interface) == nil else { return nil }
        let path = setting.path(interface: interface)
        guard let namespace else { return InterfaceSysctl.read(path: path) }
        return try? namespace.entered { () throws(NetlinkError) in InterfaceSysctl.read(path: path) }
    }

    // MARK: addresses

    public func addressAdd(_ address: InterfaceAddress) throws(NetlinkError) {
        _ = try transact([RequestEncoding.address(address, add: true)])
    }

    public func addressDelete(_ address: InterfaceAddress) throws(NetlinkError) {
        _ = try transact([RequestEncoding.address(address, add: false)])
    }

    /// Addresses of every interface, or of one when `interfaceIndex` is given.
    public func addresses(interfaceIndex: Int32? = nil) throws(NetlinkError) -> [InterfaceAddress] {
        var result: [InterfaceAddress] = []
        for message in try dump(RequestEncoding.dumpAddresses()) {
            let address = try ReplyDecoding.address(message)
            if interfaceIndex == nil || address.interfaceIndex == interfaceIndex { result.append(address) }
        }
        return result
    }

    // MARK: routes

    public func routeAdd(_ route: Route) throws(NetlinkError) { _ = try transact([RequestEncoding.route(route, .add)]) }
    public func routeReplace(_ route: Route) throws(NetlinkError) { _ = try transact([RequestEncoding.route(route, .replace)]) }
    public func routeDelete(_ route: Route) throws(NetlinkError) { _ = try transact([RequestEncoding.route(route, .delete)]) }

    /// Adds many routes over one socket, packing requests into large datagrams (what `ip -batch` does,
    /// without the text parsing). All are attempted; the first failure is thrown at the end.
    public func routeAdd(_ routes: [Route]) throws(NetlinkError) {
        _ = try transact(routes.map { RequestEncoding.route($0, .add) })
    }

    public func routeDelete(_ routes: [Route]) throws(NetlinkError) {
        _ = try transact(routes.map { RequestEncoding.route($0, .delete) })
    }

    /// Routes in `table` (every table when nil), IPv4 and IPv6.
    public func routes(table: RouteTable? = .main) throws(NetlinkError) -> [Route] {
        var result: [Route] = []
        for family in [UInt8(AF_INET), UInt8(AF_INET6)] {
            for message in try dump(RequestEncoding.dumpRoutes(family: family)) {
                let route = try ReplyDecoding.route(message)
                if table == nil || route.table == table { result.append(route) }
            }
        }
        return result
    }

    /// The route the kernel would use to reach `destination` (`ip route get`).
    public func routeGet(to destination: IPAddress) throws(NetlinkError) -> Route {
        guard let message = try transact([RequestEncoding.getRoute(to: destination)]).first?.first else {
            throw .malformed("route get \(destination)", "no RTM_NEWROUTE in the answer")
        }
        return try ReplyDecoding.route(message)
    }

    // MARK: IPsec state (XFRM)

    private func withXfrmSocket<R>(_ body: (NetlinkSocket) throws(NetlinkError) -> R) throws(NetlinkError) -> R {
        try xfrmSocket.withLock { (socket) throws(NetlinkError) -> R in
            if socket == nil {
                if let namespace {
                    socket = try namespace.entered { () throws(NetlinkError) in try NetlinkSocket(protocol: Xfrm.protocolNumber) }
                } else {
                    socket = try NetlinkSocket(protocol: Xfrm.protocolNumber)
                }
            }
            return try body(socket!)
        }
    }

    /// Every SA in the namespace (`ip xfrm state`).
    public func xfrmStates() throws(NetlinkError) -> [XfrmState] {
        let messages = try withXfrmSocket { (socket) throws(NetlinkError) in try socket.dump(Xfrm.dumpStates()) }
        var states: [XfrmState] = []
        for message in messages { states.append(try Xfrm.state(message)) }
        return states
    }

    /// Deletes one SA. - Throws: `.notFound` when it is gone already.
    public func xfrmStateDelete(_ state: XfrmState) throws(NetlinkError) {
        _ = try withXfrmSocket { (socket) throws(NetlinkError) in try socket.transact([Xfrm.deleteState(state)]) }
    }

    /// Every policy in the namespace (`ip xfrm policy`), per-socket policies left out.
    public func xfrmPolicies() throws(NetlinkError) -> [XfrmPolicy] {
        let messages = try withXfrmSocket { (socket) throws(NetlinkError) in try socket.dump(Xfrm.dumpPolicies()) }
        var policies: [XfrmPolicy] = []
        for message in messages {
            if let policy = try Xfrm.policy(message) { policies.append(policy) }
        }
        return policies
    }

    /// Creates the policy, or replaces the one with the same selector, direction and mark (`ip xfrm policy
    /// update`). Only block policies and template-less allow policies can be written.
    public func xfrmPolicyUpdate(_ policy: XfrmPolicy) throws(NetlinkError) {
        _ = try withXfrmSocket { (socket) throws(NetlinkError) in try socket.transact([Xfrm.updatePolicy(policy)]) }
    }

    /// Deletes the policy with the same selector, direction and mark. - Throws: `.notFound` when there is none.
    public func xfrmPolicyDelete(_ policy: XfrmPolicy) throws(NetlinkError) {
        _ = try withXfrmSocket { (socket) throws(NetlinkError) in try socket.transact([Xfrm.deletePolicy(policy)]) }
    }
}
