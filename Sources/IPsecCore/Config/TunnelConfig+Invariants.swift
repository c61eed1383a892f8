extension TunnelConfig {
    /// A value the types accept but that cannot work as configured, with the variable that holds it.
    public struct InvariantViolation: Sendable, Equatable {
        public var variable: ConfigVariable
        public var value: String?
        public var reason: String
    }

    /// Shorter lifetimes leave rekeying (at 90 %) less time than an IKE exchange can take on a slow or
    /// lossy link: the SA expires before its successor exists. (The lab rekeys every 27 s of a 30 s one.)
    public static let minimumLifetime = Lifetime(seconds: 20)
    /// IKE_SA lifetimes longer than a week keep one set of keys far beyond any sane rekeying policy.
    public static let maximumIKELifetime = Lifetime(seconds: 7 * 86_400)

    /// Everything about this tunnel that would be accepted value by value and then fail (or do harm) at
    /// run time: endpoints no peer can be reached at, mismatched families, routes that swallow the
    /// peer's own address or the default route, lifetimes outside what rekeying can serve.
    public func invariantViolations() -> [InvariantViolation] {
        var found: [InvariantViolation] = []
        func violation(_ variable: ConfigVariable, _ value: String?, _ reason: String) {
            found.append(InvariantViolation(variable: variable, value: value, reason: reason))
        }
        if let address = local.address, let reason = address.unusableAsEndpoint { violation(.localIP, address.description, reason) }
        if let address = remote.address, let reason = address.unusableAsEndpoint { violation(.remoteIP, address.description, reason) }
        if let localAddress = local.address, let remoteAddress = remote.address {
            if localAddress == remoteAddress {
                violation(.remoteIP, remoteAddress.description, "equals IPSEC_LOCALIP: a gateway cannot be its own peer")
            } else if localAddress.isIPv6 != remoteAddress.isIPv6 {
                violation(.remoteIP, remoteAddress.description,
                          "is IPv\(remoteAddress.isIPv6 ? 6 : 4) but IPSEC_LOCALIP (\(localAddress)) is IPv\(localAddress.isIPv6 ? 6 : 4); IKE runs over one family")
            }
        }
        if let privateIP = localPrivateIP, let family = (remote.address ?? local.address).map(\.isIPv6), privateIP.isIPv6 != family {
            violation(.localPrivateIP, privateIP.description,
                      "is IPv\(privateIP.isIPv6 ? 6 : 4) but the tunnel's endpoints are IPv\(family ? 6 : 4); the route it sources goes through the WAN's family")
        }
        if let vti {
            for route in vti.staticRoutes where route.prefixLength == 0 {
                violation(.vtiStaticRoutes, route.description, "would replace the default route, and with it the route to the peer; list the remote networks instead")
            }
            if let peer = remote.address {
                for route in vti.staticRoutes where route.prefixLength > 0 && route.contains(peer) {
                    violation(.vtiStaticRoutes, route.description,
                              "contains the peer's own address \(peer): its IKE and ESP packets would be routed into the tunnel they build")
                }
            }
        }
        if lifetime < Self.minimumLifetime {
            violation(.lifetime, lifetime.description, "must be at least \(Self.minimumLifetime.seconds)s")
        }
        if ikeLifetime < Self.minimumLifetime {
            violation(.ikeLifetime, ikeLifetime.description, "must be at least \(Self.minimumLifetime.seconds)s")
        } else if ikeLifetime > Self.maximumIKELifetime {
            violation(.ikeLifetime, ikeLifetime.description, "must be at most 7d (\(Self.maximumIKELifetime.seconds)s)")
        }
        return found
    }
}
