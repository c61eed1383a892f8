import Foundation
import Logging

/// `LOG_FORMAT=json`: every line `run` writes, and every charon line it relays, as one JSON object on one
/// line: `time`, `level`, `source` (`vnf-ipsec` or `charon`), `tunnel` where known, `message`, and for our
/// own lines their metadata. What the text format never contains (a key) the JSON cannot either: the
/// message is the same text.
public struct JSONLogLine: Encodable, Sendable {
    public var time: String
    public var level: String
    public var source: String
    public var tunnel: String?
    /// charon's subsystem (`IKE`, `CFG`, `KNL`, …).
    public var subsystem: String?
    public var message: String
    public var metadata: [String: String]?

    public init(time: String, level: String, source: String, tunnel: String?, subsystem: String?, message: String, metadata: [String: String]? = nil) {
        self.time = time
        self.level = level
        self.source = source
        self.tunnel = tunnel
        self.subsystem = subsystem
        self.message = message
        self.metadata = metadata
    }

    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? #"{"message":"unencodable log line"}"#
    }

    /// A line of vnf-ipsec's own, stamped now: what the log handler writes, and what commands write about
    /// their configuration or their work outside a logger (`init`, a refused configuration).
    public static func own(level: String, tunnel: String? = nil, message: String, metadata: [String: String]? = nil) -> JSONLogLine {
        JSONLogLine(time: now(), level: level, source: "vnf-ipsec", tunnel: tunnel, subsystem: nil, message: message, metadata: metadata)
    }

    static func now() -> String { Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)) }

    /// A charon line as its `filelog` writes it with `time_format = %F %T` and `ike_name = yes`:
    /// `2026-11-26 10:00:00 06[IKE] <branch-a|3> message`. Anything else is kept whole as the message.
    public static func charon(_ line: String) -> JSONLogLine {
        var rest = Substring(line)
        // The date and time charon printed: replaced by ours, in ISO 8601 like every other line.
        if rest.count > 20, rest.dropFirst(4).first == "-", rest.dropFirst(10).first == " " { rest = rest.dropFirst(20) }
        var subsystem: String?
        if let open = rest.firstIndex(of: "["), let close = rest.firstIndex(of: "]"), open < close,
           rest[..<open].allSatisfy(\.isNumber), rest.distance(from: open, to: close) <= 4 {
            subsystem = String(rest[rest.index(after: open)..<close])
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        var tunnel: String?
        // `<name|id>` once the IKE_SA has its configuration; `<id>` before (a responder's first lines): no name.
        if rest.first == "<", let close = rest.firstIndex(of: ">") {
            let inside = rest[rest.index(after: rest.startIndex)..<close]
            if let bar = inside.firstIndex(of: "|"), bar > inside.startIndex { tunnel = String(inside[..<bar]) }
            rest = rest[rest.index(after: close)...].drop { $0 == " " }
        }
        return JSONLogLine(time: now(), level: "info", source: "charon", tunnel: tunnel, subsystem: subsystem, message: String(rest))
    }
}

/// swift-log's handler for `LOG_FORMAT=json`: one `JSONLogLine` per message on stdout.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let write: @Sendable (String) -> Void

    public init(level: Logger.Level, write: @escaping @Sendable (String) -> Void) {
        logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let tunnel = all.removeValue(forKey: "connection").map { "\($0)" }
        let line = JSONLogLine.own(level: event.level.rawValue, tunnel: tunnel, message: "\(event.message)",
                                   metadata: all.isEmpty ? nil : all.mapValues { "\($0)" })
        write(line.text)
    }
}
