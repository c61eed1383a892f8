import Foundation
import Logging

enum Log {
    /// Our own log lines go to stdout (the container log), like charon's, at info or debug level.
    static func bootstrap(debug: Bool) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = debug ? .debug : .info
            return handler
        }
        return Logger(label: "vnf-ipsec")
    }
}

func printError(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Data((text + "\n").utf8))
}
