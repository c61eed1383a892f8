import Foundation

extension TunnelConfig {
    /// Reads the tunnel from upstream's environment variables (and the file `ENVFILE` names), validating
    /// everything and reporting every problem at once.
    ///
    /// Precedence: values in `ENVFILE` override the process environment, as upstream's `source $ENVFILE` did,
    /// so an existing deployment behaves the same. The file is parsed, never executed.
    ///
    /// - Parameters:
    ///   - environment: the process environment (passed in, so the function is pure and testable).
    ///   - purpose: `.tunnel` for `run`/`check`/`render`; `.vtiOnly` for `init`, which needs only the VTI variables.
    ///   - readFile: reads `ENVFILE`; injected for tests.
    /// - Throws: ``ConfigurationErrors`` listing every problem, each naming its variable.
    public static func load(
        environment: [String: String],
        purpose: Purpose = .tunnel,
        readFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }
    ) throws(ConfigurationErrors) -> LoadedConfiguration {
        var reader = EnvironmentReader(environment: environment)
        if let path = reader.nonEmpty(.envFile) {
            do {
                let file = try EnvironmentFile.parse(try readFile(path), path: path)
                reader.values.merge(file.values) { _, fromFile in fromFile }
            } catch let error as EnvironmentFile.ParseError {
                reader.fail(.envFile, value: path, "cannot be parsed: line \(error.line): \(error.reason)")
            } catch let error as CocoaError {
                reader.fail(.envFile, value: path, "cannot be read (\(Self.reason(error))); mount the file or unset ENVFILE")
            } catch {
                reader.fail(.envFile, value: path, "cannot be read (\(error)); mount the file or unset ENVFILE")
            }
            // The rest of the configuration is in that file: "X is required" for each of its variables
            // would only bury the one real problem.
            if !reader.problems.isEmpty { throw ConfigurationErrors(reader.problems, warnings: reader.warnings) }
        }
        return try reader.build(purpose: purpose)
    }

    /// A file error in words, without Foundation's domain and code ("NSCocoaErrorDomain Code=257").
    static func reason(_ error: CocoaError) -> String {
        switch error.code {
        case .fileReadNoSuchFile, .fileNoSuchFile: "no such file"
        case .fileReadNoPermission: "permission denied"
        case .fileReadInapplicableStringEncoding, .fileReadCorruptFile: "not UTF-8 text"
        case .fileReadTooLarge: "too large"
        default:
            if let posix = error.userInfo[NSUnderlyingErrorKey] as? POSIXError { String(cString: strerror(posix.code.rawValue)) }
            else { error.localizedDescription }
        }
    }

    /// What the configuration is loaded for: decides which variables are required.
    public enum Purpose: Sendable { case tunnel, vtiOnly }
}

/// Reads and validates one variable after another, collecting problems instead of stopping at the first.
struct EnvironmentReader {
    var values: [String: String]
    var problems: [ConfigurationProblem] = []
    var warnings: [ConfigurationWarning] = []

    init(environment: [String: String]) { values = environment }

    mutating func fail(_ variable: ConfigVariable, value: String?, _ expected: String) {
        problems.append(ConfigurationProblem(variable, value: value.map(redactingSecret), expected: redactingSecret(expected)))
    }

