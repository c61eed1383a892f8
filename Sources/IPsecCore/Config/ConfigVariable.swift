/// Every environment variable vnf-ipsec reads: upstream `openvnf/vnf-ipsec`'s names, unchanged, plus our
/// own (all `IPSEC_*`). A configuration file's keys are the same names (``fileKey``). The documentation and
/// the manifests are checked against this list.
public enum ConfigVariable: String, CaseIterable, Sendable, Codable {
    case envFile = "ENVFILE"
    case configFile = "IPSEC_CONFIG_FILE"
    case setRouteDefaultTable = "SET_ROUTE_DEFAULT_TABLE"
    case localIP = "IPSEC_LOCALIP"
    case localPrivateIP = "IPSEC_LOCALPRIVIP"
    case localID = "IPSEC_LOCALID"
    case localNet = "IPSEC_LOCALNET"
    case remoteIP = "IPSEC_REMOTEIP"
    case remoteNet = "IPSEC_REMOTENET"
    case remoteID = "IPSEC_REMOTEID"
    case psk = "IPSEC_PSK"
    case pskFile = "IPSEC_PSK_FILE"
    case keyExchange = "IPSEC_KEYEXCHANGE"
    case espCipher = "IPSEC_ESPCIPHER"
    case ikeCipher = "IPSEC_IKECIPHER"
    case lifetime = "IPSEC_LIFETIME"
    case ikeLifetime = "IPSEC_IKELIFETIME"
    case forceUDP = "IPSEC_FORCEUDP"
    case ikeReauth = "IPSEC_IKEREAUTH"
    case interfaces = "IPSEC_INTERFACES"
    case debug = "DEBUG"
    case useManualConfig = "IPSEC_USE_MANUAL_CONFIG"
    case manualCharon = "IPSEC_MANUAL_CHARON"
    case vtiKey = "IPSEC_VTI_KEY"
    case vtiStaticRoutes = "IPSEC_VTI_STATICROUTES"
    case vtiLocalAddress = "IPSEC_VTI_IPADDR_LOCAL"
    case vtiPeerAddress = "IPSEC_VTI_IPADDR_PEER"
    case vtiMTU = "IPSEC_VTI_MTU"
    case allowWeakPSK = "IPSEC_ALLOW_WEAK_PSK"
    case allowWeakCiphers = "IPSEC_ALLOW_WEAK_CIPHERS"
    case role = "IPSEC_ROLE"
    case dpdDelay = "IPSEC_DPD_DELAY"
    case dpdTimeout = "IPSEC_DPD_TIMEOUT"
    case dpdAction = "IPSEC_DPD_ACTION"
    case startAction = "IPSEC_START_ACTION"
    case closeAction = "IPSEC_CLOSE_ACTION"
    case keyingTries = "IPSEC_KEYINGTRIES"
    case probe = "IPSEC_PROBE"
    case probeInterval = "IPSEC_PROBE_INTERVAL"
    case metricsListen = "IPSEC_METRICS_LISTEN"
    case readyMinimum = "IPSEC_READY_MINIMUM"
    case logFormat = "LOG_FORMAT"
    case readyRequiresProbe = "IPSEC_READY_REQUIRES_PROBE"
    case reloadOnChange = "IPSEC_RELOAD_ON_CHANGE"
    case failClosed = "IPSEC_FAIL_CLOSED"
    case vtiFollowsSA = "IPSEC_VTI_FOLLOWS_SA"
    case vtiRouteMetric = "IPSEC_VTI_ROUTE_METRIC"
    case retransmitTimeout = "IPSEC_RETRANSMIT_TIMEOUT"
    case retransmitTries = "IPSEC_RETRANSMIT_TRIES"
    case retransmitBase = "IPSEC_RETRANSMIT_BASE"
    // X.509 authentication: how the tunnel authenticates and the files it uses (tunnel scope).
    case auth = "IPSEC_AUTH"
    case localCert = "IPSEC_LOCALCERT"
    case localKey = "IPSEC_LOCALKEY"
    case caCert = "IPSEC_CACERT"
    case crl = "IPSEC_CRL"

    /// The variable's name in the environment.
    public var name: String { rawValue }

    /// What the variable configures: one tunnel, the whole gateway, or how the configuration is found.
    public enum Scope: String, Sendable, Codable {
        /// A tunnel's own value: a key of a configuration file's tunnel (or of its `defaults:`).
        case tunnel
        /// Shared by all tunnels: a top-level key of a configuration file (or of its `defaults:`).
        case gateway
        /// Only in the environment: where the configuration is, or upstream's manual mode.
        case environment
    }

    public var scope: Scope {
        switch self {
        case .envFile, .configFile, .useManualConfig: .environment
        case .interfaces, .debug, .setRouteDefaultTable, .manualCharon, .metricsListen, .readyMinimum, .logFormat, .readyRequiresProbe, .reloadOnChange,
             .failClosed, .vtiFollowsSA, .retransmitTimeout, .retransmitTries, .retransmitBase: .gateway
        default: .tunnel
        }
    }

    /// The key in a configuration file: the name without `IPSEC_`, in lower case (`IPSEC_VTI_KEY` is
    /// `vti_key`, `DEBUG` is `debug`); nil for the environment-only variables.
    public var fileKey: String? {
        guard scope != .environment else { return nil }
        return (rawValue.hasPrefix("IPSEC_") ? String(rawValue.dropFirst(6)) : rawValue).lowercased()
    }

    /// The variable a configuration file's key stands for.
    public init?(fileKey: String) {
        guard let variable = Self.byFileKey[fileKey] else { return nil }
        self = variable
    }

    /// Built once: a file of many tunnels looks up every key of every tunnel.
    private static let byFileKey = Dictionary(uniqueKeysWithValues: allCases.compactMap { variable in variable.fileKey.map { ($0, variable) } })

    /// The variable whose name is closest to `unknown` (edit distance), when it is close enough to be a typo.
    public static func closest(to unknown: String) -> ConfigVariable? {
        let upper = unknown.uppercased()
        let ranked = allCases.map { ($0, editDistance(upper, $0.rawValue)) }.min { $0.1 < $1.1 }
        guard let (variable, distance) = ranked else { return nil }
        return distance <= max(2, variable.rawValue.count / 4) ? variable : nil
    }
}

/// Levenshtein distance; names are short, so the quadratic table is fine.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = Array(repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
