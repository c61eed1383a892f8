import Foundation

/// Reads and validates one variable after another, collecting problems instead of stopping at the first.
/// The same reader serves the environment (upstream's one tunnel) and each tunnel of a configuration file,
/// whose keys are turned into the variables' names first: one set of rules and messages for both.
struct ConfigurationReader {
    var values: [String: String]
    var problems: [ConfigurationProblem] = []
    var warnings: [ConfigurationWarning] = []
    /// How problems name what they are about.
    var naming: Naming
    let files: FileAccess
    /// Secrets read from files: cut out of any echoed text like the inline key.
    private var secretsRead: [String] = []

    /// How a problem names its value: the variable, or the file's key within its tunnel.
    enum Naming {
        case environment
        /// A configuration file: `tunnel` is the tunnel's name (or its position), nil for gateway-wide keys.
        case file(tunnel: String?)
    }

    init(values: [String: String], naming: Naming = .environment, files: FileAccess = .system) {
        self.values = values
        self.naming = naming
        self.files = files
    }

    mutating func fail(_ variable: ConfigVariable, value: String?, _ expected: String) {
        let shown = variable == .psk ? nil : value.map(redactingSecret)
        problems.append(ConfigurationProblem(name: displayName(variable), value: shown, expected: inNaming(redactingSecret(expected))))
    }

    mutating func warn(_ variable: ConfigVariable, _ message: String) {
        warnings.append(ConfigurationWarning(variable: displayName(variable), message: inNaming(redactingSecret(message))))
    }

    /// The variable as the operator wrote it: its name, or in a file its key with the tunnel.
    func displayName(_ variable: ConfigVariable) -> String {
        switch naming {
        case .environment: variable.rawValue
        case .file(let tunnel?): "tunnel \(tunnel): \(variable.fileKey ?? variable.rawValue)"
        case .file(nil): variable.fileKey ?? variable.rawValue
        }
    }

