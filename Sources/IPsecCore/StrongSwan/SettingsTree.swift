/// strongSwan's settings tree: ordered sections of key/value pairs, as swanctl.conf and strongswan.conf
/// write them and as VICI messages carry them. Rendering keeps insertion order, so output is deterministic.
public struct SettingsTree: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case text(String)
        case list([String])
        case section(SettingsTree)
        /// A value that must never be printed unless the caller asks for secrets.
        case secret(String)
    }

    public private(set) var entries: [(key: String, value: Value)] = []

    public init() {}

    public init(_ build: (inout SettingsTree) -> Void) {
        build(&self)
    }

    public subscript(key: String) -> Value? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    public mutating func set(_ key: String, _ text: String) { self[key] = .text(text) }
    public mutating func set(_ key: String, list: [String]) { self[key] = .list(list) }
    public mutating func set(_ key: String, section: SettingsTree) { self[key] = .section(section) }

    public static func == (lhs: SettingsTree, rhs: SettingsTree) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in entries {
            hasher.combine(key)
            hasher.combine(value)
        }
    }

    /// The tree in strongSwan's config syntax, four spaces per level. Secrets are replaced by a
    /// `<redacted>` marker unless `showSecrets` is set.
    public func rendered(showSecrets: Bool = false, indent: Int = 0) -> String {
        var out = ""
        render(into: &out, showSecrets: showSecrets, indent: indent)
        return out
    }

    /// Appends to one string: a file of a thousand tunnels is built without intermediate copies.
    func render(into out: inout String, showSecrets: Bool, indent: Int) {
        let pad = String(repeating: " ", count: indent * 4)
        for (key, value) in entries {
            out += pad
            out += key
            switch value {
            case .text(let text):
                out += " = "
                out += ConfigSyntax.value(text)
                out += "\n"
            case .list(let items):
                // One value: strongSwan splits it on commas after parsing (items never hold commas).
                out += " = "
                out += ConfigSyntax.value(items.joined(separator: ","))
                out += "\n"
            case .secret(let literal):
                out += " = "
                out += showSecrets ? literal : "<redacted>"
                out += "\n"
            case .section(let child):
                out += " {\n"
                child.render(into: &out, showSecrets: showSecrets, indent: indent + 1)
                out += pad
                out += "}\n"
            }
        }
    }

}

