/// The whole gateway: its tunnels and what they share (the interfaces charon binds to, logging, upstream's
/// configuration modes, the main-table routes). From the environment it holds upstream's one tunnel; from
/// a configuration file (`IPSEC_CONFIG_FILE`) any number.
///
/// Build it with ``GatewayConfig/load(environment:purpose:files:)``; ``validate()`` applies the same rules
/// to one built in code.
public struct GatewayConfig: Sendable, Hashable, Encodable {
    public var tunnels: [TunnelConfig]
    /// Interfaces charon binds to; empty means all.
    public var interfaces: [String]
    public var debug: Bool
    /// Keep a main-table route to each tunnel's remote subnets while its CHILD_SA is installed
    /// (upstream's SET_ROUTE_DEFAULT_TABLE).
    public var setRouteDefaultTable: Bool
    /// Where the tunnels' strongSwan configuration comes from.
    public var mode: Mode
    /// Who writes charon's own settings (strongswan.conf).
    public var charonSettings: CharonSettings
    /// Where the configuration was read from: named in the generated files' header and in messages.
    public var source: Source
    /// Where `run` serves /metrics, /healthz and /readyz; nil: nowhere (the default: a gateway on the host
    /// network must not publish them on its public address by accident).
    public var metricsListen: ListenAddress?
    /// How many tunnels must have an installed CHILD_SA for /readyz; nil: all of them.
    public var readyMinimum: Int?
    public var logFormat: LogFormat = .text
    /// /readyz also needs a tunnel's last probe answered, where it has one.
    public var readyRequiresProbe = false
    /// `run` reloads by itself when its files change; off, only SIGHUP reloads (a change applied when the
    /// operator decides).
    public var reloadOnChange = true
    /// Guard every tunnel's traffic in the kernel with XFRM block policies of vnf-ipsec's own, so that
    /// nothing from its local to its remote subnets leaves unencrypted while it has no SA (negotiating,
    /// charon dead, `run` stopped, VTI removed). Off: upstream's behaviour.
    public var failClosed = true
    /// `run` keeps each VTI administratively up exactly while its tunnel has an installed CHILD_SA, so the
    /// routes through it (static or a routing daemon's) are withdrawn while it is down. Off: upstream's
    /// always-up VTI.
    public var vtiFollowsSA = true
    /// charon's IKE retransmission settings; with the DPD delay they decide how fast a dead peer is found.
    public var retransmission = Retransmission()

    /// charon's `retransmit_timeout`, `retransmit_tries` and `retransmit_base`; nil keeps charon's default
    /// (4 s, 5 tries, 1.8: a dead peer is declared after about 165 s).
    public struct Retransmission: Sendable, Hashable, Codable {
        public var timeout: Double?
        public var tries: UInt32?
        public var base: Double?
        public init(timeout: Double? = nil, tries: UInt32? = nil, base: Double? = nil) {
            self.timeout = timeout
            self.tries = tries
            self.base = base
        }
    }

    /// How `run` writes its log lines (and relays charon's).
    public enum LogFormat: String, Sendable, Hashable, Codable, CaseIterable {
        case text, json
    }

    public init(tunnels: [TunnelConfig], interfaces: [String] = [], debug: Bool = false, setRouteDefaultTable: Bool = false,
                mode: Mode = .generated, charonSettings: CharonSettings = .generated, source: Source = .environment) {
        self.tunnels = tunnels
        self.interfaces = interfaces
        self.debug = debug
        self.setRouteDefaultTable = setRouteDefaultTable
        self.mode = mode
        self.charonSettings = charonSettings
        self.source = source
    }

    /// Where the tunnels' strongSwan configuration comes from (upstream's IPSEC_USE_MANUAL_CONFIG).
    public enum Mode: String, Sendable, Hashable, Codable {
        /// Rendered from the tunnels' values and loaded over VICI: upstream's default.
        case generated
        /// Upstream's manual mode: the mounted ipsec.conf and ipsec.secrets, run by strongSwan's starter;
        /// the tunnel's own values are used only for SET_ROUTE_DEFAULT_TABLE.
        case manual
    }

    /// Who writes charon's settings (upstream's IPSEC_MANUAL_CHARON), in either mode.
    public enum CharonSettings: String, Sendable, Hashable, Codable {
        /// vnf-ipsec's strongswan.conf (plugins, logging, interfaces, routes).
        case generated
        /// charon reads /etc/strongswan.conf, which includes a mounted /etc/strongswan.d/charon.conf.
        case mounted
    }

    public enum Source: Sendable, Hashable, Encodable {
        /// Upstream's environment variables (and ENVFILE): one tunnel.
        case environment
        /// A configuration file (IPSEC_CONFIG_FILE or `--config`).
        case file(String)

        /// `{"kind": "environment"}` or `{"kind": "file", "path": …}`: plain keys for tools reading `check --json`.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            switch self {
            case .environment:
                try container.encode("environment", forKey: .kind)
            case .file(let path):
                try container.encode("file", forKey: .kind)
                try container.encode(path, forKey: .path)
            }
        }

        private enum Key: CodingKey { case kind, path }
    }

    /// Upstream's manual mode: the mounted files decide.
    public var isManual: Bool { mode == .manual }

    /// Route-based gateways have VTIs; charon then must not install its own routes (a global setting).
    public var isRouteBased: Bool { tunnels.contains { $0.vti != nil } }

    /// The tunnel named `name`.
    public func tunnel(named name: String) -> TunnelConfig? { tunnels.first { $0.name == name } }
}

/// A configuration together with what deserves a warning.
public struct LoadedConfiguration: Sendable {
    public var config: GatewayConfig
    public var warnings: [ConfigurationWarning]

    public init(config: GatewayConfig, warnings: [ConfigurationWarning]) {
        self.config = config
        self.warnings = warnings
    }
}
