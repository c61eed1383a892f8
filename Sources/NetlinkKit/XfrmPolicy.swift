import CLibmnl

/// An XFRM policy's mark: the policy applies to packets whose mark, masked with `mask`, equals `value`. Part
/// of the policy's identity in the kernel: two policies with the same selector and another mark coexist.
public struct XfrmMark: Sendable, Hashable, CustomStringConvertible {
    public var value: UInt32
    public var mask: UInt32
    public init(value: UInt32, mask: UInt32) {
        self.value = value
        self.mask = mask
    }

    public var description: String { "0x\(String(value, radix: 16))/0x\(String(mask, radix: 16))" }
}

/// An IPsec policy in the kernel (`ip xfrm policy`), for the policies NetlinkKit writes: a selector of two
/// networks, any protocol and port, and an action — block, or allow without templates (a bypass). The
/// templates of a policy read back (charon's) are not decoded: `hasTemplates` says whether it has any.
public struct XfrmPolicy: Sendable, Hashable, CustomStringConvertible {
    public enum Direction: UInt8, Sendable, Hashable {
        case input = 0, output = 1, forward = 2
    }

    public enum Action: UInt8, Sendable, Hashable {
        case allow = 0, block = 1
    }

    public var source: IPNetwork
    public var destination: IPNetwork
    public var direction: Direction
    public var action: Action
    /// Lower wins: of the policies matching a packet, the kernel applies the one with the lowest number.
    public var priority: UInt32
    public var mark: XfrmMark?
    /// Read back only: whether the policy carries templates (an IPsec policy of an IKE daemon).
    public var hasTemplates = false

    public init(source: IPNetwork, destination: IPNetwork, direction: Direction, action: Action, priority: UInt32,
                mark: XfrmMark? = nil) {
        self.source = source
        self.destination = destination
        self.direction = direction
        self.action = action
        self.priority = priority
        self.mark = mark
    }

    /// In `ip xfrm policy`'s words.
    public var description: String {
        let dir = switch direction { case .input: "in"; case .output: "out"; case .forward: "fwd" }
        var text = "src \(source) dst \(destination) dir \(dir) action \(action == .block ? "block" : "allow") priority \(priority)"
        if let mark { text += " mark \(mark)" }
        return text
    }
}

extension Xfrm {
    static let newPolicy: UInt16 = 0x13, deletePolicy: UInt16 = 0x14, getPolicy: UInt16 = 0x15, updatePolicy: UInt16 = 0x19
    static let templateAttribute: UInt16 = 5  // XFRMA_TMPL
    /// sizeof(struct xfrm_selector): daddr 16, saddr 16, dport/mask, sport/mask 8, family 2, prefixlen_d,
    /// prefixlen_s, proto 3, pad 3, ifindex 4, user 4.
    static let selectorLength = 56
    /// sizeof(struct xfrm_userpolicy_info): selector 56, lifetime_cfg 64, lifetime_cur 32, priority, index,
    /// dir, action, flags, share, padded to 8.
    static let userPolicyInfoLength = 168
    /// sizeof(struct xfrm_userpolicy_id): selector 56, index 4, dir 1, pad 3.
    static let userPolicyIDLength = 64

    static func family(of network: IPNetwork) -> UInt16 { network.address.isIPv6 ? 10 : 2 }

