import Foundation
import Synchronization
import Testing
@testable import IPsecCore

/// What `init` reads (`GatewayConfig.loadForInit`): the whole gateway when it is given every setting, else
/// the VTIs' settings alone, and whether it was complete; every file read once either way.
@Suite struct InitLoadingTests {
    /// Files in memory that count how often each is read.
    final class CountedFiles: Sendable {
        private let contents: [String: String]
        private let counts = Mutex<[String: Int]>([:])
        init(_ contents: [String: String]) { self.contents = contents }

        var access: FileAccess {
            FileAccess(read: { [self] path in
                counts.withLock { $0[path, default: 0] += 1 }
                guard let text = contents[path] else { throw CocoaError(.fileReadNoSuchFile) }
                return text
            }, permissions: { _ in 0o600 })
        }

        var reads: [String: Int] { counts.withLock { $0 } }
    }

    static let vtiSettings = "IPSEC_LOCALIP=192.0.2.1\nIPSEC_REMOTEIP=192.0.2.2\nIPSEC_VTI_KEY=7\nIPSEC_VTI_STATICROUTES=203.0.113.0/24\n"
    static let tunnelSettings = "IPSEC_LOCALNET=198.51.100.0/24\nIPSEC_REMOTENET=203.0.113.0/24\nIPSEC_PSK_FILE=/run/gw/psk\n"

    @Test func anEnvironmentFileWithOnlyTheVTIsSettingsIsIncompleteAndReadOnce() throws {
        let files = CountedFiles(["/run/gw/env": Self.vtiSettings])
        let (loaded, isComplete) = try GatewayConfig.loadForInit(environment: ["ENVFILE": "/run/gw/env"], files: files.access)
        #expect(!isComplete)
        #expect(loaded.config.tunnels.map(\.vti?.key) == [7])
        #expect(files.reads == ["/run/gw/env": 1], "a second reading of ENVFILE could see another file")
    }

    @Test func anEnvironmentFileWithEverySettingIsCompleteAndEachFileReadOnce() throws {
        let files = CountedFiles(["/run/gw/env": Self.vtiSettings + Self.tunnelSettings, "/run/gw/psk": "init-test-key-0123456789abcdef\n"])
        let (loaded, isComplete) = try GatewayConfig.loadForInit(environment: ["ENVFILE": "/run/gw/env"], files: files.access)
        #expect(isComplete)
        #expect(loaded.config.tunnels.map(\.localNets) == [[IPNetwork("198.51.100.0/24")!]], "read for .tunnels, not .vtiOnly")
        #expect(files.reads == ["/run/gw/env": 1, "/run/gw/psk": 1])
    }

    /// A tunnel without a VTI whose key file is missing: the whole reading fails, the VTIs' reading
    /// (which skips that tunnel) does not, and the configuration file was read once for both.
    @Test func aConfigurationFileMissingATunnelsKeyIsIncompleteAndReadOnce() throws {
        let yaml = ConfigurationFileTests.two([:], ["vti_key": nil, "vti_staticroutes": nil, "psk": nil, "psk_file": "west.psk"])
        let files = CountedFiles(["/etc/gw/gateway.yaml": yaml])
        let (loaded, isComplete) = try GatewayConfig.loadForInit(environment: ["IPSEC_CONFIG_FILE": "/etc/gw/gateway.yaml"], files: files.access)
        #expect(!isComplete)
        #expect(loaded.config.tunnels.map(\.name) == ["east"])
        #expect(files.reads == ["/etc/gw/gateway.yaml": 1, "/etc/gw/west.psk": 1])
    }

    /// Neither reading succeeds: the problems are the VTIs' reading's, not the whole gateway's that init
    /// was not asked to have.
    @Test func withoutEvenTheVTIsSettingsTheProblemsAreInitsOwn() {
        let files = CountedFiles(["/run/gw/env": "IPSEC_LOCALIP=192.0.2.1\n"])
        do {
            _ = try GatewayConfig.loadForInit(environment: ["ENVFILE": "/run/gw/env"], files: files.access)
            Issue.record("loaded without a VTI key or a peer")
        } catch {
            let problems = error.problems.map(\.description)
            #expect(problems.contains { $0.contains("IPSEC_VTI_KEY") && $0.contains("required by init") }, "\(problems)")
            #expect(!problems.contains { $0.contains("IPSEC_LOCALNET") || $0.contains("IPSEC_PSK") }, "\(problems)")
        }
        #expect(files.reads == ["/run/gw/env": 1])
    }
}
