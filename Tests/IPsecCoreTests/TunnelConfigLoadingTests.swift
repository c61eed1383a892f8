import Foundation
import Testing
@testable import IPsecCore

/// A valid policy-based environment that each test varies one variable of.
let baseEnvironment: [String: String] = [
    "IPSEC_LOCALIP": "192.0.2.1", "IPSEC_LOCALID": "192.0.2.1", "IPSEC_LOCALNET": "198.51.100.0/24",
    "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_REMOTEID": "192.0.2.2", "IPSEC_REMOTENET": "203.0.113.0/24",
    "IPSEC_PSK": "unit-test-psk-0123456789abcdef",
]

func load(_ changes: [String: String?], base: [String: String] = baseEnvironment, purpose: GatewayConfig.Purpose = .tunnels) throws -> LoadedConfiguration {
    var environment = base
    for (key, value) in changes { environment[key] = value }
    return try GatewayConfig.load(environment: environment, purpose: purpose, files: FileAccess(read: { path in
        throw Unreadable(path: path)
    }))
}

struct Unreadable: Error { var path: String }

func problems(_ changes: [String: String?], base: [String: String] = baseEnvironment, purpose: GatewayConfig.Purpose = .tunnels) -> [ConfigurationProblem] {
    do {
        _ = try load(changes, base: base, purpose: purpose)
        return []
    } catch {
        return (error as? ConfigurationErrors)?.problems ?? []
    }
}

func swanctl(_ changes: [String: String?]) throws -> String {
    try StrongSwanBackend().swanctlConfiguration(load(changes).config).rendered(showSecrets: true)
}

func charonConf(_ changes: [String: String?]) throws -> String {
    try StrongSwanBackend().charonConfiguration(load(changes).config, format: .swanctl)
}

func ipsecConf(_ changes: [String: String?]) throws -> String {
    try StrongSwanBackend().ipsecConf(load(changes).config)
}

@Suite struct VariableEffectTests {
    @Test func upstreamDefaultsApplyWhenUnset() throws {
        let loaded = try load([:])
        let config = loaded.tunnel
        #expect(config.keyExchange == .ikev2)
        #expect(config.ikeProposals.description == "aes192gcm16-aes128gcm16-prfsha256-ecp256-ecp521,aes192-sha256-modp3072")
        #expect(config.espProposals.description == "aes192gcm16-aes128gcm16-ecp256,aes192-sha256-modp3072")
        #expect(config.lifetime.seconds == 3600 && config.ikeLifetime.seconds == 10800)
        #expect(config.forceUDPEncapsulation && config.ikeReauthentication)
        #expect(loaded.config.interfaces.isEmpty, "upstream: unset binds charon to all interfaces")
    }

    @Test func idsDefaultToTheEndpointsAsUpstreamDoes() throws {
        let text = try swanctl(["IPSEC_LOCALID": nil, "IPSEC_REMOTEID": nil, "IPSEC_LOCALIP": "192.0.2.10", "IPSEC_REMOTEIP": "gw.example.net"])
        #expect(text.contains("            id = 192.0.2.10\n"), "\(text)")
        #expect(text.contains("            id = gw.example.net\n"), "a DNS name becomes an FQDN identity: \(text)")
    }

    @Test func localAndRemoteIPBecomeAddresses() throws {
        let text = try swanctl(["IPSEC_LOCALIP": "192.0.2.10", "IPSEC_REMOTEIP": "192.0.2.20"])
        #expect(text.contains("        local_addrs = 192.0.2.10\n"))
        #expect(text.contains("        remote_addrs = 192.0.2.20\n"))
        #expect(try swanctl(["IPSEC_LOCALIP": "2001:db8::1", "IPSEC_REMOTEIP": "2001:db8::2"]).contains("        remote_addrs = 2001:db8::2\n"))
        #expect(try ipsecConf(["IPSEC_LOCALIP": "%any"]).contains("    left=%any\n"))
    }

    @Test func endpointsDefaultToAnyWithoutVTI() throws {
        let text = try swanctl(["IPSEC_LOCALIP": nil, "IPSEC_REMOTEIP": nil])
        #expect(!text.contains("local_addrs") && !text.contains("remote_addrs"))
        #expect(text.contains("start_action = none"), "a responder for any peer cannot trap")
    }

