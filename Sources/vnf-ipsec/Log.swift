import Foundation
import IPsecCore
import Logging
import Observability

enum Log {
    /// Our own log lines go to stdout (the container log), like charon's, at info or debug level: text by
    /// default, one JSON object a line with LOG_FORMAT=json.
    static func bootstrap(debug: Bool, format: GatewayConfig.LogFormat) -> Logger {
        let level: Logger.Level = debug ? .debug : .info
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = level
                return handler
            case .json:
                return JSONLogHandler(level: level, write: writeLine)
            }
        }
        return Logger(label: "vnf-ipsec")
    }

    /// Where charon's relayed lines go, in the same format.
    static func charonOutput(_ format: GatewayConfig.LogFormat) -> @Sendable (String) -> Void {
        switch format {
        case .text: { writeLine("charon: " + $0) }
        case .json: { writeLine(JSONLogLine.charon($0).text) }
        }
    }

    /// One line to stdout in one write. With SIGPIPE ignored a vanished reader is an error to drop.
    static let writeLine: @Sendable (String) -> Void = { line in
        try? FileHandle.standardOutput.write(contentsOf: Data((line + "\n").utf8))
    }
}

func printError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
}