    /// Any text echoed back with the PSK cut out: a broken file can carry the key inside another value
    /// (a CRLF ENVFILE once made the whole file the first key's value).
    func redactingSecret(_ text: String) -> String {
        guard let secret = values[ConfigVariable.psk.rawValue], secret.count >= 4 else { return text }
        return text.replacingOccurrences(of: secret, with: "<redacted>")
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
        guard let text = nonEmpty(variable) else { return false }
        if Self.boolean(text) == false {
            warnings.append(ConfigurationWarning(variable: variable.rawValue,
                message: "\"\(text)\" is read as off (the upstream image enabled this switch for any non-empty value)"))
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
                warnings.append(ConfigurationWarning(variable: variable.rawValue,
                    message: "'\(item)' has host bits set; using \(network.masked)"))
            }
            result.append(network.masked)
        }
        return result
    }

    mutating func build(purpose: TunnelConfig.Purpose) throws(ConfigurationErrors) -> LoadedConfiguration {
        warnUnknownVariables()
        var config = TunnelConfig()
        config.mode = presenceSwitch(.useManualConfig) ? .manual : .generated
        config.charonSettings = presenceSwitch(.manualCharon) ? .mounted : .generated
        config.debug = presenceSwitch(.debug)

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
            config.vti = vti
        } else {
            for variable in [ConfigVariable.vtiStaticRoutes, .vtiLocalAddress, .vtiPeerAddress, .vtiMTU] where nonEmpty(variable) != nil {
                warnings.append(ConfigurationWarning(variable: variable.rawValue, message: "is ignored because IPSEC_VTI_KEY is not set"))
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
        config.setRouteDefaultTable = flag(.setRouteDefaultTable, default: false)

        if purpose == .vtiOnly {
            // `init` builds the VTI: it needs the key and both endpoints as addresses.
            if config.vti == nil, nonEmpty(.vtiKey) == nil { fail(.vtiKey, value: nil, "is required by init (it names the VTI and its key)") }
            requireAddress(.localIP, local)
            requireAddress(.remoteIP, remote)
            return try finish(config)
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
        if let interfaces = values[ConfigVariable.interfaces.rawValue] {
            // Set but empty, or unset, means "all interfaces", as upstream's README says ("If not set, it will
            // bind to all interfaces"; its charon template writes interfaces_use only when the variable exists).
            config.interfaces = interfaces.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
            for name in config.interfaces where !Self.isInterfaceName(name) {
                fail(.interfaces, value: interfaces, "'\(name)' is not an interface name (1-15 characters: letters, digits, -, _ and ., not . or ..)")
            }
        }

        let allowWeakPSK = flag(.allowWeakPSK, default: false)
        if let secret = nonEmpty(.psk) {
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

        if !config.isManual {
            requireTunnelVariables(config, vtiMode: config.vti != nil)
        }
        if config.setRouteDefaultTable, config.remoteNets.isEmpty, config.isManual {
            fail(.remoteNet, value: nil, "is required by SET_ROUTE_DEFAULT_TABLE (it is the route's destination)")
        }
        return try finish(config)
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
    private mutating func requireTunnelVariables(_ config: TunnelConfig, vtiMode: Bool) {
        let required: [ConfigVariable] = vtiMode
            ? [.localIP, .remoteIP, .remoteNet, .psk]
            : [.localNet, .psk, .remoteNet]
        for variable in required where isUnset(variable) {
            fail(variable, value: nil, "is required" + (vtiMode ? " (route-based mode, IPSEC_VTI_KEY is set)" : ""))
        }
        if !vtiMode {
            if config.remote == .any, isUnset(.remoteID) {
                fail(.remoteID, value: nil, "is required when IPSEC_REMOTEIP is %any or unset (otherwise it defaults to IPSEC_REMOTEIP)")
            }
            if config.local == .any, isUnset(.localID) {
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

    private mutating func warnUnknownVariables() {
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

    private mutating func finish(_ config: TunnelConfig) throws(ConfigurationErrors) -> LoadedConfiguration {
        if !config.isManual {
            // What each value allowed but the whole cannot do; a variable already in error is not repeated.
            let named = Set(problems.map(\.variable))
            for violation in config.invariantViolations() where !named.contains(violation.variable.rawValue) {
                fail(violation.variable, value: nonEmpty(violation.variable) ?? violation.value, violation.reason)
            }
        }
        guard problems.isEmpty else { throw ConfigurationErrors(problems, warnings: warnings) }
        return LoadedConfiguration(config: config, warnings: warnings)
    }
}
