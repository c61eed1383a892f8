import Foundation
import PropertyBased
import Testing
import TestSupport
@testable import NetlinkKit

/// XFRM states: decoded from the kernel's layout with every length checked, deleted by the key the kernel
/// looks them up by. The real kernel's answers are read in the lab (this host's kernel has no ESP).
@Suite struct XfrmStateTests {
    /// An XFRM_MSG_NEWSA payload as linux/xfrm.h lays it out, with a mark attribute.
    static func newSA(source: [UInt8], destination: [UInt8], spi: UInt32, family: UInt16, mark: (UInt32, UInt32)?) -> NetlinkMessage {
        var info = [UInt8](repeating: 0, count: Xfrm.userSAInfoLength)
        for (index, byte) in destination.enumerated() { info[56 + index] = byte }
        withUnsafeBytes(of: spi.bigEndian) { for (index, byte) in $0.enumerated() { info[72 + index] = byte } }
        info[76] = 50
        for (index, byte) in source.enumerated() { info[80 + index] = byte }
        // curlft: 1,500,000,000,001 bytes (over 32 bits), 1,000 packets, added and first used.
        for (offset, value) in [(160, UInt64(1_500_000_000_001)), (168, 1_000), (176, 1_764_000_000), (184, 1_764_000_005)] {
            withUnsafeBytes(of: value.littleEndian) { for (index, byte) in $0.enumerated() { info[offset + index] = byte } }
        }
        info[208] = 7  // reqid
        info[212] = UInt8(family & 0xFF)
        if let mark { info += [12, 0, 21, 0] + RequestEncoding.le32(mark.0) + RequestEncoding.le32(mark.1) }
        return NetlinkMessage(type: Xfrm.newSA, flags: 2, sequence: 1, portID: 0, payload: info)
    }

    @Test func aNewSAMessageDecodesToItsState() throws {
        let state = try Xfrm.state(Self.newSA(source: [192, 0, 2, 1], destination: [192, 0, 2, 2], spi: 0xC0FFEE01, family: 2, mark: (42, 0xFFFF_FFFF)))
        #expect(state.description == "src 192.0.2.1 dst 192.0.2.2 esp spi 0xc0ffee01 mark 0x2a/0xffffffff")
        #expect(state.requestID == 7)
        #expect(state.usage == XfrmState.Usage(bytes: 1_500_000_000_001, packets: 1_000, added: 1_764_000_000, firstUsed: 1_764_000_005))
        let v6 = try Xfrm.state(Self.newSA(source: IPAddress("2001:db8::1")!.bytes, destination: IPAddress("2001:db8::2")!.bytes,
                                           spi: 1, family: 10, mark: nil))
        #expect(v6.description == "src 2001:db8::1 dst 2001:db8::2 esp spi 0x1")
    }

    @Test func theDeleteRequestCarriesTheKernelsLookupKey() {
        let state = XfrmState(source: IPAddress("192.0.2.1")!, destination: IPAddress("192.0.2.2")!, spi: 0xC0FFEE01,
                              protocolID: 50, mark: (42, 0xFFFF_FFFF))
        let bytes = Xfrm.deleteState(state).bytes
        #expect(bytes.count == 16 + 24 + 12)
        #expect(Array(bytes[16 ..< 20]) == [192, 0, 2, 2], "daddr")
        #expect(Array(bytes[32 ..< 36]) == [0xC0, 0xFF, 0xEE, 0x01], "spi, network order")
        #expect(bytes[36] == 2 && bytes[38] == 50, "family AF_INET, proto ESP")
        #expect(Array(bytes[40 ..< 52]) == [12, 0, 21, 0, 42, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF], "XFRMA_MARK")
    }

    @Test func anyBytesDecodeOrFailCleanly() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 0 ... 255).array(of: 0 ... 300), Gen.int(in: 0 ... 40)) { raw, type in
            let message = NetlinkMessage(type: UInt16(type), flags: 0, sequence: 0, portID: 0, payload: raw.map(UInt8.init))
            _ = try? Xfrm.state(message)
        }
    }

    @Test(.enabled(if: Privileges.canUseNamespaces, "needs root to open a netlink socket in a namespace"))
    func aFreshNamespaceHasNoStates() throws {
        let namespace = try NetworkNamespace("xfs")
        defer { namespace.delete() }
        let handle = try NetlinkHandle(namespace: .named(namespace.name))
        #expect(try handle.xfrmStates().isEmpty)
    }
}
