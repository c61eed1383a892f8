import SystemPackage
/// The kernel's rule for interface names (net/core/dev.c, `dev_valid_name`): 1 to 15 bytes (IFNAMSIZ
/// less the terminator), not `.` or `..`, and no `/`, `:`, whitespace or NUL. Names are checked before they
/// reach a request or a /proc/sys path, so no caller input can overflow a buffer or walk out of
/// /proc/sys/net/.../conf/.
public enum InterfaceName {
    public static let maximumBytes = 15

    /// Nil when `name` is valid, else why not.
    public static func problem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.isEmpty { return "an interface name cannot be empty" }
        if bytes.count > maximumBytes { return "an interface name has at most \(maximumBytes) bytes, not \(bytes.count)" }
        if name == "." || name == ".." { return "an interface name cannot be . or .." }
        if bytes.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 == 0 || $0 == 0x20 || (0x09...0x0D).contains($0) }) {
            return "an interface name cannot contain /, :, whitespace or NUL"
        }
        return nil
    }

    /// Throws `.invalidArgument` for `operation` when `name` breaks the kernel's rule.
    static func validate(_ name: String, operation: @autoclosure () -> String) throws(NetlinkError) {
        if let problem = problem(name) {
            throw NetlinkError(kind: .invalidArgument, operation: operation(), message: problem)
        }
    }
}
