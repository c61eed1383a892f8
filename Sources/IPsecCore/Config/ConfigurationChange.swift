/// What a reload changes, tunnel by tunnel, and what each change needs to take effect. Pure: computed from
/// the running configuration and the new one, applied by the runtime.
///
/// A changed tunnel needs, depending on what changed:
/// - its certificate files only (a rotated certificate or key, new CAs or CRL): `load-key` and `load-cert`
///   (the old key unloaded). Established SAs stay; new authentications use the new certificate. A new
///   subject is a new identity (below).
/// - its key only: `load-shared`. Established SAs stay; the new key is used from the next authentication
///   (a new IKE_SA, or the IKE_SA's reauthentication).
/// - settings that only shape SAs negotiated later (lifetimes, reauthentication, DPD, start/close actions,
///   role, keying tries): `load-conn`. Established SAs keep what they were negotiated with until they are
///   rekeyed or replaced.
/// - what the peers agreed on (endpoints, identities, traffic selectors, proposals, IKE version, UDP
///   encapsulation, the VTI's mark): `load-conn`, and the IKE_SA is closed and negotiated again, because
///   the running SAs are bound to the old values and would otherwise carry traffic the configuration no
///   longer describes.
/// - the VTI's routes, addresses or MTU, or the source of the main-table route: the kernel only.
public struct ConfigurationChange: Sendable {
    public var added: [TunnelConfig] = []
    public var removed: [TunnelConfig] = []
    public var changed: [TunnelChange] = []
    /// Names of the tunnels that stay exactly as they are.
    public var unchanged: [String] = []
    /// Gateway-wide settings that changed but need a restart of the gateway (charon reads them at start).
    public var needsRestart: [String] = []

    public struct TunnelChange: Sendable {
        public var old: TunnelConfig
        public var new: TunnelConfig
        public var loadKey = false
        /// The certificates and key to load (`load-cert`, `load-key`).
        public var loadCertificates = false
        public var loadConnection = false
        public var renegotiate = false
        public var kernel = false
        /// What changed, in the configuration's words (never a key).
        public var what: [String] = []
    }

    public init(from old: GatewayConfig, to new: GatewayConfig) {
        let oldByName = Dictionary(old.tunnels.map { ($0.name, $0) }) { first, _ in first }
        let newNames = Set(new.tunnels.map(\.name))
        removed = old.tunnels.filter { !newNames.contains($0.name) }
        for tunnel in new.tunnels {
            guard let previous = oldByName[tunnel.name] else {
                added.append(tunnel)
                continue
            }
            if previous == tunnel || Self.sameIgnoringKeySource(previous, tunnel) {
                unchanged.append(tunnel.name)
            } else {
                changed.append(Self.change(from: previous, to: tunnel))
            }
        }
        if old.interfaces != new.interfaces { needsRestart.append("interfaces") }
        if old.debug != new.debug { needsRestart.append("debug") }
        if old.setRouteDefaultTable != new.setRouteDefaultTable { needsRestart.append("set_route_default_table") }
        if old.mode != new.mode { needsRestart.append("use_manual_config") }
        if old.charonSettings != new.charonSettings { needsRestart.append("manual_charon") }
        if old.metricsListen != new.metricsListen { needsRestart.append("metrics_listen") }
        if old.logFormat != new.logFormat { needsRestart.append("log_format") }
        if old.reloadOnChange != new.reloadOnChange { needsRestart.append("reload_on_change") }
        if old.failClosed != new.failClosed { needsRestart.append("fail_closed") }
        if old.vtiFollowsSA != new.vtiFollowsSA { needsRestart.append("vti_follows_sa") }
        if old.retransmission != new.retransmission { needsRestart.append("retransmit_timeout, retransmit_tries, retransmit_base") }
        if old.isRouteBased != new.isRouteBased, !old.tunnels.isEmpty { needsRestart.append("route-based or policy-based (charon's install_routes)") }
    }

    /// Nothing to do for the tunnels (gateway-wide changes may still need a restart).
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// A key moved to another file but kept its value: nothing to do.
    static func sameIgnoringKeySource(_ a: TunnelConfig, _ b: TunnelConfig) -> Bool {
        var b = b
        b.pskFile = a.pskFile
        return a == b
    }

    static func change(from old: TunnelConfig, to new: TunnelConfig) -> TunnelChange {
        var change = TunnelChange(old: old, new: new)
        func differs<T: Equatable>(_ name: String, _ value: (TunnelConfig) -> T) -> Bool {
            guard value(old) != value(new) else { return false }
            change.what.append(name)
            return true
        }
        let agreed = [
            differs("endpoints") { [$0.local.description, $0.remote.description] },
            differs("identities") { [($0.localID ?? $0.certificates?.subject)?.description, $0.remoteID?.description] },
            differs("authentication") { $0.authentication },
            differs("traffic selectors") { [$0.localTrafficSelectors, $0.remoteTrafficSelectors] },
            differs("proposals") { [$0.ikeProposals.description, $0.espProposals.description] },
            differs("key exchange") { $0.keyExchange },
            differs("UDP encapsulation") { $0.forceUDPEncapsulation },
            differs("VTI key") { $0.vti?.key },
        ].contains(true)
        let later = [
            differs("lifetimes") { [$0.lifetime.seconds, $0.ikeLifetime.seconds] },
            differs("reauthentication") { $0.ikeReauthentication },
            differs("behaviour") { $0.behaviour },
        ].contains(true)
        change.loadKey = differs("key") { $0.psk } || agreed
        change.loadCertificates = new.certificates != nil && (differs("certificates") { $0.certificates } || agreed)
        change.loadConnection = agreed || later
        change.renegotiate = agreed
        change.kernel = [
            differs("VTI routes, addresses or MTU") { [$0.vti?.staticRoutes.map(\.description), $0.vti?.localAddress.map { [$0.description] },
                                                       $0.vti?.peerAddress.map { [$0.description] }, $0.vti?.mtu.map { [String($0)] },
                                                       $0.vti?.routeMetric.map { [String($0)] }] },
            differs("private address") { $0.localPrivateIP },
        ].contains(true) || change.what.contains("VTI key")
        // The probe is the gateway's own: the next round uses the new one, nothing else is touched.
        _ = differs("probe") { $0.probe }
        return change
    }
}
