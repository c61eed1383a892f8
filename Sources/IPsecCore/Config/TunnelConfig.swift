/// One site-to-site tunnel, fully typed and validated: what the upstream image's environment describes.
///
/// Build it with ``TunnelConfig/load(environment:purpose:readFile:)``; every field then holds a value strongSwan
/// accepts, and ``invariantViolations()`` is empty.
public struct TunnelConfig: Sendable, Hashable, Encodable {
    /// The connection's name in charon (and the CHILD_SA's).
    public var connectionName: String = "vnf-ipsec"

    public var local: Endpoint
    public var localID: Identity?
    /// Local traffic selectors; empty means strongSwan's default (the local address itself).
    public var localNets: [IPNetwork]
    /// The local private address behind a 1:1 NAT, used as the source of the default-table route.
    public var localPrivateIP: IPAddress?

    public var remote: Endpoint
    public var remoteID: Identity?
    public var remoteNets: [IPNetwork]

    /// nil only with IPSEC_USE_MANUAL_CONFIG, where the mounted ipsec.secrets holds the key.
    public var psk: PreSharedKey?
    public var keyExchange: KeyExchange
    public var ikeProposals: ProposalList
    public var espProposals: ProposalList
    /// CHILD_SA lifetime (IPSEC_LIFETIME, at most 24 h).
    public var lifetime: Lifetime
    /// IKE_SA lifetime (IPSEC_IKELIFETIME).
    public var ikeLifetime: Lifetime
    public var forceUDPEncapsulation: Bool
    public var ikeReauthentication: Bool
    /// Interfaces charon binds to; empty means all.
    public var interfaces: [String]
    public var debug: Bool
    public var vti: VTISettings?
    public var setRouteDefaultTable: Bool
    /// Where the tunnel's strongSwan configuration comes from.
    public var mode: Mode
    /// Who writes charon's own settings (strongswan.conf).
    public var charonSettings: CharonSettings

    public init(
        local: Endpoint = .any, localID: Identity? = nil, localNets: [IPNetwork] = [], localPrivateIP: IPAddress? = nil,
        remote: Endpoint = .any, remoteID: Identity? = nil, remoteNets: [IPNetwork] = [],
        psk: PreSharedKey? = nil, keyExchange: KeyExchange = .ikev2,
        ikeProposals: ProposalList = .upstreamIKEDefault, espProposals: ProposalList = .upstreamESPDefault,
        lifetime: Lifetime = .oneHour, ikeLifetime: Lifetime = .threeHours,
        forceUDPEncapsulation: Bool = true, ikeReauthentication: Bool = true, interfaces: [String] = [],
        debug: Bool = false, vti: VTISettings? = nil, setRouteDefaultTable: Bool = false,
        mode: Mode = .generated, charonSettings: CharonSettings = .generated
    ) {
        self.local = local
        self.localID = localID
        self.localNets = localNets
        self.localPrivateIP = localPrivateIP
        self.remote = remote
        self.remoteID = remoteID
        self.remoteNets = remoteNets
        self.psk = psk
        self.keyExchange = keyExchange
        self.ikeProposals = ikeProposals
        self.espProposals = espProposals
        self.lifetime = lifetime
        self.ikeLifetime = ikeLifetime
        self.forceUDPEncapsulation = forceUDPEncapsulation
        self.ikeReauthentication = ikeReauthentication
        self.interfaces = interfaces
        self.debug = debug
        self.vti = vti
        self.setRouteDefaultTable = setRouteDefaultTable
        self.mode = mode
        self.charonSettings = charonSettings
    }

    /// Where the tunnel's strongSwan configuration comes from (upstream's IPSEC_USE_MANUAL_CONFIG).
    public enum Mode: Sendable, Hashable, Codable {
        /// Rendered from the tunnel's values and loaded over VICI: upstream's default.
        case generated
        /// Upstream's manual mode: the mounted ipsec.conf and ipsec.secrets, run by strongSwan's starter;
        /// the tunnel's own values are not used.
        case manual
    }

    /// Who writes charon's settings (upstream's IPSEC_MANUAL_CHARON), in either mode.
    public enum CharonSettings: Sendable, Hashable, Codable {
        /// vnf-ipsec's strongswan.conf (plugins, logging, interfaces, routes).
        case generated
        /// charon reads /etc/strongswan.conf, which includes a mounted /etc/strongswan.d/charon.conf.
        case mounted
    }

    /// Upstream's manual mode: the mounted files decide.
    public var isManual: Bool { mode == .manual }

    /// Upstream's stated maximum for IPSEC_LIFETIME.
    public static let maximumLifetime = Lifetime.oneDay
}

/// A configuration together with what deserves a warning.
public struct LoadedConfiguration: Sendable {
    public var config: TunnelConfig
    public var warnings: [ConfigurationWarning]
}
