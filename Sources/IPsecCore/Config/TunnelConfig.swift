/// One site-to-site tunnel, fully typed and validated: what the upstream image's environment describes.
///
/// Build it with ``TunnelConfig/load(environment:readFile:)``; every field then holds a value strongSwan accepts.
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
    public var useManualConfig: Bool
    public var manualCharon: Bool

    public init(
        local: Endpoint = .any, localID: Identity? = nil, localNets: [IPNetwork] = [], localPrivateIP: IPAddress? = nil,
        remote: Endpoint = .any, remoteID: Identity? = nil, remoteNets: [IPNetwork] = [],
        psk: PreSharedKey? = nil, keyExchange: KeyExchange = .ikev2,
        ikeProposals: ProposalList = .upstreamIKEDefault, espProposals: ProposalList = .upstreamESPDefault,
        lifetime: Lifetime = .oneHour, ikeLifetime: Lifetime = .threeHours,
        forceUDPEncapsulation: Bool = true, ikeReauthentication: Bool = true, interfaces: [String] = [],
        debug: Bool = false, vti: VTISettings? = nil, setRouteDefaultTable: Bool = false,
        useManualConfig: Bool = false, manualCharon: Bool = false
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
        self.useManualConfig = useManualConfig
        self.manualCharon = manualCharon
    }

    /// Upstream's stated maximum for IPSEC_LIFETIME.
    public static let maximumLifetime = Lifetime.oneDay
}

/// A configuration together with what deserves a warning.
public struct LoadedConfiguration: Sendable {
    public var config: TunnelConfig
    public var warnings: [ConfigurationWarning]
}
