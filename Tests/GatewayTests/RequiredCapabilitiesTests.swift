import Foundation
import Testing
@testable import GatewayRuntime
import IPsecCore
import VICI

/// The effective set is read from /proc/self/status; the bit numbers are linux/capability.h's.
@Suite struct RequiredCapabilitiesTests {
    static func status(effective: String) -> String {
        "Name:\tvnf-ipsec\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t\(effective)\nCapBnd:\t000001ffffffffff\n"
    }

    @Test func rootWithDefaultContainerCapabilitiesLacksNothing() {
        // Docker's/podman's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
        // NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP, plus NET_ADMIN added.
        #expect(RequiredCapabilities.missing(procStatus: Self.status(effective: "00000000a80435fb")).map(\.name) == [])
    }

    @Test func capDropAllWithOnlyNetAdminLacksNetBindService() {
        #expect(RequiredCapabilities.missing(procStatus: Self.status(effective: "0000000000001000")).map(\.name) == ["CAP_NET_BIND_SERVICE"])
    }

    @Test func noCapabilitiesLacksBoth() {
        #expect(RequiredCapabilities.missing(procStatus: Self.status(effective: "0000000000000000")).map(\.name)
            == ["CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"])
    }

    @Test func unreadableStatusChecksNothing() {
        #expect(RequiredCapabilities.missing(procStatus: "no such line").isEmpty)
        #expect(throws: Never.self) { try RequiredCapabilities.check(procStatusPath: "/nonexistent/status") }
    }

    @Test func theErrorNamesTheCapabilityAndHowToGrantIt() throws {
        let file = NSTemporaryDirectory() + "status-\(getpid())"
        try Self.status(effective: "0000000000001000").write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let error = #expect(throws: GatewayError.self) { try RequiredCapabilities.check(procStatusPath: file) }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("CAP_NET_BIND_SERVICE (IKE binds UDP ports 500 and 4500)"), "\(text)")
        #expect(text.contains("--cap-add NET_BIND_SERVICE"), "\(text)")
        #expect(!text.contains("CAP_NET_ADMIN"), "NET_ADMIN is there: \(text)")
    }
}