    /// struct xfrm_selector for two networks of one family, any protocol and port.
    static func selector(source: IPNetwork, destination: IPNetwork) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: selectorLength)
        for (index, byte) in destination.address.bytes.enumerated() { bytes[index] = byte }
        for (index, byte) in source.address.bytes.enumerated() { bytes[16 + index] = byte }
        let family = family(of: destination)
        bytes[40] = UInt8(family & 0xFF)
        bytes[41] = UInt8(family >> 8)
        bytes[42] = UInt8(destination.prefixLength)
        bytes[43] = UInt8(source.prefixLength)
        return bytes
    }

    /// XFRM_MSG_UPDPOLICY, as `ip xfrm policy update` sends it (byte and packet limits infinite): creates
    /// the policy or replaces the one with the same selector, direction and mark.
    static func updatePolicy(_ policy: XfrmPolicy) -> NetlinkRequest {
        var info = selector(source: policy.source, destination: policy.destination)
        info += [UInt8](repeating: 0xFF, count: 32)  // soft/hard byte and packet limits: XFRM_INF
        info += [UInt8](repeating: 0, count: 32 + 32)  // expiry times; current lifetime
        info += RequestEncoding.le32(policy.priority) + RequestEncoding.le32(0)
        info += [policy.direction.rawValue, policy.action.rawValue, 0, 0, 0, 0, 0, 0]
        let request = NetlinkRequest(type: updatePolicy, flags: RequestEncoding.plain, familyHeader: info,
                                     operation: "xfrm policy update \(policy)")
        if let mark = policy.mark {
            request.put(Int(markAttribute), bytes: RequestEncoding.le32(mark.value) + RequestEncoding.le32(mark.mask))
        }
        return request
    }

    /// XFRM_MSG_DELPOLICY: the kernel finds the policy by selector, direction and mark. The mark travels
    /// whenever its mask is set (iproute2 sends it only when value & mask is non-zero, so it cannot delete a
    /// policy marked 0/MASK).
    static func deletePolicy(_ policy: XfrmPolicy) -> NetlinkRequest {
        var id = selector(source: policy.source, destination: policy.destination)
        id += RequestEncoding.le32(0) + [policy.direction.rawValue, 0, 0, 0]
        let request = NetlinkRequest(type: deletePolicy, flags: RequestEncoding.plain, familyHeader: id,
                                     operation: "xfrm policy delete \(policy)")
        if let mark = policy.mark, mark.mask != 0 {
            request.put(Int(markAttribute), bytes: RequestEncoding.le32(mark.value) + RequestEncoding.le32(mark.mask))
        }
        return request
    }

    static func dumpPolicies() -> NetlinkRequest {
        NetlinkRequest(type: getPolicy, flags: NLM_F_REQUEST | NLM_F_DUMP, familyHeader: [], operation: "xfrm policy list")
    }

    /// An XFRM_MSG_NEWPOLICY message of a dump; bounds-checked, `.malformedReply` when it does not fit. nil
    /// for a per-socket policy (directions 3–5, `socket in/out` in `ip xfrm policy`: IKE daemons' bypasses).
    static func policy(_ message: NetlinkMessage) throws(NetlinkError) -> XfrmPolicy? {
        let operation = "decode xfrm policy"
        let payload = message.payload[...]
        guard message.type == newPolicy, payload.count >= userPolicyInfoLength else {
            throw .malformed(operation, "expected XFRM_MSG_NEWPOLICY with an xfrm_userpolicy_info, got type \(message.type), \(payload.count) bytes")
        }
        let base = payload.startIndex
        let family = payload.readU16(at: base + 40)
        let width = family == 10 ? 128 : 32
        guard family == 2 || family == 10,
              let destinationAddress = address(payload[base ..< base + 16], family: family),
              let sourceAddress = address(payload[(base + 16) ..< (base + 32)], family: family),
              Int(payload[base + 42]) <= width, Int(payload[base + 43]) <= width,
              let destination = IPNetwork(address: destinationAddress, prefixLength: Int(payload[base + 42])),
              let source = IPNetwork(address: sourceAddress, prefixLength: Int(payload[base + 43]))
        else { throw .malformed(operation, "selector of family \(family) with prefix lengths \(payload[base + 42]), \(payload[base + 43])") }
        if (3 ... 5).contains(payload[base + 160]) { return nil }
        guard let direction = XfrmPolicy.Direction(rawValue: payload[base + 160]),
              let action = XfrmPolicy.Action(rawValue: payload[base + 161])
        else { throw .malformed(operation, "direction \(payload[base + 160]), action \(payload[base + 161])") }
        var policy = XfrmPolicy(source: source, destination: destination, direction: direction, action: action,
                                priority: payload.readU32(at: base + 152))
        for attribute in try NetlinkAttribute.parse(payload.dropFirst(userPolicyInfoLength), operation: operation) {
            if attribute.kind == markAttribute, attribute.value.count >= 8 {
                policy.mark = XfrmMark(value: attribute.value.readU32(at: attribute.value.startIndex),
                                       mask: attribute.value.readU32(at: attribute.value.startIndex + 4))
            } else if attribute.kind == templateAttribute, !attribute.value.isEmpty {
                policy.hasTemplates = true
            }
        }
        return policy
    }
}
