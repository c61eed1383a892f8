/// A VICI message: an ordered tree of key/values, lists and sections (strongSwan's
/// src/libcharon/plugins/vici/README.md, "Message format"). Encoding and decoding are strict: every length
/// is checked, nesting is bounded, and malformed input is an error, never a crash.
public struct VICIMessage: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case value([UInt8])
        case list([[UInt8]])
        case section(VICIMessage)
    }

    public var entries: [(key: String, value: Value)]

    public init(_ entries: [(key: String, value: Value)] = []) { self.entries = entries }

    public static func == (lhs: VICIMessage, rhs: VICIMessage) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in entries {
            hasher.combine(key)
            hasher.combine(value)
        }
    }

    public subscript(key: String) -> Value? { entries.first { $0.key == key }?.value }

    /// A value as text (VICI values are bytes; charon's are UTF-8).
    public func string(_ key: String) -> String? {
        if case .value(let bytes)? = self[key] { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }

    public func section(_ key: String) -> VICIMessage? {
        if case .section(let section)? = self[key] { return section }
        return nil
    }

    public func list(_ key: String) -> [String] {
        if case .list(let items)? = self[key] { return items.map { String(decoding: $0, as: UTF8.self) } }
        return []
    }

    public mutating func append(_ key: String, _ text: String) { entries.append((key, .value(Array(text.utf8)))) }
    public mutating func append(_ key: String, list: [String]) { entries.append((key, .list(list.map { Array($0.utf8) }))) }
    public mutating func append(_ key: String, section: VICIMessage) { entries.append((key, .section(section))) }

    enum Element: UInt8 {
        case sectionStart = 1, sectionEnd, keyValue, listStart, listItem, listEnd
    }

    static let maximumDepth = 32

    /// The wire encoding. Throws when a name exceeds 255 bytes or a value 65535 bytes (the format's limits).
    public func encoded() throws(VICIError) -> [UInt8] {
        var out: [UInt8] = []
        try encode(into: &out)
        return out
    }

    private func encode(into out: inout [UInt8]) throws(VICIError) {
        for (key, value) in entries {
            switch value {
            case .value(let bytes):
                out.append(Element.keyValue.rawValue)
                try Self.appendName(key, to: &out)
                try Self.appendValue(bytes, to: &out)
            case .list(let items):
                out.append(Element.listStart.rawValue)
                try Self.appendName(key, to: &out)
                for item in items {
                    out.append(Element.listItem.rawValue)
                    try Self.appendValue(item, to: &out)
                }
                out.append(Element.listEnd.rawValue)
            case .section(let section):
                out.append(Element.sectionStart.rawValue)
                try Self.appendName(key, to: &out)
                try section.encode(into: &out)
                out.append(Element.sectionEnd.rawValue)
            }
        }
    }

    private static func appendName(_ name: String, to out: inout [UInt8]) throws(VICIError) {
        let bytes = Array(name.utf8)
        guard bytes.count <= 255 else { throw .malformed("name longer than 255 bytes: \(name.prefix(40))…") }
        out.append(UInt8(bytes.count))
        out += bytes
    }

    private static func appendValue(_ bytes: [UInt8], to out: inout [UInt8]) throws(VICIError) {
        guard bytes.count <= 0xFFFF else { throw .malformed("value longer than 65535 bytes") }
        out += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)]
        out += bytes
    }

    /// Decodes a message body. - Throws: `.malformed` for truncation, unknown element types, unbalanced
    /// sections or lists, or nesting deeper than 32.
    public static func decode(_ bytes: ArraySlice<UInt8>) throws(VICIError) -> VICIMessage {
        var reader = Reader(bytes: bytes)
        let message = try reader.message(depth: 0)
        guard reader.atEnd else { throw .malformed("section end without a section start") }
        return message
    }

    struct Reader {
        let bytes: ArraySlice<UInt8>
        var offset: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            offset = bytes.startIndex
        }

        var atEnd: Bool { offset >= bytes.endIndex }

        mutating func byte() throws(VICIError) -> UInt8 {
            guard offset < bytes.endIndex else { throw .malformed("message truncated") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func take(_ count: Int) throws(VICIError) -> [UInt8] {
            guard bytes.endIndex - offset >= count else { throw .malformed("message truncated: \(count) bytes announced, \(bytes.endIndex - offset) left") }
            defer { offset += count }
            return Array(bytes[offset..<(offset + count)])
        }

        /// Straight from the input: no array in between (names are short, so most need no allocation).
        mutating func name() throws(VICIError) -> String {
            let count = Int(try byte())
            guard bytes.endIndex - offset >= count else { throw .malformed("message truncated: \(count) bytes announced, \(bytes.endIndex - offset) left") }
            defer { offset += count }
            return String(decoding: bytes[offset..<(offset + count)], as: UTF8.self)
        }

        mutating func value() throws(VICIError) -> [UInt8] {
            let length = Int(try byte()) << 8 | Int(try byte())
            return try take(length)
        }

        /// Reads elements until a section end (returned to the caller) or the end of input.
        mutating func message(depth: Int) throws(VICIError) -> VICIMessage {
            guard depth <= VICIMessage.maximumDepth else { throw .malformed("sections nested deeper than \(VICIMessage.maximumDepth)") }
            var message = VICIMessage()
            while !atEnd {
                let type = try byte()
                switch Element(rawValue: type) {
                case .keyValue:
                    let key = try name()
                    message.entries.append((key, .value(try value())))
                case .sectionStart:
                    let key = try name()
                    let section = try self.message(depth: depth + 1)
                    guard try byte() == Element.sectionEnd.rawValue else { throw .malformed("section \(key) not closed") }
                    message.entries.append((key, .section(section)))
                case .sectionEnd:
                    guard depth > 0 else { throw .malformed("section end without a section start") }
                    offset -= 1
                    return message
                case .listStart:
                    let key = try name()
                    var items: [[UInt8]] = []
                    while true {
                        let element = try byte()
                        if element == Element.listEnd.rawValue { break }
                        guard element == Element.listItem.rawValue else { throw .malformed("element \(element) inside list \(key)") }
                        items.append(try value())
                    }
                    message.entries.append((key, .list(items)))
                case .listItem, .listEnd:
                    throw .malformed("list element outside a list")
                case nil:
                    throw .malformed("unknown element type \(type)")
                }
            }
            guard depth == 0 else { throw .malformed("message truncated inside a section") }
            return message
        }
    }
}
