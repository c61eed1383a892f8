import Testing
@testable import IPsecCore

/// What a reload must do for each kind of change: the classification the runtime applies.
@Suite struct ConfigurationChangeTests {
    static func gateway(_ changes: [String: String?] = [:]) throws -> GatewayConfig {
        var environment = baseEnvironment
        for (key, value) in changes { environment[key] = value }
        return try GatewayConfig.load(environment: environment).config
    }

    static func change(_ changes: [String: String?]) throws -> ConfigurationChange.TunnelChange? {
        ConfigurationChange(from: try gateway(), to: try gateway(changes)).changed.first
    }

    @Test func theSameConfigurationChangesNothing() throws {
        let change = ConfigurationChange(from: try Self.gateway(), to: try Self.gateway())
        #expect(change.isEmpty && change.unchanged == ["vnf-ipsec"] && change.needsRestart.isEmpty)
    }

    @Test func aNewKeyIsLoadedWithoutTouchingTheSAs() throws {
        let change = try #require(try Self.change(["IPSEC_PSK": "a-rotated-key-0123456789abcdef"]))
        #expect(change.loadKey && !change.loadConnection && !change.renegotiate && change.what == ["key"])
    }

    @Test func settingsForLaterSAsReloadTheConnectionOnly() throws {
        for variable in ["IPSEC_DPD_DELAY": "10s", "IPSEC_LIFETIME": "30m", "IPSEC_IKEREAUTH": "no", "IPSEC_KEYINGTRIES": "3"] {
            let change = try #require(try Self.change([variable.key: variable.value]))
            #expect(change.loadConnection && !change.renegotiate && !change.loadKey, "\(variable)")
        }
    }

    @Test func whatThePeersAgreedOnIsNegotiatedAgain() throws {
        for variable in ["IPSEC_REMOTENET": "203.0.113.0/25", "IPSEC_ESPCIPHER": "aes256gcm16-ecp384", "IPSEC_REMOTEIP": "192.0.2.3",
                         "IPSEC_FORCEUDP": "no", "IPSEC_KEYEXCHANGE": "ikev1"] {
            let change = try #require(try Self.change([variable.key: variable.value]))
            #expect(change.loadConnection && change.renegotiate && change.loadKey, "\(variable)")
        }
    }

    @Test func aKeyMovedToAFileWithTheSameValueIsNoChange() throws {
        var moved = try Self.gateway()
        moved.tunnels[0].pskFile = "/run/secrets/psk"
        #expect(ConfigurationChange(from: try Self.gateway(), to: moved).isEmpty)
    }

    @Test func gatewayWideSettingsNeedARestartAndAreNamed() throws {
        let change = ConfigurationChange(from: try Self.gateway(), to: try Self.gateway(["IPSEC_INTERFACES": "eth1", "DEBUG": "yes"]))
        #expect(change.isEmpty && change.needsRestart == ["interfaces", "debug"])
    }

    @Test func addedRemovedAndUnchangedTunnelsAreTold() throws {
        var old = try Self.gateway(), new = try Self.gateway()
        var second = old.tunnels[0]
        second.name = "second"
        old.tunnels.append(second)
        var third = new.tunnels[0]
        third.name = "third"
        new.tunnels.append(third)
        let change = ConfigurationChange(from: old, to: new)
        #expect(change.added.map(\.name) == ["third"] && change.removed.map(\.name) == ["second"] && change.unchanged == ["vnf-ipsec"])
    }
}
