import Testing
@testable import IPsecCore

/// What issue 17 added to the model: a primary and a backup tunnel routing the same networks at different
/// metrics, charon's retransmission settings (how fast a dead peer is found), and the fail-closed switches.
@Suite struct FailoverSettingsTests {
    @Test func theSameNetworksAtTwoMetricsAreAPrimaryAndABackup() throws {
        let yaml = ConfigurationFileTests.two(["vti_staticroutes": "10.9.0.0/16", "vti_route_metric": "100"],
                                              ["vti_staticroutes": "10.9.0.0/16", "vti_route_metric": "200"])
        let loaded = try ConfigurationFileTests.load(yaml)
        #expect(loaded.config.tunnels.map { $0.vti?.routeMetric } == [100, 200])
    }

    @Test func theSameNetworksAtOneMetricStayRefused() {
        for (east, west) in [("100", "100"), (nil, nil)] as [(String?, String?)] {
            let problems = ConfigurationFileTests.problems(ConfigurationFileTests.two(["vti_staticroutes": "10.9.0.0/16", "vti_route_metric": east],
                                                                                      ["vti_staticroutes": "10.9.0.0/16", "vti_route_metric": west]))
            #expect(problems.count == 1 && problems[0].contains("tunnels east and west: route overlapping networks into two VTIs"), "\(problems)")
            #expect(problems.first?.contains("different vti_route_metric") == true)
        }
    }

    @Test func overlappingButDifferentNetworksStayRefusedWhateverTheMetrics() {
        // 10.9.1.0/24 would win over 10.9.0.0/16 by its length, not by the metric: no failover there.
        let problems = ConfigurationFileTests.problems(ConfigurationFileTests.two(["vti_staticroutes": "10.9.0.0/16", "vti_route_metric": "100"],
                                                                                  ["vti_staticroutes": "10.9.1.0/24", "vti_route_metric": "200"]))
        #expect(problems.count == 1 && problems[0].contains("route overlapping networks into two VTIs"), "\(problems)")
    }

    @Test func aRouteMetricWithoutAVTIIsIgnoredWithAWarning() throws {
        let loaded = try GatewayConfig.load(environment: Self.base.merging(["IPSEC_VTI_ROUTE_METRIC": "100"]) { $1 })
        #expect(loaded.warnings.map(\.description).contains { $0.contains("IPSEC_VTI_ROUTE_METRIC") && $0.contains("IPSEC_VTI_KEY is not set") })
    }

    static let base = ["IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_PSK": "a-long-enough-key-0123456789",
                       "IPSEC_LOCALNET": "198.51.100.0/24", "IPSEC_REMOTENET": "203.0.113.0/24"]

    @Test func retransmissionSettingsReachCharonAsStrongSwanReadsThem() throws {
        let loaded = try GatewayConfig.load(environment: Self.base.merging(["IPSEC_RETRANSMIT_TIMEOUT": "0.5", "IPSEC_RETRANSMIT_TRIES": "2",
                                                                            "IPSEC_RETRANSMIT_BASE": "1.4"]) { $1 })
        #expect(loaded.config.retransmission == GatewayConfig.Retransmission(timeout: 0.5, tries: 2, base: 1.4))
        for format in [ConfigFormat.swanctl, .ipsec] {
            let file = try #require(StrongSwanBackend().render(loaded.config, format: format).first { $0.path == "strongswan.conf" })
            let parsed = try StrongSwanGrammar.parseSettings(file.contents)
            #expect(parsed.values["charon.retransmit_timeout"] == "0.5")
            #expect(parsed.values["charon.retransmit_tries"] == "2")
            #expect(parsed.values["charon.retransmit_base"] == "1.4")
        }
        // Unset: charon's defaults, and not a line more than before.
        let plain = try GatewayConfig.load(environment: Self.base)
        let file = try #require(StrongSwanBackend().render(plain.config, format: .swanctl).first { $0.path == "strongswan.conf" })
        #expect(!file.contents.contains("retransmit"))
    }

    @Test func retransmissionValuesOutOfRangeAreRefusedNamingTheVariable() {
        for (variable, value) in [("IPSEC_RETRANSMIT_TIMEOUT", "0"), ("IPSEC_RETRANSMIT_TIMEOUT", "nan"), ("IPSEC_RETRANSMIT_TIMEOUT", "1e9"),
                                  ("IPSEC_RETRANSMIT_TRIES", "-1"), ("IPSEC_RETRANSMIT_TRIES", "101"), ("IPSEC_RETRANSMIT_BASE", "0.5"),
                                  ("IPSEC_VTI_ROUTE_METRIC", "4294967296"), ("IPSEC_FAIL_CLOSED", "maybe")] {
            var environment = Self.base.merging(["IPSEC_VTI_KEY": "42"]) { $1 }
            environment[variable] = value
            do {
                _ = try GatewayConfig.load(environment: environment)
                Issue.record("\(variable)=\(value) was accepted")
            } catch {
                #expect(error.problems.count == 1 && error.problems[0].description.hasPrefix("\(variable)="), "\(error.problems)")
            }
        }
    }

    @Test func failClosedAndVTIFollowingAreOnByDefaultAndNeedARestartToChange() throws {
        let on = try GatewayConfig.load(environment: Self.base).config
        #expect(on.failClosed && on.vtiFollowsSA)
        let off = try GatewayConfig.load(environment: Self.base.merging(["IPSEC_FAIL_CLOSED": "no", "IPSEC_VTI_FOLLOWS_SA": "no",
                                                                         "IPSEC_RETRANSMIT_TRIES": "3"]) { $1 }).config
        #expect(!off.failClosed && !off.vtiFollowsSA)
        #expect(ConfigurationChange(from: on, to: off).needsRestart == ["fail_closed", "vti_follows_sa", "retransmit_timeout, retransmit_tries, retransmit_base"])
    }

    @Test func aNewRouteMetricIsAKernelChangeOnly() throws {
        let before = try ConfigurationFileTests.load(ConfigurationFileTests.two(["vti_route_metric": "100"])).config
        let after = try ConfigurationFileTests.load(ConfigurationFileTests.two(["vti_route_metric": "200"])).config
        let change = ConfigurationChange(from: before, to: after)
        let east = try #require(change.changed.first)
        #expect(change.changed.count == 1 && east.kernel && !east.loadConnection && !east.renegotiate)
    }
}