    @Test func identitiesAreRenderedAndOwnTheKey() throws {
        let text = try swanctl(["IPSEC_LOCALID": "@gw-a.example.net", "IPSEC_REMOTEID": "C=CH, O=Example, CN=gw-b"])
        #expect(text.contains("            id = @gw-a.example.net\n"))
        #expect(text.contains("            id = \"C=CH, O=Example, CN=gw-b\"\n"))
        #expect(text.contains("        id-1 = @gw-a.example.net\n        id-2 = \"C=CH, O=Example, CN=gw-b\"\n"))
    }

    @Test func subnetsBecomeTrafficSelectors() throws {
        let text = try swanctl(["IPSEC_LOCALNET": "198.51.100.0/25, 2001:db8:a::/64", "IPSEC_REMOTENET": "203.0.113.0/24"])
        #expect(text.contains("                local_ts = 198.51.100.0/25,2001:db8:a::/64\n"))
        #expect(text.contains("                remote_ts = 203.0.113.0/24\n"))
        #expect(try ipsecConf(["IPSEC_LOCALNET": "198.51.100.0/25,198.51.100.128/25"]).contains("    leftsubnet=198.51.100.0/25,198.51.100.128/25\n"))
    }

    @Test func hostBitsAreClearedWithAWarning() throws {
        let loaded = try load(["IPSEC_REMOTENET": "203.0.113.7/24"])
        #expect(loaded.tunnel.remoteNets.map(\.description) == ["203.0.113.0/24"])
        #expect(loaded.warnings.contains { $0.variable == "IPSEC_REMOTENET" && $0.message.contains("203.0.113.0/24") })
    }

    @Test func pskIsRenderedOnlyIntoSecrets() throws {
        let text = try swanctl(["IPSEC_PSK": "a-much-longer-unit-test-secret-value"])
        #expect(text.contains("        secret = \"a-much-longer-unit-test-secret-value\"\n"))
        let redacted = try StrongSwanBackend().swanctlConfiguration(load([:]).config).rendered(showSecrets: false)
        #expect(redacted.contains("secret = <redacted>") && !redacted.contains("unit-test-psk"))
    }

    @Test func keyExchangeSelectsTheIKEVersion() throws {
        #expect(try swanctl(["IPSEC_KEYEXCHANGE": "ikev1"]).contains("        version = 1\n"))
        #expect(try swanctl(["IPSEC_KEYEXCHANGE": "IKE"]).contains("        version = 0\n"))
        #expect(try ipsecConf(["IPSEC_KEYEXCHANGE": "ikev1"]).contains("    keyexchange=ikev1\n"))
    }

    @Test func ciphersBecomeProposals() throws {
        let text = try swanctl(["IPSEC_IKECIPHER": "aes256gcm16-prfsha384-ecp384", "IPSEC_ESPCIPHER": "aes256gcm16-ecp384,aes256-sha256"])
        #expect(text.contains("        proposals = aes256gcm16-prfsha384-ecp384\n"))
        #expect(text.contains("                esp_proposals = aes256gcm16-ecp384,aes256-sha256\n"))
        let conf = try ipsecConf(["IPSEC_ESPCIPHER": "aes256-sha256!"])
        #expect(conf.contains("    esp=aes256-sha256!\n"), "ipsec.conf keeps the strict marker")
    }

    @Test func lifetimesDriveRekeying() throws {
        let text = try swanctl(["IPSEC_LIFETIME": "30m", "IPSEC_IKELIFETIME": "2h"])
        #expect(text.contains("                rekey_time = 1620s\n                life_time = 1800s\n"))
        #expect(text.contains("        reauth_time = 6480s\n        rekey_time = 0\n        over_time = 720s\n"))
        #expect(try ipsecConf(["IPSEC_LIFETIME": "1.5h"]).contains("    lifetime=5400s\n"))
    }

    @Test func ikeReauthOffRekeysInstead() throws {
        let text = try swanctl(["IPSEC_IKEREAUTH": "no"])
        #expect(text.contains("        rekey_time = 9720s\n") && !text.contains("reauth_time"))
        #expect(try ipsecConf(["IPSEC_IKEREAUTH": "no"]).contains("    reauth=no\n"))
    }

