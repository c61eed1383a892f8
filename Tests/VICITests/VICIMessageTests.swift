import PropertyBased
import Testing
@testable import VICI

@Suite struct VICIMessageTests {
    /// The encoding example of strongSwan's src/libcharon/plugins/vici/README.md ("Encoding example").
    static let readmeExample: [UInt8] = [3, 4] + Array("key1".utf8) + [0, 6] + Array("value1".utf8)
        + [1, 8] + Array("section1".utf8)
        + [1, 11] + Array("sub-section".utf8)
        + [3, 4] + Array("key2".utf8) + [0, 6] + Array("value2".utf8)
        + [2]
        + [4, 5] + Array("list1".utf8)
        + [5, 0, 5] + Array("item1".utf8)
        + [5, 0, 5] + Array("item2".utf8)
        + [6]
        + [2]

    static let readmeTree: VICIMessage = {
        var sub = VICIMessage()
        sub.append("key2", "value2")
        var section = VICIMessage()
        section.append("sub-section", section: sub)
        section.append("list1", list: ["item1", "item2"])
        var root = VICIMessage()
        root.append("key1", "value1")
        root.append("section1", section: section)
        return root
    }()

    @Test func encodesTheReadmeExampleByteForByte() throws {
        #expect(try Self.readmeTree.encoded() == Self.readmeExample)
    }

    @Test func decodesTheReadmeExample() throws {
        let message = try VICIMessage.decode(Self.readmeExample[...])
        #expect(message == Self.readmeTree)
        #expect(message.section("section1")?.list("list1") == ["item1", "item2"])
        #expect(message.section("section1")?.section("sub-section")?.string("key2") == "value2")
    }

    @Test func packetsCarryTypeNameAndLengthPrefix() throws {
        let packet = VICIPacket(kind: .commandRequest, name: "version")
        #expect(try packet.framed() == [0, 0, 0, 9, 0, 7] + Array("version".utf8))
        let register = VICIPacket(kind: .eventRegister, name: "list-sa")
        #expect(try register.encoded() == [3, 7] + Array("list-sa".utf8))
        #expect(try VICIPacket.decode([5][...]) == VICIPacket(kind: .eventConfirm))
        let response = try VICIPacket.decode(([1] + Self.readmeExample)[...])
        #expect(response.kind == .commandResponse && response.message == Self.readmeTree)
    }

    @Test(arguments: [
        ([3, 4] + Array("key1".utf8) + [0, 9] + Array("short".utf8), "truncated"),
        ([1, 3] + Array("sec".utf8), "truncated inside a section"),
        ([2], "section end without a section start"),
        ([5, 0, 1, 65], "list element outside a list"),
        ([4, 1, 65, 3, 1, 66, 0, 0, 6], "inside list"),
        ([9], "unknown element type 9"),
    ] as [([UInt8], String)])
    func malformedMessagesAreErrors(bytes: [UInt8], reason: String) {
        #expect { try VICIMessage.decode(bytes[...]) } throws: { "\($0)".contains(reason) }
    }

    @Test func deepNestingIsRefused() {
        let deep = Array(repeating: [UInt8]([1, 1, 65]), count: 40).flatMap { $0 } + Array(repeating: 2, count: 40)
        #expect(throws: VICIError.self) { try VICIMessage.decode(deep[...]) }
    }

    @Test func everyTruncationOfAValidMessageIsAnErrorNotACrash() {
        for length in 0..<Self.readmeExample.count {
            let prefix = Self.readmeExample[0..<length]
            // Some prefixes are complete messages themselves (ending right after an element); the rest must throw.
            if let message = try? VICIMessage.decode(prefix) { #expect(message.entries.count <= 2) }
        }
        for length in 0..<8 { _ = try? VICIPacket.decode(([0, 7] + Array("version".utf8))[0..<length]) }
    }

    @Test func roundTripsArbitraryTrees() async {
        let word = Gen.letterOrNumber.string(of: 1...12)
        await propertyCheck(count: 300, input: word.array(of: 0...6), word.array(of: 0...4), Gen.bool) { keys, items, nest in
            var message = VICIMessage()
            for (index, key) in keys.enumerated() { message.append("\(key)\(index)", key) }
            message.append("list", list: items)
            if nest { message.append("inner", section: message) }
            let decoded = try? VICIMessage.decode(try message.encoded()[...])
            #expect(decoded == message)
        }
    }

    @Test func randomBytesNeverCrash() async {
        await propertyCheck(count: 1000, input: Gen.int(in: 0...255).array(of: 0...64)) { raw in
            _ = try? VICIMessage.decode(raw.map { UInt8($0) }[...])
            _ = try? VICIPacket.decode(raw.map { UInt8($0) }[...])
        }
    }

    @Test func timeoutsGoOutInWholeMilliseconds() {
        // `terminate` with 1,500 ms used to send "1000" (the fraction of a second was dropped).
        #expect(VICIClient.milliseconds(.milliseconds(1500)) == 1500)
        #expect(VICIClient.milliseconds(.seconds(2)) == 2000)
        #expect(VICIClient.milliseconds(.milliseconds(1)) == 1)
    }

    @Test func statusMapsToTunnelStates() {
        var child = VICIMessage()
        child.append("name", "vnf-ipsec")
        child.append("state", "INSTALLED")
        var children = VICIMessage()
        children.append("vnf-ipsec-1", section: child)
        var ike = VICIMessage()
        ike.append("state", "ESTABLISHED")
        ike.append("encr-alg", "AES_GCM_16")
        ike.append("encr-keysize", "256")
        ike.append("child-sas", section: children)
        let up = IKESAStatus(name: "vnf-ipsec", ike)
        #expect(up.encryption == "AES_GCM_16-256")
        #expect(TunnelState([up], connection: "vnf-ipsec") == .up)
        var noChild = up
        noChild.children = []
        #expect(TunnelState([noChild], connection: "vnf-ipsec") == .ikeOnly)
        #expect(TunnelState([up], connection: "other") == .down)
    }
}
