import CLibmnl

/// An IPsec SA in the kernel (an XFRM state), as `ip xfrm state` lists it: enough to recognise whose it
/// is, to delete it and to read what it carried. The keys themselves are not read.
public struct XfrmState: Sendable, Hashable, CustomStringConvertible {
    public var source: IPAddress
    public var destination: IPAddress
    /// The SPI in host order.
    public var spi: UInt32
    /// IPPROTO_ESP (50), IPPROTO_AH (51) or IPPROTO_COMP (108).
    public var protocolID: UInt8
    public var requestID: UInt32
    /// The SA's mark (`mark 0x2a/0xffffffff`), part of its identity in the kernel.
    public var mark: (value: UInt32, mask: UInt32)?
    /// What the kernel counted, as read (`ip -s xfrm state`'s "lifetime current"); not part of the SA's
    /// identity: equality and hashing ignore it.
    public var usage = Usage()

    /// The SA's `struct xfrm_lifetime_cur`.
    public struct Usage: Sendable, Hashable {
        public var bytes: UInt64 = 0
        public var packets: UInt64 = 0
        /// When the SA was added, in seconds since the epoch.
        public var added: UInt64 = 0
        /// When it first carried a packet, in seconds since the epoch (0: not yet). The kernel sets it
        /// once; it is not the last use.
        public var firstUsed: UInt64 = 0

        public init(bytes: UInt64 = 0, packets: UInt64 = 0, added: UInt64 = 0, firstUsed: UInt64 = 0) {
            self.bytes = bytes
            self.packets = packets
            self.added = added
            self.firstUsed = firstUsed
        }
    }

    public init(source: IPAddress, destination: IPAddress, spi: UInt32, protocolID: UInt8, requestID: UInt32 = 0,
                mark: (value: UInt32, mask: UInt32)? = nil) {
        self.source = source
        self.destination = destination
        self.spi = spi
        self.protocolID = protocolID
        self.requestID = requestID
        self.mark = mark
    }

    public var description: String {
        let proto = protocolID == 50 ? "esp" : protocolID == 51 ? "ah" : protocolID == 108 ? "comp" : "proto \(protocolID)"
        var text = "src \(source) dst \(destination) \(proto) spi 0x\(String(spi, radix: 16))"
        if let mark { text += " mark 0x\(String(mark.value, radix: 16))/0x\(String(mark.mask, radix: 16))" }
        return text
    }

    public static func == (lhs: XfrmState, rhs: XfrmState) -> Bool {
        lhs.source == rhs.source && lhs.destination == rhs.destination && lhs.spi == rhs.spi
            && lhs.protocolID == rhs.protocolID && lhs.requestID == rhs.requestID
            && lhs.mark?.value == rhs.mark?.value && lhs.mark?.mask == rhs.mark?.mask
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(destination)
        hasher.combine(spi)
        hasher.combine(protocolID)
    }
}

/// The XFRM netlink layouts (linux/xfrm.h) NetlinkKit reads and writes.
enum Xfrm {
    static let protocolNumber: Int32 = 6  // NETLINK_XFRM
    static let newSA: UInt16 = 0x10, deleteSA: UInt16 = 0x11, getSA: UInt16 = 0x12
    static let markAttribute: UInt16 = 21  // XFRMA_MARK: struct xfrm_mark { u32 v, m }
    /// sizeof(struct xfrm_usersa_info) on Linux: selector 56, id 24, saddr 16, lifetimes 64 + 32,
    /// stats 12, seq, reqid, family, mode, replay_window, flags, pad[7].
    static let userSAInfoLength = 224
    /// Where `curlft` (struct xfrm_lifetime_cur: bytes, packets, add_time, use_time; u64 each) starts.
    static let currentLifetimeOffset = 160
    /// sizeof(struct xfrm_usersa_id): daddr 16, spi 4, family 2, proto 1, pad 1.
    static let userSAIDLength = 24

    static func address(_ bytes: ArraySlice<UInt8>, family: UInt16) -> IPAddress? {
        IPAddress(bytes: Array(bytes.prefix(family == 10 ? 16 : 4)))
    }

    /// An XFRM_MSG_NEWSA message of a dump; bounds-checked, `.malformedReply` when it does not fit.
    static func state(_ message: NetlinkMessage) throws(NetlinkError) -> XfrmState {
        let operation = "decode xfrm state"
        let payload = message.payload[...]
        guard message.type == newSA, payload.count >= userSAInfoLength else {
            throw .malformed(operation, "expected XFRM_MSG_NEWSA with an xfrm_usersa_info, got type \(message.type), \(payload.count) bytes")
        }
        let base = payload.startIndex
        let family = payload.readU16(at: base + 212)
        guard family == 2 || family == 10,
              let destination = address(payload[(base + 56)..<(base + 72)], family: family),
              let source = address(payload[(base + 80)..<(base + 96)], family: family)
        else { throw .malformed(operation, "address family \(family)") }
        var state = XfrmState(source: source, destination: destination, spi: UInt32(bigEndian: payload.readU32(at: base + 72)),
                              protocolID: payload[base + 76], requestID: payload.readU32(at: base + 208))
        let current = base + currentLifetimeOffset
        state.usage = XfrmState.Usage(bytes: payload.readU64(at: current), packets: payload.readU64(at: current + 8),
                                      added: payload.readU64(at: current + 16), firstUsed: payload.readU64(at: current + 24))
        for attribute in try NetlinkAttribute.parse(payload.dropFirst(userSAInfoLength), operation: operation)
        where attribute.kind == markAttribute && attribute.value.count >= 8 {
            state.mark = (attribute.value.readU32(at: attribute.value.startIndex), attribute.value.readU32(at: attribute.value.startIndex + 4))
        }
        return state
    }

    static func dumpStates() -> NetlinkRequest {
        NetlinkRequest(type: getSA, flags: NLM_F_REQUEST | NLM_F_DUMP, familyHeader: [UInt8](repeating: 0, count: userSAInfoLength),
                       operation: "xfrm state list")
    }

    /// XFRM_MSG_DELSA: the kernel finds the SA by destination, SPI, protocol and mark.
    static func deleteState(_ state: XfrmState) -> NetlinkRequest {
        let family: UInt16 = state.destination.bytes.count == 16 ? 10 : 2
        var id = [UInt8](repeating: 0, count: userSAIDLength)
        for (index, byte) in state.destination.bytes.enumerated() { id[index] = byte }
        withUnsafeBytes(of: state.spi.bigEndian) { for (index, byte) in $0.enumerated() { id[16 + index] = byte } }
        id[20] = UInt8(family & 0xFF)
        id[21] = UInt8(family >> 8)
        id[22] = state.protocolID
        let request = NetlinkRequest(type: deleteSA, flags: RequestEncoding.plain, familyHeader: id, operation: "xfrm state delete \(state)")
        if let mark = state.mark {
            request.put(Int(markAttribute), bytes: RequestEncoding.le32(mark.value) + RequestEncoding.le32(mark.mask))
        }
        return request
    }
}
