import CLibmnl

/// A request being built with libmnl: a netlink header, a fixed family header (ifinfomsg, ifaddrmsg, rtmsg)
/// and attributes. The buffer is owned here; `bytes` is the finished message.
final class NetlinkRequest: @unchecked Sendable {  // built and sent by one caller, never shared
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private let header: UnsafeMutablePointer<nlmsghdr>
    let operation: String

    /// - Parameters:
    ///   - familyHeader: the raw bytes of the fixed header that follows nlmsghdr.
    init(type: UInt16, flags: Int32, familyHeader: [UInt8], operation: String, capacity: Int = 4096) {
        self.capacity = capacity
        self.operation = operation
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
        header = mnl_nlmsg_put_header(buffer)
        header.pointee.nlmsg_type = type
        header.pointee.nlmsg_flags = UInt16(truncatingIfNeeded: flags)
        let extra = mnl_nlmsg_put_extra_header(header, familyHeader.count)!
        familyHeader.withUnsafeBytes { extra.copyMemory(from: $0.baseAddress!, byteCount: familyHeader.count) }
    }

    deinit { buffer.deallocate() }

    func put(_ type: Int, u32 value: UInt32) { mnl_attr_put_u32(header, UInt16(type), value) }
    func put(_ type: Int, u8 value: UInt8) { mnl_attr_put_u8(header, UInt16(type), value) }
    /// A NUL-terminated string (IFLA_IFNAME).
    func put(_ type: Int, string: String) { mnl_attr_put_strz(header, UInt16(type), string) }
    /// A string without terminator (IFLA_INFO_KIND, as iproute2 sends it).
    func put(_ type: Int, unterminated string: String) { mnl_attr_put_str(header, UInt16(type), string) }
    func put(_ type: Int, bytes: [UInt8]) {
        bytes.withUnsafeBytes { mnl_attr_put(header, UInt16(type), bytes.count, $0.baseAddress) }
    }

    /// Raw bytes appended at the end without an attribute header (veth's nested ifinfomsg).
    func append(raw bytes: [UInt8]) {
        let at = mnl_nlmsg_put_extra_header(header, bytes.count)!
        bytes.withUnsafeBytes { at.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
    }

    /// Adds a nested attribute whose contents `body` writes.
    func nest(_ type: Int, _ body: () -> Void) {
        let start = mnl_attr_nest_start(header, UInt16(type))!
        // libmnl marks nests with NLA_F_NESTED; iproute2 does not, and the kernel accepts both.
        start.pointee.nla_type &= ~UInt16(NLA_F_NESTED)
        body()
        mnl_attr_nest_end(header, start)
    }

    var sequence: UInt32 {
        get { header.pointee.nlmsg_seq }
        set { header.pointee.nlmsg_seq = newValue }
    }

    var flags: UInt16 { header.pointee.nlmsg_flags }

    /// The finished message.
    var bytes: [UInt8] {
        Array(UnsafeRawBufferPointer(start: buffer, count: Int(header.pointee.nlmsg_len)))
    }
}
