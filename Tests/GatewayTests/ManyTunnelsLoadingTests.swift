import Foundation
import IPsecCore
import Logging
import Testing
import TestSupport
import VICI
@testable import GatewayRuntime

/// Many tunnels reach charon over VICI (keys one by one, connections batched into as few load-conn
/// messages as fit) exactly as swanctl would load the same rendered swanctl.conf: two real charons, one
/// loaded each way, must list the same connections.
@Suite(.enabled(if: Privileges.canUseNamespaces && Privileges.hasCharon, "needs root, ip and strongSwan (scripts/setup.sh)"),
       .serialized)
struct ManyTunnelsLoadingTests {
    /// `count` route-based tunnels to documentation peers, as a configuration file would describe them.
    static func gateway(_ count: Int) throws -> GatewayConfig {
        var yaml = "defaults:\n  localip: 192.0.2.1\n  role: responder\ntunnels:\n"
        for n in 1...count {
            let (high, low) = (n / 250, n % 250 + 1)
            yaml += """
                  - name: branch-\(n)
                    remoteip: 198.51.\(100 + high).\(low)
                    remotenet: 10.\(high).\(low).0/24
                    psk: branch-\(n)-key-0123456789abcdef
                    vti_key: \(n)
                    vti_staticroutes: 10.\(high).\(low).0/24

                """
        }
        let text = yaml
        return try GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": "/gateway.yaml"],
                                      files: FileAccess(read: { _ in text })).config
    }

    static func charon(_ config: GatewayConfig, label: String) throws -> (NetworkNamespace, CharonInstance) {
        let namespace = try NetworkNamespace("many")
        do {
            let conf = try #require(StrongSwanBackend().render(config, format: .swanctl).first { $0.path == "strongswan.conf" }).contents
            return (namespace, try CharonInstance(in: namespace, strongswanConf: conf, label: label))
        } catch {
            namespace.delete()
            throw error
        }
    }

    @Test(arguments: [3, 600])
    func vicisBatchesLoadWhatSwanctlLoadsFromTheRenderedFile(count: Int) async throws {
        let config = try Self.gateway(count)
        let (oursNamespace, ours) = try Self.charon(config, label: "vici-\(count)")
        defer { ours.stop(); oursNamespace.delete() }
        let (theirsNamespace, theirs) = try Self.charon(config, label: "swanctl-\(count)")
        defer { theirs.stop(); theirsNamespace.delete() }

        var options = StrongSwanGatewayBackend.Options()
        options.viciSocket = ours.viciSocket
        let backend = StrongSwanGatewayBackend(options: options, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await backend.load(config)

        let swanctlConf = try #require(StrongSwanBackend().render(config, format: .swanctl).first { $0.path == "swanctl.conf" })
        try swanctlConf.contents.write(toFile: theirs.folder + "/swanctl.conf", atomically: true, encoding: .utf8)
        let load = try theirs.swanctl(["--load-all", "--noprompt", "--file", theirs.folder + "/swanctl.conf"])
        #expect(load.stdout.contains("successfully loaded \(count) connections"), "\(load.output.suffix(500))")

        let loadedByUs = try ours.swanctl(["--list-conns"]).stdout
        let loadedBySwanctl = try theirs.swanctl(["--list-conns"]).stdout
        #expect(loadedByUs.components(separatedBy: "\n").filter { $0.hasPrefix("branch-") }.count == count)
        #expect(loadedByUs == loadedBySwanctl)
        let names = try VICIClient(socketPath: ours.viciSocket).connectionNames()
        #expect(names == config.tunnels.map(\.name))
        if count > 3 {
            let oneMessage = try VICIMessage(config.tunnels.reduce(into: SettingsTree()) { tree, tunnel in
                tree.set(tunnel.name, section: StrongSwanBackend().connection(tunnel))
            }).encoded().count
            #expect(oneMessage > VICIClient.batchBytes, "the batch limit was exercised (\(oneMessage) bytes in all)")
        }
    }
}
