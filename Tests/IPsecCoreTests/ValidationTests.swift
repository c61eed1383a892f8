import Testing
@testable import IPsecCore

/// Bad input for every variable: refused with the variable named, the value shown (never the PSK), and
/// what was expected.
@Suite struct ValidationTests {
    static let badValues: [(String, String, String)] = [
        ("IPSEC_LOCALIP", "192.0.2.300", "expected an IPv4/IPv6 address"),
        ("IPSEC_REMOTEIP", "not a host!", "expected an IPv4/IPv6 address"),
        ("IPSEC_LOCALID", "has spaces but no equals", "expected an IP address, FQDN"),
        ("IPSEC_REMOTEID", "quote\"d", "expected an IP address, FQDN"),
        ("IPSEC_LOCALNET", "198.51.100.0/33", "is not a network"),
        ("IPSEC_REMOTENET", "203.0.113.0/24,,", "is not a network"),
        ("IPSEC_KEYEXCHANGE", "ikev3", "expected ike, ikev1 or ikev2"),
        ("IPSEC_ESPCIPHER", "aes256-sha257", "'sha257' is not an algorithm"),
        ("IPSEC_IKECIPHER", "aes256-sha256-modp2048,", "proposal 2 is empty"),
        ("IPSEC_ESPCIPHER", "aes256-prfsha256", "'prfsha256' is not an algorithm strongSwan knows for ESP"),
        ("IPSEC_LIFETIME", "1w", "expected a duration"),
        ("IPSEC_LIFETIME", "25h", "must be at most 24h"),
        ("IPSEC_IKELIFETIME", "-5", "expected a duration"),
        ("IPSEC_FORCEUDP", "perhaps", "expected yes or no"),
        ("IPSEC_IKEREAUTH", "2", "expected yes or no"),
        ("IPSEC_INTERFACES", "eth0,a/b", "is not an interface name"),
        ("IPSEC_VTI_KEY", "0", "expected a whole number from 1 to 4294967295"),
        ("IPSEC_VTI_KEY", "4294967296", "expected a whole number from 1 to 4294967295"),
        ("SET_ROUTE_DEFAULT_TABLE", "sometimes", "expected yes or no"),
        ("IPSEC_LOCALPRIVIP", "10.0.0.999", "expected an IPv4 or IPv6 address"),
        ("IPSEC_ALLOW_WEAK_PSK", "maybe", "expected yes or no"),
        ("IPSEC_ALLOW_WEAK_CIPHERS", "maybe", "expected yes or no"),
        ("ENVFILE", "/nonexistent/env", "cannot be read"),
        // What charon would refuse when loading the connection (proposal.c), or what cannot work at run time.
        ("IPSEC_IKECIPHER", "aes128-sha256", "lacks a key exchange group"),
        ("IPSEC_IKECIPHER", "aes128gcm16-ecp256", "lacks a PRF"),
        ("IPSEC_IKECIPHER", "aes128gcm16-aes128-sha256-ecp256", "mixes AEAD ciphers"),
        ("IPSEC_ESPCIPHER", "sha256-modp3072", "lacks an encryption algorithm"),
        ("IPSEC_ESPCIPHER", "aes128", "encrypts without integrity"),
        ("IPSEC_LOCALIP", "0.0.0.0", "is the unspecified address"),
        ("IPSEC_REMOTEIP", "127.0.0.1", "is a loopback address"),
        ("IPSEC_REMOTEIP", "255.255.255.255", "is the broadcast address"),
        ("IPSEC_REMOTEIP", "224.0.0.5", "is a multicast address"),
        ("IPSEC_REMOTEIP", "::1", "is the loopback address"),
        ("IPSEC_REMOTEIP", "192.0.2.1", "equals IPSEC_LOCALIP"),
        ("IPSEC_REMOTEIP", "2001:db8::2", "IKE runs over one family"),
        ("IPSEC_LOCALPRIVIP", "2001:db8::5", "the tunnel's endpoints are IPv4"),
        ("IPSEC_LIFETIME", "1", "must be at least 20s"),
        ("IPSEC_IKELIFETIME", "3000d", "must be at most 7d"),
        ("IPSEC_LOCALID", "=", "expected an IP address, FQDN"),
        ("IPSEC_REMOTEID", "@@", "expected an IP address, FQDN"),
        ("IPSEC_LOCALID", "gw\tb.example.net", "expected an IP address, FQDN"),
        ("IPSEC_INTERFACES", "..", "is not an interface name"),
        ("IPSEC_INTERFACES", "wan\u{1b}[2J", "is not an interface name"),
    ]

