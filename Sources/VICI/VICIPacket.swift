/// One VICI packet: a type, a name for requests and events, and a message body.
public struct VICIPacket: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case commandRequest = 0, commandResponse, commandUnknown, eventRegister, eventUnregister, eventConfirm, eventUnknown, event
        /// Packet types that carry a name after the type byte.
        var isNamed: Bool { self == .commandRequest || self == .eventRegister || self == .eventUnregister || self == .event }
        var hasMessage: Bool { self == .commandRequest || self == .commandResponse || self == .event }
    }

    public var kind: Kind
    public var name: String?
    public var message: VICIMessage

    public init(kind: Kind, name: String? = nil, message: VICIMessage = VICIMessage()) {
        self.kind = kind
        self.name = name
        self.message = message
    }

    /// Packet bytes without the transport's 4-byte length prefix.
    public func encoded() throws(VICIError) -> [UInt8] {
        var out = [kind.rawValue]
        if kind.isNamed {
            let bytes = Array((name ?? "").utf8)
            guard bytes.count <= 255 else { throw .malformed("packet name longer than 255 bytes") }
            out.append(UInt8(bytes.count))
            out += bytes
        }
        if kind.hasMessage { out += try message.encoded() }
        return out
    }

    /// The transport frame: a 32-bit big-endian length, then the packet.
    public func framed() throws(VICIError) -> [UInt8] {
        let packet = try encoded()
        let n = UInt32(packet.count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)] + packet
    }

    public static func decode(_ bytes: ArraySlice<UInt8>) throws(VICIError) -> VICIPacket {
        guard let first = bytes.first else { throw .malformed("empty packet") }
        guard let kind = Kind(rawValue: first) else { throw .malformed("unknown packet type \(first)") }
        var offset = bytes.startIndex + 1
        var name: String?
        if kind.isNamed {
            guard offset < bytes.endIndex else { throw .malformed("packet truncated before its name") }
            let length = Int(bytes[offset])
            offset += 1
            guard bytes.endIndex - offset >= length else { throw .malformed("packet name truncated") }
            name = String(decoding: bytes[offset..<(offset + length)], as: UTF8.self)
            offset += length
        }
        let message = kind.hasMessage ? try VICIMessage.decode(bytes[offset...]) : VICIMessage()
        if !kind.hasMessage, offset != bytes.endIndex { throw .malformed("unexpected bytes after a \(kind) packet") }
        return VICIPacket(kind: kind, name: name, message: message)
    }
}
