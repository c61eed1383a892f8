/// A received netlink message: its header fields and payload, parsed from untrusted bytes with every
/// length checked. Payload accessors never read outside the message.
public struct NetlinkMessage: Sendable, Equatable {
    public var type: UInt16
    public var flags: UInt16
    public var sequence: UInt32
    public var portID: UInt32
    /// The bytes after the 16-byte header.
    public var payload: [UInt8]

    static let headerLength = 16

    /// Splits a datagram into messages. Throws `.malformedReply` on any inconsistent length.
    static func parse(_ bytes: ArraySlice<UInt8>, operation: String) throws(NetlinkError) -> [NetlinkMessage] {
        var messages: [NetlinkMessage] = []
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            guard bytes.endIndex - offset >= headerLength else {
                throw .malformed(operation, "truncated netlink header (\(bytes.endIndex - offset) bytes)")
            }
            let length = Int(bytes.readU32(at: offset))
            guard length >= headerLength, length <= bytes.endIndex - offset else {
                throw .malformed(operation, "netlink message length \(length) outside the \(bytes.endIndex - offset) bytes received")
            }
            messages.append(NetlinkMessage(
                type: bytes.readU16(at: offset + 4), flags: bytes.readU16(at: offset + 6),
                sequence: bytes.readU32(at: offset + 8), portID: bytes.readU32(at: offset + 12),
                payload: Array(bytes[(offset + headerLength)..<(offset + length)])))
            offset += align4(length)
        }
        return messages
    }
}

/// One attribute (type + value) of a netlink payload.
struct NetlinkAttribute: Equatable {
    var type: UInt16
    var value: ArraySlice<UInt8>

    /// The attribute type without the nested/byte-order flag bits.
    var kind: UInt16 { type & 0x3FFF }

    /// Parses the attribute list in `bytes`; throws on a length that runs past the end.
    static func parse(_ bytes: ArraySlice<UInt8>, operation: String) throws(NetlinkError) -> [NetlinkAttribute] {
        var attributes: [NetlinkAttribute] = []
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= 4 {
            let length = Int(bytes.readU16(at: offset))
            guard length >= 4, length <= bytes.endIndex - offset else {
                throw .malformed(operation, "attribute length \(length) outside the \(bytes.endIndex - offset) bytes left")
            }
            attributes.append(NetlinkAttribute(type: bytes.readU16(at: offset + 2), value: bytes[(offset + 4)..<(offset + length)]))
            offset += min(align4(length), bytes.endIndex - offset)
        }
        return attributes
    }

    func u32(_ operation: String) throws(NetlinkError) -> UInt32 {
        guard value.count >= 4 else { throw .malformed(operation, "attribute \(kind) is \(value.count) bytes, expected 4") }
        return value.readU32(at: value.startIndex)
    }

    var string: String {
        String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
    }
}

func align4(_ n: Int) -> Int { (n + 3) & ~3 }

extension ArraySlice<UInt8> {
    /// Host-order (little-endian on the platforms we run on) integers, as netlink headers use.
    func readU16(at index: Int) -> UInt16 { UInt16(self[index]) | UInt16(self[index + 1]) << 8 }
    func readU32(at index: Int) -> UInt32 {
        UInt32(self[index]) | UInt32(self[index + 1]) << 8 | UInt32(self[index + 2]) << 16 | UInt32(self[index + 3]) << 24
    }
    func readI32(at index: Int) -> Int32 { Int32(bitPattern: readU32(at: index)) }
    func readU64(at index: Int) -> UInt64 { UInt64(readU32(at: index)) | UInt64(readU32(at: index + 4)) << 32 }
}

extension Array<UInt8> {
    func readU32(at index: Int) -> UInt32 { self[...].readU32(at: index) }
}
