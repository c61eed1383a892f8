import Foundation
import IPsecCore
import Testing
import TestSupport
@testable import GatewayRuntime
@testable import NetlinkKit

/// The probe's attempt against real sockets in namespaces: a listener and a refusal are answers, an
/// unreachable destination and silence are losses, and a source address is used when given.
@Suite(.enabled(if: Privileges.canUseNamespaces, "needs root and ip"), .serialized)
struct TunnelProbeTests {
    /// Runs the attempt with this thread inside `namespace` (NetlinkKit's namespace switch, undone after).
    static func attempt(in namespace: NetworkNamespace, _ target: String, source: String? = nil, timeout: Duration = .milliseconds(500)) throws -> TunnelProbe.Attempt {
        try NetworkNamespacePath.named(namespace.name).entered {
            TunnelProbe.attempt(to: ListenAddress(target)!, from: source.flatMap(IPAddress.init), timeout: timeout)
        }
    }

    @Test func aListenerAndARefusalAreAnswersUnreachableAndSilenceAreLosses() throws {
        let a = try NetworkNamespace("pra"), b = try NetworkNamespace("prb")
        defer { a.delete(); b.delete() }
        try NetworkNamespace.link(a, "vA", "192.0.2.1/24", b, "vB", "192.0.2.2/24")
        try b.check(["ip", "addr", "add", "192.0.2.3/24", "dev", "vB"])
        // A listener on .2:7000 (nc from the namespace), nothing on .2:7001, and .3 drops everything.
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        listener.arguments = ["netns", "exec", b.name, "python3", "-c",
                              "import socket,time; s=socket.socket(); s.bind(('192.0.2.2',7000)); s.listen(); time.sleep(30)"]
        try listener.run()
        defer { listener.terminate() }
        try b.check(["iptables-legacy", "-A", "INPUT", "-d", "192.0.2.3", "-j", "DROP"])
        try a.check(["ip", "route", "add", "unreachable", "203.0.113.0/24"])
        usleep(300_000)

        guard case .answered = try Self.attempt(in: a, "192.0.2.2:7000") else { Issue.record("a listener did not answer"); return }
        guard case .answered = try Self.attempt(in: a, "192.0.2.2:7001") else { Issue.record("a refusal (RST) is an answer"); return }
        #expect(try Self.attempt(in: a, "203.0.113.5:22") == .lost(String(cString: strerror(EHOSTUNREACH))))
        let started = ContinuousClock.now
        #expect(try Self.attempt(in: a, "192.0.2.3:22", timeout: .milliseconds(300)) == .lost("no answer within 0.3 seconds"))
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        guard case .answered = try Self.attempt(in: a, "192.0.2.2:7001", source: "192.0.2.1") else { Issue.record("with a source address"); return }
        #expect(try Self.attempt(in: a, "192.0.2.2:7001", source: "198.51.100.9") == .lost("bind 198.51.100.9: \(String(cString: strerror(EADDRNOTAVAIL)))"))
    }
}
