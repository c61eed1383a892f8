/// One site-to-site tunnel, fully typed and validated: what upstream's environment describes, or one entry
/// of a configuration file's `tunnels:` list. What the whole gateway shares (interfaces, logging, the
/// configuration mode) is in ``GatewayConfig``.
///
/// Build it with ``GatewayConfig/load(environment:purpose:files:)``; every field then holds a value
/// strongSwan accepts, and ``invariantViolations()`` is empty.
public struct TunnelConfig: Sendable, Hashable, Encodable {
    /// The connection's name in charon (and the CHILD_SA's), in status, logs and metrics. The environment's
    /// single tunnel is `vnf-ipsec`; a configuration file names each.
    public var name: String

    public var local: Endpoint
    public var localID: Identity?
    /// Local traffic selectors; empty means strongSwan's default (the local address itself).
    public var localNets: [IPNetwork]
    /// The local private address behind a 1:1 NAT, used as the source of the default-table route.
    public var localPrivateIP: IPAddress?

    public var remote: Endpoint
    public var remoteID: Identity?
    public var remoteNets: [IPNetwork]

    /// nil only in upstream's manual mode, where the mounted ipsec.secrets holds the key.
    public var psk: PreSharedKey?
    /// The file the key was read from (`psk_file`, `IPSEC_PSK_FILE`), if it was.
    public var pskFile: String?
    /// X.509 authentication (`IPSEC_AUTH=pubkey`); nil for pre-shared keys, upstream's only way.
    public var certificates: CertificateAuthentication?
    public var keyExchange: KeyExchange
    public var ikeProposals: ProposalList
    public var espProposals: ProposalList
    /// CHILD_SA lifetime (IPSEC_LIFETIME, at most 24 h).
    public var lifetime: Lifetime
    /// IKE_SA lifetime (IPSEC_IKELIFETIME).
    public var ikeLifetime: Lifetime
    public var forceUDPEncapsulation: Bool
    public var ikeReauthentication: Bool
    public var vti: VTISettings?
    /// Who starts negotiating, what happens when the peer goes quiet or closes, and how often to retry.
    public var behaviour: TunnelBehaviour
    /// A data-plane check through the tunnel (`probe`), if configured.
    public var probe: DataPlaneProbe?

    public init(
        name: String = TunnelConfig.environmentTunnelName,
        local: Endpoint = .any, localID: Identity? = nil, localNets: [IPNetwork] = [], localPrivateIP: IPAddress? = nil,
        remote: Endpoint = .any, remoteID: Identity? = nil, remoteNets: [IPNetwork] = [],
        psk: PreSharedKey? = nil, pskFile: String? = nil, keyExchange: KeyExchange = .ikev2,
        ikeProposals: ProposalList = .upstreamIKEDefault, espProposals: ProposalList = .upstreamESPDefault,
        lifetime: Lifetime = .oneHour, ikeLifetime: Lifetime = .threeHours,
        forceUDPEncapsulation: Bool = true, ikeReauthentication: Bool = true,
        vti: VTISettings? = nil, behaviour: TunnelBehaviour = TunnelBehaviour()
    ) {
        self.name = name
        self.local = local
        self.localID = localID
        self.localNets = localNets
        self.localPrivateIP = localPrivateIP
        self.remote = remote
        self.remoteID = remoteID
        self.remoteNets = remoteNets
        self.psk = psk
        self.pskFile = pskFile
        self.keyExchange = keyExchange
        self.ikeProposals = ikeProposals
        self.espProposals = espProposals
        self.lifetime = lifetime
        self.ikeLifetime = ikeLifetime
        self.forceUDPEncapsulation = forceUDPEncapsulation
        self.ikeReauthentication = ikeReauthentication
        self.vti = vti
        self.behaviour = behaviour
        probe = nil
        certificates = nil
    }

    /// The name of the tunnel the environment variables describe (upstream's only one).
    public static let environmentTunnelName = "vnf-ipsec"

    /// Upstream's stated maximum for IPSEC_LIFETIME.
    public static let maximumLifetime = Lifetime.oneDay
}