    @Test(arguments: badValues)
    func badValueIsRefusedNamingTheVariable(variable: String, value: String, expected: String) {
        let found = problems([variable: value])
        let problem = found.first { $0.variable == variable }
        #expect(problem != nil, "\(variable)=\(value) was accepted; problems: \(found)")
        #expect(problem?.shownValue == value)
        #expect(problem?.expected.contains(expected) == true, "\(problem?.expected ?? "")")
    }

    @Test func vtiVariablesAreValidatedWithAKey() {
        let found = problems(["IPSEC_VTI_KEY": "42", "IPSEC_VTI_STATICROUTES": "nope", "IPSEC_VTI_IPADDR_LOCAL": "x",
                              "IPSEC_VTI_IPADDR_PEER": "2001:db8::1"])
        #expect(Set(found.map(\.variable)) == ["IPSEC_VTI_STATICROUTES", "IPSEC_VTI_IPADDR_LOCAL"])
        let family = problems(["IPSEC_VTI_KEY": "42", "IPSEC_VTI_IPADDR_LOCAL": "169.254.0.1/30", "IPSEC_VTI_IPADDR_PEER": "2001:db8::1"])
        #expect(family.map(\.variable) == ["IPSEC_VTI_IPADDR_PEER"])
        for bad in ["575", "9217", "1400.5", "auto"] {
            let mtu = problems(["IPSEC_VTI_KEY": "42", "IPSEC_VTI_MTU": bad])
            #expect(mtu.map(\.variable) == ["IPSEC_VTI_MTU"] && mtu.first?.expected == "expected a whole number of bytes from 576 to 9216", "\(bad)")
        }
        let small6 = problems(["IPSEC_VTI_KEY": "42", "IPSEC_VTI_MTU": "1279", "IPSEC_LOCALIP": "2001:db8::1", "IPSEC_REMOTEIP": "2001:db8::2"])
        #expect(small6.map(\.variable) == ["IPSEC_VTI_MTU"] && small6.first?.expected.contains("at least 1280 for a vti6") == true)
        #expect(problems(["IPSEC_VTI_KEY": "42", "IPSEC_VTI_MTU": "1279"]).isEmpty)
        let orphan = problems(["IPSEC_VTI_KEY": "42", "IPSEC_VTI_IPADDR_PEER": "169.254.0.2"])
        #expect(orphan.map(\.variable) == ["IPSEC_VTI_IPADDR_LOCAL"])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = problems(["IPSEC_LOCALIP": "bad!", "IPSEC_FORCEUDP": "x", "IPSEC_LIFETIME": "x", "IPSEC_PSK": nil])
        #expect(Set(found.map(\.variable)) == ["IPSEC_LOCALIP", "IPSEC_FORCEUDP", "IPSEC_LIFETIME", "IPSEC_PSK"])
    }

    @Test func missingRequiredVariablesAreListedTogether() {
        let found = problems([:], base: [:])
        #expect(found.map(\.variable) == ["IPSEC_LOCALNET", "IPSEC_PSK", "IPSEC_REMOTENET", "IPSEC_REMOTEID", "IPSEC_LOCALID"])
        // Upstream's _set_default_variables: an ID defaults to its side's address; only %any needs one.
        let addresses = ["IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_LOCALNET": "198.51.100.0/24",
                         "IPSEC_REMOTENET": "203.0.113.0/24", "IPSEC_PSK": "a-long-random-string-0123456789-abcdef"]
        #expect(problems([:], base: addresses).isEmpty)
        #expect(problems(["IPSEC_REMOTEIP": "%any"], base: addresses).map(\.variable) == ["IPSEC_REMOTEID"])
        let vti = problems(["IPSEC_VTI_KEY": "42"], base: [:])
        #expect(vti.map(\.variable) == ["IPSEC_LOCALIP", "IPSEC_REMOTEIP", "IPSEC_REMOTENET", "IPSEC_PSK"])
    }

