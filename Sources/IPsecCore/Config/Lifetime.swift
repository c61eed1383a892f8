/// A duration in strongSwan's syntax: an integer optionally followed by `s`, or a decimal number followed by
/// `m`, `h` or `d` (`3600`, `3600s`, `30m`, `1.5h`, `1d`). Kept in whole seconds.
public struct Lifetime: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var seconds: Int

    public init(seconds: Int) { self.seconds = seconds }

    public init?(_ text: String) {
        guard let last = text.last else { return nil }
        let multipliers: [Character: Double] = ["m": 60, "h": 3600, "d": 86400]
        if let multiplier = multipliers[last] {
            let number = text.dropLast()
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  number.filter({ $0 == "." }).count <= 1, number.first != ".", number.last != ".",
                  let value = Double(number), value > 0, value * multiplier <= Double(Int32.max)
            else { return nil }
            seconds = Int((value * multiplier).rounded())
        } else {
            let number = last == "s" ? text.dropLast() : Substring(text)
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(number),
                  value > 0, value <= Int(Int32.max)
            else { return nil }
            seconds = value
        }
        guard seconds > 0 else { return nil }
    }

    public static func < (lhs: Lifetime, rhs: Lifetime) -> Bool { lhs.seconds < rhs.seconds }

    public static let oneHour = Lifetime(seconds: 3600)
    public static let threeHours = Lifetime(seconds: 10800)
    public static let oneDay = Lifetime(seconds: 86400)

    /// Rendered in seconds: unambiguous in both ipsec.conf and swanctl.conf.
    public var description: String { "\(seconds)s" }

    /// When to start rekeying so the new SA is ready before this one expires: 90 % of the lifetime, like
    /// strongSwan's own margin (9 min of 1 h) but still sensible for the short lifetimes tests use.
    var rekeyTime: Lifetime { Lifetime(seconds: max(1, seconds - max(1, seconds / 10))) }
}
