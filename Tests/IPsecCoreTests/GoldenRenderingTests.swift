import Foundation
import Testing
@testable import IPsecCore

/// Each folder under Golden/ holds an environment (`env`, an ENVFILE) and the exact files it must render to.
/// Regenerate after an intended change with `UPDATE_GOLDEN=1 swift test --filter GoldenRenderingTests`,
/// then read the diff: it is the change in what charon will be told.
@Suite struct GoldenRenderingTests {
    static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let cases = (try? FileManager.default.contentsOfDirectory(atPath: goldenFolder.path).sorted()) ?? []

    static func config(_ name: String) throws -> GatewayConfig {
        let envFile = goldenFolder.appendingPathComponent(name).appendingPathComponent("env").path
        return try GatewayConfig.load(environment: ["ENVFILE": envFile]).config
    }

    @Test func everyScenarioTheIssueNamesHasAGoldenCase() {
        #expect(Set(Self.cases).isSuperset(of: ["policy-ikev2", "vti", "ikev1-custom-ciphers", "any-localip-separate-id",
                                                 "ipv6-subnets", "multiple-subnets-ipv6-outer"]))
    }

    @Test(arguments: cases)
    func rendersExactlyTheGoldenFiles(name: String) throws {
        let config = try Self.config(name)
        let update = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"
        for format in ConfigFormat.allCases {
            for file in StrongSwanBackend().render(config, format: format) {
                let golden = Self.goldenFolder.appendingPathComponent(name)
                    .appendingPathComponent("\(format.rawValue).\(file.path)")
                if update { try file.contents.write(to: golden, atomically: true, encoding: .utf8) }
                let expected = try String(contentsOf: golden, encoding: .utf8)
                #expect(file.contents == expected, "\(name): \(format.rawValue).\(file.path) differs from the golden file")
            }
        }
    }

    @Test(arguments: cases)
    func renderingIsDeterministic(name: String) throws {
        let config = try Self.config(name)
        #expect(StrongSwanBackend().render(config, format: .swanctl) == StrongSwanBackend().render(config, format: .swanctl))
    }

    @Test(arguments: cases)
    func secretsFilesAreOwnerOnlyAndRedactedCopiesHoldNoKey(name: String) throws {
        let config = try Self.config(name)
        let psk = try #require(config.tunnels[0].psk)
        let secret = psk.secret
        for format in ConfigFormat.allCases {
            for file in StrongSwanBackend().render(config, format: format) {
                let holdsKey = file.contents.contains(psk.strongSwanLiteral)
                #expect(holdsKey == (file.mode == 0o600), "\(file.path): mode must be 0600 exactly when it holds the key")
                #expect(!file.redactedContents.contains(secret))
                #expect(!file.redactedContents.contains(psk.strongSwanLiteral))
            }
        }
    }
}