    @Test func forceUDPControlsEncapsulation() throws {
        #expect(try swanctl([:]).contains("        encap = yes\n"))
        #expect(try swanctl(["IPSEC_FORCEUDP": "no"]).contains("        encap = no\n"))
        #expect(try ipsecConf(["IPSEC_FORCEUDP": "no"]).contains("    forceencaps=no\n"))
    }

    @Test func interfacesBindCharon() throws {
        #expect(!(try charonConf([:]).contains("interfaces_use")), "unset: all interfaces, as upstream")
        #expect(try charonConf(["IPSEC_INTERFACES": "wan0, wan1"]).contains("    interfaces_use = wan0,wan1\n"))
        #expect(!(try charonConf(["IPSEC_INTERFACES": ""]).contains("interfaces_use")), "set but empty: all interfaces")
    }

    @Test func debugRaisesLogLevelsButNeverToKeyMaterial() throws {
        let quiet = try charonConf([:]), loud = try charonConf(["DEBUG": "yes"])
        #expect(quiet.contains("            default = 1\n") && !quiet.contains("ike = 2"))
        #expect(loud.contains("            default = 2\n") && loud.contains("            ike = 2\n"))
        #expect(!loud.contains("= 3") && !loud.contains("= 4"))
        #expect(try ipsecConf(["DEBUG": "1"]).contains("charondebug="))
        #expect(try load(["DEBUG": "no"]).config.debug == false)
    }

    @Test func vtiKeyBecomesTheMarkAndStopsRouteInstallation() throws {
        let changes: [String: String?] = ["IPSEC_VTI_KEY": "42"]
        let text = try swanctl(changes)
        #expect(text.contains("                mark_in = 42\n                mark_out = 42\n"))
        let charon = try charonConf(changes)
        #expect(charon.contains("    install_routes = no\n    install_virtual_ip = no\n"))
        #expect(try ipsecConf(changes).contains("    mark=42\n"))
        #expect(!(try charonConf([:]).contains("install_routes")))
    }

