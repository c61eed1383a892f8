extension TunnelConfig {
    /// The local traffic selectors charon is given, derived here and only here, so a tunnel built in code
    /// and one read from the environment tell charon the same:
    /// - IPSEC_LOCALNET as given;
    /// - with a VTI and point-to-point addresses, the local p2p address as a host too: traffic between the
    ///   VTI's own two addresses must match the SA, or a ping across the VTI is dropped by its policy check;
    /// - route-based without IPSEC_LOCALNET: everything (`0.0.0.0/0`, plus `::/0` when a remote selector is
    ///   IPv6), as the routes through the VTI decide what is sent.
    public var localTrafficSelectors: [IPNetwork] {
        guard let vti else { return localNets }
        if localNets.isEmpty {
            return remoteTrafficSelectors.contains(where: { $0.address.isIPv6 }) ? [Self.anyIPv4, Self.anyIPv6] : [Self.anyIPv4]
        }
        guard let local = vti.localAddress, vti.peerAddress != nil else { return localNets }
        let host = IPNetwork(host: local.address)
        return localNets.contains(host) ? localNets : localNets + [host]
    }

    /// The remote traffic selectors: IPSEC_REMOTENET, plus the VTI peer's p2p address as a host (see
    /// ``localTrafficSelectors``).
    public var remoteTrafficSelectors: [IPNetwork] {
        guard let vti, let peer = vti.peerAddress, vti.localAddress != nil, !remoteNets.isEmpty else { return remoteNets }
        let host = IPNetwork(host: peer.address)
        return remoteNets.contains(host) ? remoteNets : remoteNets + [host]
    }

    static let anyIPv4 = IPNetwork("0.0.0.0/0")!
    static let anyIPv6 = IPNetwork("::/0")!
}
