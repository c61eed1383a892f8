import CLibmnl

/// A request being built with libmnl: a netlink header, a fixed family header (ifinfomsg, ifaddrmsg, rtmsg)
/// and attributes. The buffer is owned here; `bytes` is the finished message.
///
/// Every write is bounds-checked against the buffer (libmnl's `*_check` puts, and explicit checks for raw
/// bytes): a request that would not fit is marked `overflowed` instead of writing past the buffer, and
/// the socket refuses to send it. Requests are small, so the fixed buffer is generous; the check is what
/// keeps arbitrary input (a 6,000-byte interface name) memory-safe.
final class NetlinkRequest: @unchecked Sendable {  // built and sent by one caller, never shared
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private let header: UnsafeMutablePointer<nlmsghdr>
    let operation: String
    /// Set when some write did not fit; the request must not be sent.
    private(set) var overflowed = false

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
        append(raw: familyHeader)
    }

    deinit { buffer.deallocate() }

    private var room: Int { capacity - Int(header.pointee.nlmsg_len) }

    private func record(_ fitted: Bool) { if !fitted { overflowed = true } }

    func put(_ type: Int, u32 value: UInt32) { record(mnl_attr_put_u32_check(header, capacity, UInt16(type), value)) }
    func put(_ type: Int, u8 value: UInt8) { record(mnl_attr_put_u8_check(header, capacity, UInt16(type), value)) }
    /// A NUL-terminated string (IFLA_IFNAME).
    func put(_ type: Int, string: String) { record(mnl_attr_put_strz_check(header, capacity, UInt16(type), string)) }
    /// A string without terminator (IFLA_INFO_KIND, as iproute2 sends it).
    func put(_ type: Int, unterminated string: String) { record(mnl_attr_put_str_check(header, capacity, UInt16(type), string)) }
    func put(_ type: Int, bytes: [UInt8]) {
        record(bytes.withUnsafeBytes { mnl_attr_put_check(header, capacity, UInt16(type), bytes.count, $0.baseAddress) })
    }

    /// Raw bytes appended at the end without an attribute header (the family header; veth's nested ifinfomsg).
    func append(raw bytes: [UInt8]) {
        // mnl_nlmsg_put_extra_header has no checked form: the room is checked here, padding included.
        let aligned = (bytes.count + 3) & ~3
        guard aligned <= room else { overflowed = true; return }
        let at = mnl_nlmsg_put_extra_header(header, bytes.count)!
        if !bytes.isEmpty { bytes.withUnsafeBytes { at.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) } }
    }

    /// Adds a nested attribute whose contents `body` writes.
    func nest(_ type: Int, _ body: () -> Void) {
        guard let start = mnl_attr_nest_start_check(header, capacity, UInt16(type)) else {
            overflowed = true
            return
        }
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

    /// The finished message (empty when it overflowed: never sent).
    var bytes: [UInt8] {
        guard !overflowed else { return [] }
        return Array(UnsafeRawBufferPointer(start: buffer, count: Int(header.pointee.nlmsg_len)))
    }
}