    /// A message in the file's terms: every variable it names becomes that variable's key.
    func inNaming(_ text: String) -> String {
        guard case .file = naming else { return text }
        var result = text
        for variable in ConfigVariable.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }) {
            guard let key = variable.fileKey, result.contains(variable.rawValue) else { continue }
            result = result.replacingOccurrences(of: variable.rawValue, with: key)
        }
        return result
    }

    /// Any text echoed back with the PSK cut out: a broken file can carry the key inside another value
    /// (a CRLF ENVFILE once made the whole file the first key's value).
    func redactingSecret(_ text: String) -> String {
        var result = text
        for secret in secretsRead + [values[ConfigVariable.psk.rawValue]].compactMap({ $0 }) where secret.count >= 4 {
            result = result.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return result
    }

    /// The value, trimmed; nil when unset or blank (upstream treats empty as unset everywhere).
    func nonEmpty(_ variable: ConfigVariable) -> String? {
        guard let raw = values[variable.rawValue] else { return nil }
        let trimmed = variable == .psk ? raw : raw.trimmingSpaces
        return trimmed.isEmpty ? nil : trimmed
    }

    mutating func parse<T>(_ variable: ConfigVariable, expected: String, _ parser: (String) -> T?) -> T? {
        guard let text = nonEmpty(variable) else { return nil }
        guard let value = parser(text) else {
            fail(variable, value: text, expected)
            return nil
        }
        return value
    }

    /// yes/no switches: upstream documents `yes`/`no`; true/false/1/0/on/off are accepted too.
    mutating func flag(_ variable: ConfigVariable, default defaultValue: Bool) -> Bool {
        parse(variable, expected: "expected yes or no", Self.boolean) ?? defaultValue
    }

    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "yes", "true", "1", "on", "y": true
        case "no", "false", "0", "off", "n": false
        default: nil
        }
    }

    /// Upstream's "set to anything to enable" switches (IPSEC_USE_MANUAL_CONFIG, IPSEC_MANUAL_CHARON, DEBUG).
    /// An explicit no/false/0/off disables, where upstream would have enabled; the warning says so.
    mutating func presenceSwitch(_ variable: ConfigVariable) -> Bool {
        // A configuration file never had upstream's rule: there a switch is yes or no like any other.
        if case .file = naming { return flag(variable, default: false) }
        guard let text = nonEmpty(variable) else { return false }
        if Self.boolean(text) == false {
            warn(variable, "\"\(text)\" is read as off (the upstream image enabled this switch for any non-empty value)")
            return false
        }
        return true
    }

    mutating func networks(_ variable: ConfigVariable) -> [IPNetwork]? {
        guard let text = nonEmpty(variable) else { return nil }
        var result: [IPNetwork] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false).map({ String($0).trimmingSpaces }) {
            guard let network = IPNetwork(item) else {
                fail(variable, value: text, "'\(item)' is not a network; expected comma-separated CIDRs such as 198.51.100.0/24,2001:db8:1::/48")
                return nil
            }
            if network.masked != network {
                warn(variable, "'\(item)' has host bits set; using \(network.masked)")
            }
            result.append(network.masked)
        }
        return result
    }

    /// The gateway-wide values; `tunnels` is left empty for the caller.
    mutating func gatewaySettings() -> GatewayConfig {
        var config = GatewayConfig(tunnels: [])
        config.mode = presenceSwitch(.useManualConfig) ? .manual : .generated
        config.charonSettings = presenceSwitch(.manualCharon) ? .mounted : .generated
        config.debug = presenceSwitch(.debug)
        config.setRouteDefaultTable = flag(.setRouteDefaultTable, default: false)
        config.metricsListen = parse(.metricsListen, expected: "expected ADDRESS:PORT, e.g. 127.0.0.1:9500 or [2001:db8::1]:9500 (an address is required: metrics are not published on every address by default)", ListenAddress.init)
        config.readyMinimum = parse(.readyMinimum, expected: "expected a whole number of tunnels from 1") { Int($0).flatMap { $0 > 0 ? $0 : nil } }
        config.logFormat = parse(.logFormat, expected: "expected text or json") { GatewayConfig.LogFormat(rawValue: $0.lowercased()) } ?? .text
        config.readyRequiresProbe = flag(.readyRequiresProbe, default: false)
        config.reloadOnChange = flag(.reloadOnChange, default: true)
        config.failClosed = flag(.failClosed, default: true)
        config.vtiFollowsSA = flag(.vtiFollowsSA, default: true)
        config.retransmission.timeout = parse(.retransmitTimeout, expected: "expected seconds from 0.1 to 3600, e.g. 0.5") { text in
            Double(text).flatMap { (0.1...3600).contains($0) ? $0 : nil }
        }
        config.retransmission.tries = parse(.retransmitTries, expected: "expected a whole number of retransmissions from 0 to 100") { text in
            UInt32(text).flatMap { $0 <= 100 ? $0 : nil }
        }
        config.retransmission.base = parse(.retransmitBase, expected: "expected a factor from 1 to 10, e.g. 1.4") { text in
            Double(text).flatMap { (1...10).contains($0) ? $0 : nil }
        }
        if let interfaces = values[ConfigVariable.interfaces.rawValue] {
            // Set but empty, or unset, means "all interfaces", as upstream's README says ("If not set, it will
            // bind to all interfaces"; its charon template writes interfaces_use only when the variable exists).
            config.interfaces = interfaces.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
            for name in config.interfaces where !Self.isInterfaceName(name) {
                fail(.interfaces, value: interfaces, "'\(name)' is not an interface name (1-15 characters: letters, digits, -, _ and ., not . or ..)")
            }
        }
        return config
    }

    /// One tunnel named `name`. In upstream's manual mode the mounted files decide and only what
    /// SET_ROUTE_DEFAULT_TABLE needs is read, unchecked against the tunnel's rules.
    mutating func tunnel(named name: String, purpose: GatewayConfig.Purpose, manual: Bool, setRouteDefaultTable: Bool) -> TunnelConfig {
        var config = TunnelConfig(name: name)

        let key: UInt32? = parse(.vtiKey, expected: "expected a whole number from 1 to 4294967295") { text in
            guard let value = UInt32(text), value > 0 else { return nil }
            return value
        }
        if let key {
            var vti = VTISettings(key: key)
            vti.staticRoutes = networks(.vtiStaticRoutes) ?? []
            vti.localAddress = parse(.vtiLocalAddress, expected: "expected an address with optional prefix, e.g. 169.254.10.1/30", IPNetwork.init)
            vti.peerAddress = parse(.vtiPeerAddress, expected: "expected an address with optional prefix, e.g. 169.254.10.2/30", IPNetwork.init)
            if vti.peerAddress != nil, vti.localAddress == nil {
                fail(.vtiLocalAddress, value: nil, "must be set when IPSEC_VTI_IPADDR_PEER is set (the peer address belongs to a local p2p address)")
            }
            if let local = vti.localAddress, let peer = vti.peerAddress, local.address.isIPv6 != peer.address.isIPv6 {
                fail(.vtiPeerAddress, value: peer.description, "must be of the same family as IPSEC_VTI_IPADDR_LOCAL (\(local))")
            }
            vti.mtu = parse(.vtiMTU, expected: "expected a whole number of bytes from \(VTISettings.mtuRange.lowerBound) to \(VTISettings.mtuRange.upperBound)") { text in
                UInt32(text).flatMap { VTISettings.mtuRange.contains($0) ? $0 : nil }
            }
            vti.routeMetric = parse(.vtiRouteMetric, expected: "expected a whole number from 0 to 4294967295 (lower is preferred)") { UInt32($0) }
            config.vti = vti
        } else {
            for variable in [ConfigVariable.vtiStaticRoutes, .vtiLocalAddress, .vtiPeerAddress, .vtiMTU, .vtiRouteMetric] where nonEmpty(variable) != nil {
                warn(variable, "is ignored because IPSEC_VTI_KEY is not set")
            }
        }

        let endpointHelp = "expected an IPv4/IPv6 address, %any or a DNS name"
        let local = parse(.localIP, expected: endpointHelp, Endpoint.init)
        let remote = parse(.remoteIP, expected: endpointHelp, Endpoint.init)
        config.local = local ?? .any
        config.remote = remote ?? .any
        if let mtu = config.vti?.mtu, mtu < 1280, config.local.address?.isIPv6 == true || config.remote.address?.isIPv6 == true {
            fail(.vtiMTU, value: String(mtu), "must be at least 1280 for a vti6 (IPv6's minimum MTU)")
        }
        config.localPrivateIP = parse(.localPrivateIP, expected: "expected an IPv4 or IPv6 address", IPAddress.init)

        if purpose == .vtiOnly {
            // `init` builds the VTI: it needs the key and both endpoints as addresses.
            if config.vti == nil, nonEmpty(.vtiKey) == nil { fail(.vtiKey, value: nil, "is required by init (it names the VTI and its key)") }
            requireAddress(.localIP, local)
            requireAddress(.remoteIP, remote)
            return finish(config, manual: manual)
        }

        let identityHelp = "expected an IP address, FQDN (gw.example.com or @gw.example.com), user@fqdn or a distinguished name (C=CH, O=Example, CN=gw)"
        config.localID = parse(.localID, expected: identityHelp, Identity.init)
        config.remoteID = parse(.remoteID, expected: identityHelp, Identity.init)
        config.localNets = networks(.localNet) ?? []
        config.remoteNets = networks(.remoteNet) ?? []
        config.keyExchange = parse(.keyExchange, expected: "expected ike, ikev1 or ikev2") { KeyExchange(rawValue: $0.lowercased()) } ?? .ikev2
        let allowWeakCiphers = flag(.allowWeakCiphers, default: false)
        config.ikeProposals = proposals(.ikeCipher, kind: .ike, allowBroken: allowWeakCiphers) ?? .upstreamIKEDefault
        config.espProposals = proposals(.espCipher, kind: .esp, allowBroken: allowWeakCiphers) ?? .upstreamESPDefault
        let lifetimeHelp = "expected a duration such as 3600, 3600s, 30m, 1.5h or 1d"
        config.lifetime = parse(.lifetime, expected: lifetimeHelp, Lifetime.init) ?? .oneHour
        if config.lifetime > TunnelConfig.maximumLifetime {
            fail(.lifetime, value: nonEmpty(.lifetime), "must be at most 24h (\(TunnelConfig.maximumLifetime.seconds)s)")
        }
        config.ikeLifetime = parse(.ikeLifetime, expected: lifetimeHelp, Lifetime.init) ?? .threeHours
        config.forceUDPEncapsulation = flag(.forceUDP, default: true)
        config.ikeReauthentication = flag(.ikeReauth, default: true)
        // An unreadable IPSEC_REMOTEIP is already an error; read as %any it would add misleading ones.
        config.behaviour = behaviour(remote: remote == nil && nonEmpty(.remoteIP) != nil ? nil : config.remote, keyExchange: config.keyExchange)

        config.probe = probe(remoteNets: config.remoteNets)

        let allowWeakPSK = flag(.allowWeakPSK, default: false)
        let authentication = choice(.auth, TunnelAuthentication.self) ?? .psk
        if authentication == .pubkey {
            config.certificates = certificateAuthentication()
        } else {
            for variable in [ConfigVariable.localCert, .localKey, .caCert, .crl] where nonEmpty(variable) != nil {
                warn(variable, "is ignored because IPSEC_AUTH is psk (set IPSEC_AUTH=pubkey to authenticate with certificates)")
            }
        }
        if authentication == .pubkey {
            for variable in [ConfigVariable.psk, .pskFile] where nonEmpty(variable) != nil {
                warn(variable, "is ignored because IPSEC_AUTH is pubkey")
            }
        } else if let secret = presharedKey(into: &config) {
            let psk = PreSharedKey(secret)
            if let weakness = psk.weakness, !allowWeakPSK {
                fail(.psk, value: nil, "the key \(weakness); use a long random string (e.g. `openssl rand -base64 32`) or set IPSEC_ALLOW_WEAK_PSK=yes")
            }
            if secret.contains(where: \.isNewline) { fail(.psk, value: nil, "must be a single line") }
            if secret.utf8.count > PreSharedKey.maximumBytes {
                fail(.psk, value: nil, "is \(secret.utf8.count) bytes long; at most \(PreSharedKey.maximumBytes) are accepted")
            }
            config.psk = psk
        }

        if !manual {
            requireTunnelVariables(config, vtiMode: config.vti != nil, authentication: authentication)
        }
        if setRouteDefaultTable, config.remoteNets.isEmpty, manual {
            fail(.remoteNet, value: nil, "is required by SET_ROUTE_DEFAULT_TABLE (it is the route's destination)")
        }
        return finish(config, manual: manual)
    }

    private mutating func requireAddress(_ variable: ConfigVariable, _ endpoint: Endpoint?) {
        switch endpoint {
        case nil: if nonEmpty(variable) == nil { fail(variable, value: nil, "is required to create the VTI") }
        case .address?: break
        case let other?: fail(variable, value: other.description, "must be an IP address to create the VTI (the kernel needs the tunnel's endpoint)")
        }
    }

    /// Upstream's required lists, reported all at once. Like upstream (its _set_default_variables), an ID
    /// defaults to its side's address and is required only where that address is %any.
    /// With certificates no key is needed, and the IDs come from the certificates (see certificateAuthentication).
    private mutating func requireTunnelVariables(_ config: TunnelConfig, vtiMode: Bool, authentication: TunnelAuthentication) {
        let required: [ConfigVariable] = vtiMode
            ? [.localIP, .remoteIP, .remoteNet, .psk]
            : [.localNet, .psk, .remoteNet]
        for variable in required where isUnset(variable) {
            if variable == .psk, authentication == .pubkey { continue }
            // A key from a file counts as the key.
            if variable == .psk, config.psk != nil || !isUnset(.pskFile) { continue }
            fail(variable, value: nil, "is required" + (vtiMode ? " (route-based mode, IPSEC_VTI_KEY is set)" : "")
                 + (variable == .psk ? " (or IPSEC_PSK_FILE)" : ""))
        }
        if !vtiMode, authentication == .psk {
            // An endpoint already in error is not %any: its ID is not asked for on top.
            let inError = Set(problems.map(\.variable))
            if config.remote == .any, isUnset(.remoteID), !inError.contains(displayName(.remoteIP)) {
                fail(.remoteID, value: nil, "is required when IPSEC_REMOTEIP is %any or unset (otherwise it defaults to IPSEC_REMOTEIP)")
            }
            if config.local == .any, isUnset(.localID), !inError.contains(displayName(.localIP)) {
                fail(.localID, value: nil, "is required when IPSEC_LOCALIP is %any or unset (otherwise it defaults to IPSEC_LOCALIP)")
            }
        }
    }

    private func isUnset(_ variable: ConfigVariable) -> Bool {
        values[variable.rawValue].map { $0.trimmingSpaces.isEmpty } ?? true
    }

    private mutating func proposals(_ variable: ConfigVariable, kind: ProposalList.Kind, allowBroken: Bool) -> ProposalList? {
        guard let text = nonEmpty(variable) else { return nil }
        var parsed = ProposalList.parse(text, kind: kind)
        if case .failure(.unauthenticated) = parsed, allowBroken {
            parsed = ProposalList.parse(text, kind: kind, requireIntegrity: false)
        }
        switch parsed {
        case .failure(.empty):
            fail(variable, value: text, "no proposal given")
        case .failure(.emptyProposal(let position)):
            fail(variable, value: text, "proposal \(position) is empty (stray comma or dash?)")
        case .failure(.unknownAlgorithm(let token)):
            fail(variable, value: text, "'\(token)' is not an algorithm strongSwan knows for \(kind == .ike ? "IKE" : "ESP"); see strongSwan's cipher suite list")
        case .failure(.incomplete(let position, let missing)):
            fail(variable, value: text, "proposal \(position) lacks \(missing); charon would refuse it")
        case .failure(.unauthenticated(let position)):
            fail(variable, value: text, "proposal \(position) encrypts without integrity (packets could be altered undetected); add e.g. sha256 or use aes256gcm16, or set IPSEC_ALLOW_WEAK_CIPHERS=yes")
        case .failure(.mixesAEAD(let position)):
            fail(variable, value: text, "proposal \(position) mixes AEAD ciphers (GCM, CCM, ChaCha20-Poly1305) with classic ones; charon refuses that, put them in separate proposals")
        case .success(let list):
            let broken = list.brokenAlgorithms
            if !broken.isEmpty, !allowBroken {
                fail(variable, value: text, "uses broken algorithms (\(broken.joined(separator: ", "))); choose e.g. \(kind == .ike ? "aes256gcm16-prfsha384-ecp384" : "aes256gcm16-ecp384"), or set IPSEC_ALLOW_WEAK_CIPHERS=yes")
                return nil
            }
            return list
        }
        return nil
    }

    mutating func warnUnknownVariables() {
        let known = Set(ConfigVariable.allCases.map(\.rawValue))
        // Without the IPSEC_ prefix only near misses of our three unprefixed names (or of any name in the
        // wrong case) are reported: the rest of the environment (PATH, HOME, …) is none of our business.
        let unprefixed = ConfigVariable.allCases.filter { !$0.rawValue.hasPrefix("IPSEC_") }
        for name in values.keys.sorted() where !known.contains(name) {
            let upper = name.uppercased()
            let nearUnprefixed = unprefixed.first { editDistance(upper, $0.rawValue) <= 2 }
            guard upper.hasPrefix("IPSEC_") || known.contains(upper) || nearUnprefixed != nil else { continue }
            let suggestion = known.contains(upper) ? ConfigVariable(rawValue: upper) : (ConfigVariable.closest(to: name) ?? nearUnprefixed)
            let hint = suggestion.map { "; did you mean \($0.rawValue)?" } ?? ""
            warnings.append(ConfigurationWarning(variable: name, message: "is not a variable vnf-ipsec knows and is ignored\(hint)"))
        }
    }

    /// 1 to 15 bytes (IFNAMSIZ) of letters, digits, `-`, `_` and `.`, and not `.` or `..`. Linux accepts
    /// more, but these names reach charon's comma-separated `interfaces_use` list: a comma would add an
    /// interface, a quote or brace used to end the value.
    static func isInterfaceName(_ name: String) -> Bool {
        (1...15).contains(name.utf8.count) && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    private mutating func finish(_ config: TunnelConfig, manual: Bool) -> TunnelConfig {
        if !manual {
            // What each value allowed but the whole cannot do; a variable already in error is not repeated.
            let named = Set(problems.map(\.variable))
            for violation in config.invariantViolations() where !named.contains(displayName(violation.variable)) {
                fail(violation.variable, value: nonEmpty(violation.variable) ?? violation.value, violation.reason)
            }
        }
        return config
    }

    // MARK: keys from files

    /// The key from IPSEC_PSK or from the file IPSEC_PSK_FILE names (one of the two). A file's single
    /// trailing newline is not part of the key (`echo` and most editors add one; Kubernetes' Secrets don't).
    private mutating func presharedKey(into config: inout TunnelConfig) -> String? {
        let inline = nonEmpty(.psk)
        guard let path = nonEmpty(.pskFile) else { return inline }
        if inline != nil {
            fail(.pskFile, value: path, "and IPSEC_PSK are both set; keep one")
            return nil
        }
        config.pskFile = path
        let text: String
        do {
            text = try files.read(path)
        } catch {
            fail(.pskFile, value: path, "cannot be read (\(FileAccess.reason(error))); mount the key file there or correct the path")
            return nil
        }
        var secret = Substring(text)
        if secret.hasSuffix("\r\n") { secret = secret.dropLast() } else if secret.hasSuffix("\n") { secret = secret.dropLast() }
        if !secret.isEmpty { secretsRead.append(String(secret)) }
        if let mode = files.permissions(path), mode & 0o077 != 0 {
            warn(.pskFile, "\(path) is readable by \(mode & 0o007 != 0 ? "everyone" : "its group") (mode \(String(mode & 0o777, radix: 8))); make it 0600 or 0400 (Kubernetes: defaultMode: 0400)")
        }
        guard !secret.isEmpty else {
            fail(.pskFile, value: path, "is empty")
            return nil
        }
        return String(secret)
    }

    // MARK: certificates

    /// IPSEC_LOCALCERT, IPSEC_LOCALKEY, IPSEC_CACERT and IPSEC_CRL read (IPSEC_AUTH=pubkey): each file
    /// must hold what its variable names, in PEM; the key file must be readable by its owner only.
    /// What the certificates mean is checked by CertificateChecks; nil when any file is unusable.
    private mutating func certificateAuthentication() -> CertificateAuthentication? {
        var usable = true
        // The paths reach ipsec.conf (`leftcert=`) and ipsec.secrets, whose parser has no escapes.
        for variable in [ConfigVariable.localCert, .localKey, .caCert, .crl] {
            guard let path = nonEmpty(variable), path.unicodeScalars.contains(where: { $0 == "\"" || $0 == "\\" || OneLineText.isControl($0) }) else { continue }
            fail(variable, value: path, "must not hold a quote, backslash or control character; rename the file or mount it elsewhere")
            usable = false
        }
        guard usable else { return nil }
        for variable in [ConfigVariable.localCert, .localKey, .caCert] where nonEmpty(variable) == nil {
            fail(variable, value: nil, "is required when IPSEC_AUTH is pubkey")
            usable = false
        }
        let certificate = pemFile(.localCert, labels: PEMFile.certificateLabel, what: "a PEM certificate (-----BEGIN CERTIFICATE-----)")
        let key = privateKeyFile()
        var authorities: [PEMFile] = []
        if let list = nonEmpty(.caCert) {
            for item in list.split(separator: ",").map({ String($0).trimmingSpaces }) where !item.isEmpty {
                if let folder = files.folderFiles(item) {
                    // A folder (a mounted Secret or a CA bundle directory): its files that hold certificates;
                    // others (a Secret's tls.key beside its ca.crt) are none of the CA's business.
                    let found = folder.compactMap { path in (try? files.read(path)).map { PEMFile(path: path, contents: $0) } }
                        .filter { !$0.blocks(labeled: PEMFile.certificateLabel).isEmpty }
                    if found.isEmpty {
                        fail(.caCert, value: item, "is a folder with no PEM certificate in it")
                        usable = false
                    }
                    authorities += found
                } else if let file = pemFile(.caCert, path: item, labels: PEMFile.certificateLabel, what: "PEM CA certificates (-----BEGIN CERTIFICATE-----)") {
                    authorities.append(file)
                } else {
                    usable = false
                }
            }
        }
        let crl = nonEmpty(.crl) == nil ? nil : pemFile(.crl, labels: PEMFile.crlLabel, what: "a PEM certificate revocation list (-----BEGIN X509 CRL-----)")
        if nonEmpty(.crl) != nil, crl == nil { usable = false }
        guard usable, let certificate, let key, !authorities.isEmpty else { return nil }
        return CertificateAuthentication(certificate: certificate, privateKey: key, authorities: authorities, revocationList: crl)
    }

    /// The file `variable` names (or `path`), which must hold at least one PEM block labelled `labels`.
    private mutating func pemFile(_ variable: ConfigVariable, path: String? = nil, labels: Set<String>, what: String) -> PEMFile? {
        guard let path = path ?? nonEmpty(variable) else { return nil }
        let text: String
        do {
            text = try files.read(path)
        } catch {
            fail(variable, value: path, "cannot be read (\(FileAccess.reason(error))); mount the file there or correct the path")
            return nil
        }
        let file = PEMFile(path: path, contents: text)
        guard !file.blocks(labeled: labels).isEmpty else {
            let found = file.labels
            fail(variable, value: path, "does not hold \(what)" + (found.isEmpty ? "" : "; it holds \(found.map { "'\($0)'" }.joined(separator: ", "))"))
            return nil
        }
        return file
    }

    /// IPSEC_LOCALKEY: one unencrypted private key, readable by its owner only (charon gets it over VICI;
    /// a key others can read is refused, not warned about like a PSK file, because it is the gateway's
    /// identity for every peer that trusts its CA).
    private mutating func privateKeyFile() -> PrivateKeyFile? {
        guard let path = nonEmpty(.localKey) else { return nil }
        let text: String
        do {
            text = try files.read(path)
        } catch {
            fail(.localKey, value: path, "cannot be read (\(FileAccess.reason(error))); mount the key file there or correct the path")
            return nil
        }
        if let mode = files.permissions(path), mode & 0o077 != 0 {
            fail(.localKey, value: path, "is readable by \(mode & 0o007 != 0 ? "everyone" : "its group") (mode \(String(mode & 0o777, radix: 8))); make it 0600 or 0400 (Kubernetes: defaultMode: 0400)")
            return nil
        }
        let key = PrivateKeyFile(path: path, pem: text)
        guard key.block != nil else {
            let labels = PEMFile(path: path, contents: text).labels
            if labels.contains("ENCRYPTED PRIVATE KEY") {
                fail(.localKey, value: path, "is encrypted; give the key unencrypted (openssl pkey -in key.pem -out plain.pem) in a file only its owner can read")
            } else {
                fail(.localKey, value: path, "does not hold a PEM private key (-----BEGIN PRIVATE KEY-----, EC PRIVATE KEY or RSA PRIVATE KEY)")
            }
            return nil
        }
        return key
    }

    // MARK: probe

    private mutating func probe(remoteNets: [IPNetwork]) -> DataPlaneProbe? {
        let interval = parse(.probeInterval, expected: "expected a duration such as 5s or 1m", Lifetime.init)
        guard let target = parse(.probe, expected: "expected ADDRESS:PORT of a TCP service (or any address: a refusal counts as an answer) behind the peer, e.g. 10.1.0.1:22", ListenAddress.init) else {
            if interval != nil { warn(.probeInterval, "is ignored because IPSEC_PROBE is not set") }
            return nil
        }
        if !remoteNets.isEmpty, !remoteNets.contains(where: { $0.contains(target.address) }) {
            fail(.probe, value: target.description, "is not inside IPSEC_REMOTENET (\(remoteNets.map(\.description).joined(separator: ", "))): the probe would not go through the tunnel")
        }
        return DataPlaneProbe(target: target, interval: interval ?? Lifetime(seconds: 10))
    }

    // MARK: behaviour

    /// - Parameter remote: the peer; nil when IPSEC_REMOTEIP is set but unreadable (its rules are skipped).
    private mutating func behaviour(remote: Endpoint?, keyExchange: KeyExchange) -> TunnelBehaviour {
        var behaviour = TunnelBehaviour()
        behaviour.role = choice(.role, TunnelBehaviour.Role.self) ?? .automatic
        let durationHelp = "expected a duration such as 30, 30s, 2m or 0 (off)"
        if let delay = parse(.dpdDelay, expected: durationHelp, Self.durationOrZero) { behaviour.dpdDelay = delay }
        behaviour.dpdTimeout = parse(.dpdTimeout, expected: "expected a duration such as 150s or 2m", Lifetime.init)
        if behaviour.dpdTimeout != nil, keyExchange == .ikev2 {
            warn(.dpdTimeout, "applies to IKEv1 only; with IKEv2 charon's retransmission settings decide when the peer is dead")
        }
        behaviour.dpdAction = choice(.dpdAction, TunnelBehaviour.DPDAction.self) ?? .restart
        behaviour.startAction = choice(.startAction, TunnelBehaviour.StartAction.self)
        behaviour.closeAction = choice(.closeAction, TunnelBehaviour.CloseAction.self) ?? .none
        behaviour.keyingTries = parse(.keyingTries, expected: "expected a whole number of attempts, 0 for forever") { UInt32($0) } ?? 0
        if let start = behaviour.startAction, start != .none {
            if behaviour.role == .responder {
                fail(.startAction, value: start.rawValue, "would initiate, but IPSEC_ROLE is responder; use none (or drop IPSEC_ROLE)")
            } else if remote == .any {
                fail(.startAction, value: start.rawValue, "needs a peer to initiate to; IPSEC_REMOTEIP is %any")
            }
        }
        if behaviour.role == .initiator, remote == .any {
            fail(.role, value: "initiator", "needs a peer to initiate to; IPSEC_REMOTEIP is %any")
        }
        return behaviour
    }

    /// One of an enumeration's raw values, case-insensitively.
    private mutating func choice<T: RawRepresentable & CaseIterable>(_ variable: ConfigVariable, _ type: T.Type) -> T? where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        return parse(variable, expected: "expected " + names.dropLast().joined(separator: ", ") + " or " + names.last!) { T(rawValue: $0.lowercased()) }
    }

    /// A Lifetime, or 0 (DPD off).
    static func durationOrZero(_ text: String) -> Lifetime? {
        text == "0" || text == "0s" ? Lifetime(seconds: 0) : Lifetime(text)
    }
}
