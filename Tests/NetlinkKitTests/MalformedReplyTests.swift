import PropertyBased
import Testing
@testable import NetlinkKit

/// Replies come from the kernel but are parsed as untrusted bytes: truncated or corrupted input gives
/// `.malformedReply` (or a value), never a crash or an out-of-bounds read.
@Suite struct MalformedReplyTests {
    /// An RTM_NEWLINK for a vti: the kernel's answers use the same layout as our request.
    static let vtiLinkMessage = RequestEncoding.addVTI(VTILink(name: "vti42", local: IPAddress("192.0.2.1")!, remote: IPAddress("192.0.2.2")!, key: 42)).bytes

    static let routeMessage = RequestEncoding.route(Route(destination: IPNetwork("203.0.113.0/24")!, outputInterface: 3,
                                                          gateway: IPAddress("198.51.100.2"), metric: 7, table: 1000), .add).bytes

    @Test func wellFormedMessagesDecode() throws {
        let link = try ReplyDecoding.link(try #require(NetlinkMessage.parse(Self.vtiLinkMessage[...], operation: "t").first))
        #expect(link.name == "vti42")
        #expect(link.kind == .vti(local: IPAddress("192.0.2.1"), remote: IPAddress("192.0.2.2"), inputKey: 42, outputKey: 42))
        let route = try ReplyDecoding.route(try #require(NetlinkMessage.parse(Self.routeMessage[...], operation: "t").first))
        #expect(route.table == 1000 && route.metric == 7 && route.gateway == IPAddress("198.51.100.2") && route.outputInterface == 3)
    }

    @Test func everyTruncationIsAnErrorOrAValue() {
        for message in [Self.vtiLinkMessage, Self.routeMessage] {
            for length in 0..<message.count {
                var truncated = Array(message[0..<length])
                // Keep the header's length consistent sometimes, so the attribute parser sees short attributes too.
                if length >= 4 { truncated[0] = UInt8(length & 0xFF); truncated[1] = UInt8(length >> 8) }
                decodeAll(truncated)
                decodeAll(Array(message[0..<length]))
            }
        }
    }

    @Test func randomCorruptionNeverCrashes() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 0...255), Gen.int(in: 0...127), Gen.bool) { value, position, route in
            var bytes = route ? Self.routeMessage : Self.vtiLinkMessage
            bytes[position % bytes.count] = UInt8(value)
            decodeAll(bytes)
        }
    }

    @Test func randomBytesNeverCrash() async {
        await propertyCheck(count: 1000, input: Gen.int(in: 0...255).array(of: 0...96)) { raw in
            decodeAll(raw.map { UInt8($0) })
        }
    }

    @Test func kernelErrorAnswersCarryTheExtendedAck() throws {
        // NLMSG_ERROR, flags CAPPED|ACK_TLVS, error -95, echoed header, then NLMSGERR_ATTR_MSG "Unknown device type".
        let text = Array("Unknown device type".utf8) + [0]
        let tlv = RequestEncoding.le16(UInt16(4 + text.count)) + RequestEncoding.le16(1) + text + [UInt8](repeating: 0, count: (4 - text.count % 4) % 4)
        let payload = RequestEncoding.le32(UInt32(bitPattern: -95)) + [UInt8](repeating: 0, count: 16) + tlv
        let message = NetlinkMessage(type: 2, flags: 0x100 | 0x200, sequence: 1, portID: 0, payload: payload)
        let (code, extack) = try NetlinkSocket.errorAnswer(message, operation: "t")
        #expect(code == -95 && extack == "Unknown device type")
        let short = NetlinkMessage(type: 2, flags: 0x300, sequence: 1, portID: 0, payload: Array(payload.prefix(10)))
        #expect(throws: NetlinkError.self) { try NetlinkSocket.errorAnswer(short, operation: "t") }
    }

    func decodeAll(_ bytes: [UInt8]) {
        guard let messages = try? NetlinkMessage.parse(bytes[...], operation: "fuzz") else { return }
        for message in messages {
            _ = try? ReplyDecoding.link(message)
            _ = try? ReplyDecoding.route(NetlinkMessage(type: 24, flags: 0, sequence: 0, portID: 0, payload: message.payload))
            _ = try? ReplyDecoding.address(NetlinkMessage(type: 20, flags: 0, sequence: 0, portID: 0, payload: message.payload))
            _ = try? NetlinkSocket.errorAnswer(NetlinkMessage(type: 2, flags: 0x300, sequence: 0, portID: 0, payload: message.payload), operation: "fuzz")
        }
    }
}
