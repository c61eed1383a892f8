/// The Prometheus text exposition format (version 0.0.4), written straight into one byte buffer (sized
/// once by the caller's estimate). Guarantees, for any label value:
/// - every sample line is `name{label="value",…} number` or `name number`, label values escaped as the
///   format says (backslash, double quote, line feed), so no value can end a label or a line;
/// - a family's `# HELP` and `# TYPE` come once, just before its first sample, and only if it has one:
///   a family without samples leaves no trace (as with swift-prometheus, whose output this reproduces:
///   gauges as Swift prints a `Double`, `1.0`; counters as integers);
/// - the caller writes each family's samples together (`family` then its `sample`s), which the format
///   requires; names are the callers' own constants, not checked here.
struct PrometheusText {
    enum Kind: String { case gauge, counter }

    private(set) var bytes: [UInt8] = []
    private var pending: (name: String, kind: Kind, help: String)?

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Starts a family: its header is written with its first sample.
    mutating func family(_ name: String, _ kind: Kind, help: String) {
        pending = (name, kind, help)
    }

    /// A label set rendered once (`ike_name="a",ike_id="3"`) and shared by the samples that carry it.
    struct Labels {
        fileprivate(set) var rendered: [UInt8] = []

        init() {}

        init(_ pairs: KeyValuePairs<String, String>) {
            for (name, value) in pairs { append(name, value) }
        }

        mutating func append(_ name: String, _ value: String) {
            if !rendered.isEmpty { rendered.append(UInt8(ascii: ",")) }
            rendered.append(contentsOf: name.utf8)
            rendered.append(contentsOf: #"=""#.utf8)
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): rendered.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\""): rendered.append(contentsOf: #"\""#.utf8)
                case UInt8(ascii: "\n"): rendered.append(contentsOf: #"\n"#.utf8)
                default: rendered.append(byte)
                }
            }
            rendered.append(UInt8(ascii: "\""))
        }

        func appending(_ name: String, _ value: String) -> Labels {
            var copy = self
            copy.append(name, value)
            return copy
        }
    }

    /// A gauge's sample without labels.
    mutating func sample(_ name: String, _ value: Double) { sample(name, Labels(), value) }

    /// A gauge's sample with labels. Whole numbers are written without going through `Double`'s
    /// description (the common case: counters of bytes, seconds, flags), with the same text.
    mutating func sample(_ name: String, _ labels: Labels, _ value: Double) {
        start(name, labels)
        if value.rounded(.towardZero) == value, abs(value) < 9_007_199_254_740_992, value != 0 || value.sign == .plus {
            appendInteger(Int64(value))
            bytes.append(contentsOf: ".0\n".utf8)
        } else {
            bytes.append(contentsOf: value.description.utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
    }

    /// A counter's sample, an integer.
    mutating func sample(_ name: String, _ labels: Labels, count: Int64) {
        start(name, labels)
        appendInteger(count)
        bytes.append(UInt8(ascii: "\n"))
    }

    private mutating func start(_ name: String, _ labels: Labels) {
        if let header = pending {
            bytes.append(contentsOf: "# HELP ".utf8)
            bytes.append(contentsOf: header.name.utf8)
            bytes.append(UInt8(ascii: " "))
            // HELP escapes backslash and line feed (the format's rule for docstrings).
            for byte in header.help.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                case UInt8(ascii: "\n"): bytes.append(contentsOf: #"\n"#.utf8)
                default: bytes.append(byte)
                }
            }
            bytes.append(contentsOf: "\n# TYPE ".utf8)
            bytes.append(contentsOf: header.name.utf8)
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: header.kind.rawValue.utf8)
            bytes.append(UInt8(ascii: "\n"))
            pending = nil
        }
        bytes.append(contentsOf: name.utf8)
        if !labels.rendered.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            bytes.append(contentsOf: labels.rendered)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
    }

    /// Decimal digits without a `String` in between.
    private mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes: room for 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[31 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(32 - count)...])
        }
    }
}