    @Test func initNeedsOnlyTheVTIVariablesAsAddresses() {
        #expect(problems(["IPSEC_VTI_KEY": "42"], base: ["IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2"], purpose: .vtiOnly).isEmpty)
        let found = problems([:], base: ["IPSEC_LOCALIP": "%any"], purpose: .vtiOnly)
        #expect(found.map(\.variable) == ["IPSEC_VTI_KEY", "IPSEC_LOCALIP", "IPSEC_REMOTEIP"])
    }

    @Test(arguments: [("IPSEC_VTI_STATICROUTES", "0.0.0.0/0", "would replace the default route"),
                      ("IPSEC_VTI_STATICROUTES", "203.0.113.0/24,192.0.2.0/24", "contains the peer's own address 192.0.2.2")])
    func vtiRoutesThatWouldBreakTheTunnelAreRefused(variable: String, value: String, expected: String) {
        let found = problems([variable: value, "IPSEC_VTI_KEY": "42"])
        #expect(found.map(\.variable) == [variable], "\(found)")
        #expect(found.first?.expected.contains(expected) == true, "\(found)")
    }

    @Test func aPSKOverFourKilobytesIsRefusedWithoutBeingShown() {
        let huge = String(repeating: "k3y-", count: 20_000)
        let found = problems(["IPSEC_PSK": huge])
        #expect(found.map(\.variable) == ["IPSEC_PSK"] && found.first?.expected.contains("at most 4096") == true)
        #expect(!found.map(\.description).joined().contains("k3y-k3y-"))
    }

    @Test(arguments: ["SET_ROUTE_DEFAULT_TABLES", "DEGUB", "ENV_FILE", "ipsec_psk", "Ipsec_LocalIP"])
    func misspeltVariablesWithoutThePrefixAreNamed(name: String) throws {
        let warnings = try load([name: "x"]).warnings
        #expect(warnings.map(\.variable) == [name], "\(warnings)")
        #expect(warnings.first?.message.contains("did you mean") == true, "\(warnings)")
    }

    @Test func theRestOfTheEnvironmentIsNotOurBusiness() throws {
        #expect(try load(["PATH": "/bin", "HOME": "/root", "HOSTNAME": "gw", "TERM": "xterm", "DEBIAN_FRONTEND": "x"]).warnings.isEmpty)
    }

    @Test func weakPSKIsRefusedUnlessAllowedAndNeverShown() {
        for weak in ["short-key", "123456789012345678901234", "ééééééééééééééé", String(repeating: "x", count: 32)] {
            let found = problems(["IPSEC_PSK": weak])
            #expect(found.map(\.variable) == ["IPSEC_PSK"])
            #expect(found.allSatisfy { $0.shownValue == nil && !$0.description.contains(weak) })
            #expect(problems(["IPSEC_PSK": weak, "IPSEC_ALLOW_WEAK_PSK": "yes"]).isEmpty)
        }
    }

    @Test(arguments: ["des", "3des", "md5", "modp768", "modp1024", "null"])
    func brokenAlgorithmsAreRefusedUnlessAllowed(algorithm: String) {
        let esp = algorithm.hasPrefix("modp") ? "aes128-sha256-\(algorithm)" : algorithm == "md5" ? "aes128-md5" : "\(algorithm)-sha256"
        let found = problems(["IPSEC_ESPCIPHER": esp])
        #expect(found.first?.variable == "IPSEC_ESPCIPHER" && found.first?.expected.contains("broken") == true)
        #expect(problems(["IPSEC_ESPCIPHER": esp, "IPSEC_ALLOW_WEAK_CIPHERS": "yes"]).isEmpty)
    }

    @Test func descriptionsNeverContainThePSK() throws {
        let config = try load([:]).tunnel
        #expect(!"\(config)".contains("unit-test-psk"))
        #expect(!String(reflecting: config.psk!).contains("unit-test-psk"))
    }
}
