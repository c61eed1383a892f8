import Foundation
import PropertyBased
import Testing
import TestSupport
@testable import NetlinkKit

/// XFRM policies: written as iproute2 writes them (RequestBytesTests), read back from the kernel with
/// `ip xfrm policy` as witness, and decoded with every length checked.
@Suite struct XfrmPolicyTests {
    static let guardPolicy = XfrmPolicy(source: IPNetwork("198.51.100.0/24")!, destination: IPNetwork("203.0.113.0/24")!,
                                        direction: .output, action: .block, priority: 4_000_000_000,
                                        mark: XfrmMark(value: 0, mask: 0x8000_0000))

    @Test func descriptionReadsLikeIP() {
        #expect(Self.guardPolicy.description == "src 198.51.100.0/24 dst 203.0.113.0/24 dir out action block priority 4000000000 mark 0x0/0x80000000")
    }

    @Test func deleteCarriesAMarkWhoseValueIsZero() {
        // iproute2 leaves the mark out when value & mask is 0, and then cannot delete such a policy.
        let bytes = Xfrm.deletePolicy(Self.guardPolicy).bytes
        #expect(bytes.count == 16 + Xfrm.userPolicyIDLength + 12)
        #expect(Array(bytes[80 ..< 92]) == [12, 0, 21, 0, 0, 0, 0, 0, 0, 0, 0, 0x80], "XFRMA_MARK 0/0x80000000")
    }

    @Test func anyBytesDecodeOrFailCleanly() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 0 ... 255).array(of: 0 ... 400), Gen.int(in: 0x10 ... 0x20)) { raw, type in
            let message = NetlinkMessage(type: UInt16(type), flags: 0, sequence: 0, portID: 0, payload: raw.map(UInt8.init))
            _ = try? Xfrm.policy(message)
        }
    }

    @Test func impossiblePrefixLengthsAreMalformed() {
        var payload = Array(Xfrm.updatePolicy(Self.guardPolicy).bytes[16 ..< 16 + Xfrm.userPolicyInfoLength])
        payload[42] = 33  // a /33 in IPv4
        let message = NetlinkMessage(type: Xfrm.newPolicy, flags: 0, sequence: 0, portID: 0, payload: payload)
        #expect(throws: NetlinkError.self) { try Xfrm.policy(message) }
    }

    @Test func perSocketPoliciesAreLeftOut() throws {
        var payload = Array(Xfrm.updatePolicy(Self.guardPolicy).bytes[16 ..< 16 + Xfrm.userPolicyInfoLength])
        let decoded = try Xfrm.policy(NetlinkMessage(type: Xfrm.newPolicy, flags: 0, sequence: 0, portID: 0, payload: payload))
        #expect(decoded == XfrmPolicy(source: Self.guardPolicy.source, destination: Self.guardPolicy.destination, direction: .output,
                                      action: .block, priority: 4_000_000_000))
        payload[160] = 4  // XFRM_POLICY_MAX + out: charon's per-socket bypass for IKE
        #expect(try Xfrm.policy(NetlinkMessage(type: Xfrm.newPolicy, flags: 0, sequence: 0, portID: 0, payload: payload)) == nil)
    }

    @Test(.enabled(if: Privileges.canUseNamespaces, "needs root to create namespaces"))
    func guardsCoexistWithADaemonsPolicyForTheSameSelector() throws {
        let namespace = try NetworkNamespace("xfp")
        defer { namespace.delete() }
        let handle = try NetlinkHandle(namespace: .named(namespace.name))
        var other = Self.guardPolicy
        other.mark = XfrmMark(value: 0x8000_0000, mask: 0x8000_0000)
        try handle.xfrmPolicyUpdate(Self.guardPolicy)
        try handle.xfrmPolicyUpdate(other)
        try handle.xfrmPolicyUpdate(Self.guardPolicy)  // again: replaced, not doubled
        // What an IKE daemon installs for the same selector, unmarked, with a template.
        try Shell.check(["ip", "-n", namespace.name, "xfrm", "policy", "add", "src", "198.51.100.0/24", "dst", "203.0.113.0/24",
                         "dir", "out", "priority", "375423", "tmpl", "src", "192.0.2.1", "dst", "192.0.2.2", "proto", "esp", "mode", "tunnel"])
        let policies = try handle.xfrmPolicies()
        #expect(policies.count == 3)
        #expect(Set(policies.filter { !$0.hasTemplates }) == [Self.guardPolicy, other])
        #expect(policies.filter(\.hasTemplates).map(\.priority) == [375423])
        let witness = try Shell.check(["ip", "-n", namespace.name, "xfrm", "policy", "list", "action", "block"])
        #expect(witness.components(separatedBy: "priority 4000000000").count - 1 == 2)
        #expect(witness.contains("mark 0/0x80000000") && witness.contains("mark 0x80000000/0x80000000"))
        // The daemon's policy going (charon stopping) leaves both guards.
        try Shell.check(["ip", "-n", namespace.name, "xfrm", "policy", "delete", "src", "198.51.100.0/24", "dst", "203.0.113.0/24", "dir", "out"])
        #expect(Set(try handle.xfrmPolicies()) == [Self.guardPolicy, other])
        try handle.xfrmPolicyDelete(Self.guardPolicy)
        #expect(try handle.xfrmPolicies() == [other])
        #expect { try handle.xfrmPolicyDelete(Self.guardPolicy) } throws: { ($0 as? NetlinkError)?.kind == .notFound }
    }

    @Test(.enabled(if: Privileges.canUseNamespaces, "needs root to create namespaces"))
    func ipv6GuardRoundTrips() throws {
        let namespace = try NetworkNamespace("xfp6")
        defer { namespace.delete() }
        let handle = try NetlinkHandle(namespace: .named(namespace.name))
        let v6 = XfrmPolicy(source: IPNetwork("2001:db8:a::/48")!, destination: IPNetwork("2001:db8:b::/48")!, direction: .output,
                            action: .block, priority: 4_000_000_000, mark: XfrmMark(value: 0x8000_0000, mask: 0x8000_0000))
        try handle.xfrmPolicyUpdate(v6)
        #expect(try handle.xfrmPolicies() == [v6])
        try handle.xfrmPolicyDelete(v6)
        #expect(try handle.xfrmPolicies().isEmpty)
    }
}