    @Test func vtiSettingsAreTyped() throws {
        let vti = try #require(try load(["IPSEC_VTI_KEY": "4294967295", "IPSEC_VTI_STATICROUTES": "203.0.113.0/24,2001:db8:b::/48",
                                         "IPSEC_VTI_IPADDR_LOCAL": "169.254.1.1/30", "IPSEC_VTI_IPADDR_PEER": "169.254.1.2",
                                         "IPSEC_VTI_MTU": "1400"]).tunnel.vti)
        #expect(vti.interfaceName == "vti4294967295")
        #expect(vti.mtu == 1400)
        #expect(vti.staticRoutes.map(\.description) == ["203.0.113.0/24", "2001:db8:b::/48"])
        #expect(vti.localAddress?.description == "169.254.1.1/30" && vti.peerAddress?.description == "169.254.1.2/32")
    }

    @Test func routeBasedModeWithoutLocalNetSelectsEverything() throws {
        let text = try swanctl(["IPSEC_VTI_KEY": "7", "IPSEC_LOCALNET": nil, "IPSEC_LOCALID": nil, "IPSEC_REMOTEID": nil])
        #expect(text.contains("                local_ts = 0.0.0.0/0\n"))
    }

    @Test func aTunnelBuiltInCodeTellsCharonWhatTheEnvironmentWould() throws {
        let fromEnvironment = try load(["IPSEC_VTI_KEY": "42", "IPSEC_VTI_IPADDR_LOCAL": "169.254.42.1/30",
                                        "IPSEC_VTI_IPADDR_PEER": "169.254.42.2/30"]).config
        var vti = VTISettings(key: 42)
        vti.localAddress = IPNetwork("169.254.42.1/30")
        vti.peerAddress = IPNetwork("169.254.42.2/30")
        let inCode = TunnelConfig(local: .address(IPAddress("192.0.2.1")!), localID: Identity("192.0.2.1"),
                                  localNets: [IPNetwork("198.51.100.0/24")!], remote: .address(IPAddress("192.0.2.2")!),
                                  remoteID: Identity("192.0.2.2"), remoteNets: [IPNetwork("203.0.113.0/24")!],
                                  psk: PreSharedKey("unit-test-psk-0123456789abcdef"), vti: vti)
        let backend = StrongSwanBackend()
        #expect(backend.swanctlConfiguration(GatewayConfig(inCode)) == backend.swanctlConfiguration(fromEnvironment))
        #expect(inCode.localTrafficSelectors.map(\.description) == ["198.51.100.0/24", "169.254.42.1/32"])
        #expect(inCode.remoteTrafficSelectors.map(\.description) == ["203.0.113.0/24", "169.254.42.2/32"])
    }

    @Test func aTunnelBuiltInCodeIsHeldToTheSameRules() {
        let broken = TunnelConfig(local: .address(IPAddress("192.0.2.1")!), remote: .address(IPAddress("192.0.2.1")!),
                                  lifetime: Lifetime(seconds: 1))
        #expect {
            try GatewayConfig(broken).validate()
        } throws: { error in
            (error as? ConfigurationErrors)?.problems.map(\.variable) == ["IPSEC_REMOTEIP", "IPSEC_LIFETIME"]
        }
    }

    @Test func switchesAreRead() throws {
        let config = try load(["SET_ROUTE_DEFAULT_TABLE": "TRUE", "IPSEC_USE_MANUAL_CONFIG": "TRUE", "IPSEC_MANUAL_CHARON": "True",
                               "IPSEC_LOCALPRIVIP": "198.51.100.5"])
        #expect(config.config.setRouteDefaultTable && config.config.mode == .manual && config.config.charonSettings == .mounted)
        #expect(config.tunnel.localPrivateIP?.description == "198.51.100.5")
    }

    @Test func manualConfigNeedsNoTunnelVariables() throws {
        let loaded = try load(["IPSEC_USE_MANUAL_CONFIG": "yes"], base: [:])
        #expect(loaded.config.isManual && loaded.tunnel.psk == nil)
    }

    @Test func upstreamEnablesSwitchesForAnyValueButWeReadFalseAsOffAndSaySo() throws {
        let loaded = try load(["IPSEC_MANUAL_CHARON": "FALSE"])
        #expect(loaded.config.charonSettings == .generated)
        #expect(loaded.warnings.contains { $0.variable == "IPSEC_MANUAL_CHARON" })
    }

    @Test func envFileOverridesTheProcessEnvironmentAndIsNeverExecuted() throws {
        let file = """
            # comment
            export IPSEC_REMOTENET="203.0.113.128/25"
            IPSEC_PSK='$(touch /tmp/vnf-ipsec-pwned)-and-more-than-20-characters' # trailing comment
            """
        let loaded = try GatewayConfig.load(environment: baseEnvironment.merging(["ENVFILE": "/x.env"]) { $1 },
                                            files: FileAccess(read: { _ in file }))
        #expect(loaded.tunnel.remoteNets.map(\.description) == ["203.0.113.128/25"], "the file wins over the process environment")
        #expect(loaded.tunnel.psk?.secret == "$(touch /tmp/vnf-ipsec-pwned)-and-more-than-20-characters")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/vnf-ipsec-pwned"))
    }

    /// An unreadable endpoint was also reported as %any, asking for its ID on top.
    @Test func anUnreadableEndpointDoesNotAlsoAskForItsID() {
        let found = problems(["IPSEC_REMOTEIP": "300.1.1.1", "IPSEC_REMOTEID": nil, "IPSEC_LOCALIP": "bad ip", "IPSEC_LOCALID": nil])
        #expect(Set(found.map(\.variable)) == ["IPSEC_REMOTEIP", "IPSEC_LOCALIP"], "\(found)")
    }

    @Test func unknownVariablesWarnWithTheClosestName() throws {
        let warnings = try load(["IPSEC_REMOTNET": "x", "IPSEC_ESP_CIPHER": "y"]).warnings
        #expect(warnings.contains { $0.variable == "IPSEC_REMOTNET" && $0.message.contains("did you mean IPSEC_REMOTENET?") })
        #expect(warnings.contains { $0.variable == "IPSEC_ESP_CIPHER" && $0.message.contains("did you mean IPSEC_ESPCIPHER?") })
    }
}

