import Foundation
import Testing
@testable import NetlinkKit

/// NetlinkKit must send what iproute2 sends for the same request. Fixtures/iproute2-requests.txt was captured
/// with Fixtures/capture.sh (strace of `ip` 6.1 in a scratch namespace); the header's sequence number and
/// port id vary per run and are not compared, everything else is, byte for byte.
@Suite struct RequestBytesTests {
    struct Captured {
        var type: UInt16
        var flags: UInt16
        var payload: [UInt8]
    }

    static let fixtures: [String: Captured] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/iproute2-requests.txt")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        var result: [String: Captured] = [:]
        for block in text.components(separatedBy: "\n\n") {
            var fields: [String: String] = [:]
            for line in block.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                fields[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            }
            guard let command = fields["command"], let type = fields["type"], let flags = fields["flags"], let payload = fields["payload"] else { continue }
            var flagValue: UInt16 = 0
            for part in flags.split(separator: "|") {
                switch part {
                case "NLM_F_REQUEST": flagValue |= 1
                case "NLM_F_ACK": flagValue |= 4
                default: flagValue |= UInt16(part.dropFirst(2), radix: 16) ?? 0xFFFF
                }
            }
            let bytes = stride(from: 0, to: payload.count, by: 2).map { i -> UInt8 in
                let start = payload.index(payload.startIndex, offsetBy: i)
                return UInt8(payload[start..<payload.index(start, offsetBy: 2)], radix: 16)!
            }
            result[command] = Captured(type: UInt16(type.dropFirst(2), radix: 16)!, flags: flagValue, payload: bytes)
        }
        return result
    }()

    /// veth0's index in the capture's fresh namespace (lo is 1, veth1 2).
    static let veth0: Int32 = 3

    static func unreachable(_ destination: String) -> Route {
        var route = Route(destination: IPNetwork(destination)!, metric: 4_000_000_000)
        route.type = .unreachable
        return route
    }

    static let cases: [(String, @Sendable () -> NetlinkRequest)] = [
        ("ip link add vti42 type vti local 192.0.2.1 remote 192.0.2.2 key 42",
         { RequestEncoding.addVTI(VTILink(name: "vti42", local: IPAddress("192.0.2.1")!, remote: IPAddress("192.0.2.2")!, key: 42)) }),
        ("ip link add vti7 type vti6 local 2001:db8::1 remote 2001:db8::2 key 7",
         { RequestEncoding.addVTI(VTILink(name: "vti7", local: IPAddress("2001:db8::1")!, remote: IPAddress("2001:db8::2")!, key: 7)) }),
        ("ip link add veth0 type veth peer name veth1", { RequestEncoding.addVeth(VethLink(name: "veth0", peerName: "veth1")) }),
        ("ip link set dev veth0 up", { RequestEncoding.setLinkUp(index: veth0, name: "veth0", up: true) }),
        ("ip link set dev veth0 down", { RequestEncoding.setLinkUp(index: veth0, name: "veth0", up: false) }),
        ("ip link set dev veth0 mtu 1400", { RequestEncoding.setMTU(index: veth0, name: "veth0", mtu: 1400) }),
        ("ip link del veth0", { RequestEncoding.deleteLink(index: veth0, name: "veth0") }),
        ("ip addr add 198.51.100.1/24 dev veth0",
         { RequestEncoding.address(InterfaceAddress(interfaceIndex: veth0, local: IPNetwork("198.51.100.1/24")!), add: true) }),
        ("ip addr add 169.254.0.1 peer 169.254.0.2/30 dev veth0",
         { RequestEncoding.address(InterfaceAddress(interfaceIndex: veth0, local: IPNetwork("169.254.0.1/30")!, peer: IPAddress("169.254.0.2")), add: true) }),
        ("ip addr add 2001:db8:1::1/64 dev veth0",
         { RequestEncoding.address(InterfaceAddress(interfaceIndex: veth0, local: IPNetwork("2001:db8:1::1/64")!), add: true) }),
        ("ip addr del 198.51.100.1/24 dev veth0",
         { RequestEncoding.address(InterfaceAddress(interfaceIndex: veth0, local: IPNetwork("198.51.100.1/24")!), add: false) }),
        ("ip route add 203.0.113.0/24 dev veth0",
         { RequestEncoding.route(Route(destination: IPNetwork("203.0.113.0/24")!, outputInterface: veth0), .add) }),
        ("ip route add 203.0.113.0/24 via 198.51.100.2 dev veth0 metric 100 table 220",
         { RequestEncoding.route(Route(destination: IPNetwork("203.0.113.0/24")!, outputInterface: veth0, gateway: IPAddress("198.51.100.2"),
                                       metric: 100, table: 220), .add) }),
        ("ip route replace 203.0.113.0/24 dev veth0 table 1000",
         { RequestEncoding.route(Route(destination: IPNetwork("203.0.113.0/24")!, outputInterface: veth0, table: 1000), .replace) }),
        ("ip route del 203.0.113.0/24 dev veth0 table 1000",
         { RequestEncoding.route(Route(destination: IPNetwork("203.0.113.0/24")!, outputInterface: veth0, table: 1000), .delete) }),
        ("ip route add 2001:db8:2::/64 dev veth0",
         { RequestEncoding.route(Route(destination: IPNetwork("2001:db8:2::/64")!, outputInterface: veth0), .add) }),
        ("ip route add unreachable 203.0.113.0/24 metric 4000000000",
         { RequestEncoding.route(Self.unreachable("203.0.113.0/24"), .add) }),
        ("ip route add unreachable 2001:db8:b::/48 metric 4000000000",
         { RequestEncoding.route(Self.unreachable("2001:db8:b::/48"), .add) }),
        ("ip route del unreachable 203.0.113.0/24 metric 4000000000",
         { RequestEncoding.route(Self.unreachable("203.0.113.0/24"), .delete) }),
        ("ip xfrm policy update src 198.51.100.0/24 dst 203.0.113.0/24 dir out priority 4000000000 action block mark 0 mask 0x80000000",
         { Xfrm.updatePolicy(XfrmPolicy(source: IPNetwork("198.51.100.0/24")!, destination: IPNetwork("203.0.113.0/24")!, direction: .output,
                                        action: .block, priority: 4_000_000_000, mark: XfrmMark(value: 0, mask: 0x8000_0000))) }),
        ("ip xfrm policy update src 2001:db8:a::/48 dst 2001:db8:b::/48 dir out priority 4000000000 action block mark 0x80000000 mask 0x80000000",
         { Xfrm.updatePolicy(XfrmPolicy(source: IPNetwork("2001:db8:a::/48")!, destination: IPNetwork("2001:db8:b::/48")!, direction: .output,
                                        action: .block, priority: 4_000_000_000, mark: XfrmMark(value: 0x8000_0000, mask: 0x8000_0000))) }),
        ("ip xfrm policy delete src 2001:db8:a::/48 dst 2001:db8:b::/48 dir out mark 0x80000000 mask 0x80000000",
         { Xfrm.deletePolicy(XfrmPolicy(source: IPNetwork("2001:db8:a::/48")!, destination: IPNetwork("2001:db8:b::/48")!, direction: .output,
                                        action: .block, priority: 4_000_000_000, mark: XfrmMark(value: 0x8000_0000, mask: 0x8000_0000))) }),
    ]

    @Test func everyCapturedRequestIsCovered() {
        #expect(Set(Self.fixtures.keys) == Set(Self.cases.map(\.0)))
    }

    @Test(arguments: cases.map(\.0))
    func sendsTheSameBytesAsIproute2(command: String) throws {
        let captured = try #require(Self.fixtures[command], "no fixture for \(command)")
        let request = Self.cases.first { $0.0 == command }!.1()
        let bytes = request.bytes
        #expect(Int(bytes.readU32(at: 0)) == bytes.count, "nlmsg_len")
        #expect(UInt16(bytes[4]) | UInt16(bytes[5]) << 8 == captured.type, "type")
        #expect(UInt16(bytes[6]) | UInt16(bytes[7]) << 8 == captured.flags, "flags")
        let payload = Array(bytes[16...])
        #expect(payload == captured.payload, "\(command)\n ours: \(hex(payload))\n  ip:  \(hex(captured.payload))")
    }

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
