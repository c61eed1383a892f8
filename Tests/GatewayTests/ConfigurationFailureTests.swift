import Foundation
import Logging
import Testing
@testable import GatewayRuntime
import IPsecCore
import VICI

/// A charon that never takes the configuration (here: one that never opens its VICI socket) must not leave
/// a gateway that looks alive and does nothing: `run` stops it and fails with the reason.
@Suite(.enabled(if: getuid() == 0, "needs root (CAP_NET_ADMIN and CAP_NET_BIND_SERVICE are checked)"))
struct ConfigurationFailureTests {
    @Test(.timeLimit(.minutes(1)))
    func aCharonThatNeverOpensVICIEndsTheGatewayWithTheReason() async throws {
        let folder = NSTemporaryDirectory() + "vici-never-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fakeCharon = folder + "/charon"
        // Written through a descriptor no other test's child can inherit: a process spawned by a test running
        // beside this one while the script was open for writing would keep it open, and executing the
        // script would then fail with ETXTBSY (the likely cause of one "charon exited during start-up" in a
        // full run, not reproduced alone).
        let script = Array("#!/bin/sh\necho \"$$\" > \(folder)/pid\nexec sleep 60\n".utf8)
        let descriptor = open(fakeCharon, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        try #require(descriptor >= 0 && script.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == script.count)
        close(descriptor)
        var options = StrongSwanGatewayBackend.Options()
        options.charonPath = fakeCharon
        options.runtimeDirectory = folder + "/run"
        options.viciSocket = folder + "/charon.vici"
        options.startupTimeout = .seconds(1)
        let config = try GatewayConfig.load(environment: [
            "IPSEC_LOCALIP": "192.0.2.1", "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_LOCALNET": "198.51.100.0/24",
            "IPSEC_REMOTENET": "203.0.113.0/24", "IPSEC_PSK": "configuration-failure-psk-0123456789",
        ]).config
        let backend = StrongSwanGatewayBackend(options: options, logger: Logger(label: "test"), output: { _ in })
        let gateway = Gateway(config: config, backend: backend, logger: Logger(label: "test"))
        let error = await #expect(throws: GatewayError.self) { try await gateway.run() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("charon did not open its VICI socket"))
        let pid = try #require(Int32(String(contentsOfFile: folder + "/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) != 0, "the daemon was left running")
        #expect(!FileManager.default.fileExists(atPath: folder + "/run/swanctl.conf"), "the PSK file outlived run")
    }
}
