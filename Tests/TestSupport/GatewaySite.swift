import Foundation

/// `vnf-ipsec run` as a container would run it: in a network namespace with its own mount namespace
/// (a private /run), the configuration in its environment. For tests on the host kernel.
public final class GatewaySite: @unchecked Sendable {
    public let namespace: NetworkNamespace
    public let logPath: String
    private let process: Process

    /// The binary `swift build` made, next to the test bundle's package.
    public static let binary: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/vnf-ipsec").path
    }()

    public init(in namespace: NetworkNamespace, environment: [String: String], arguments: [String] = ["run"]) throws {
        self.namespace = namespace
        logPath = NSTemporaryDirectory() + "site-\(namespace.name).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        // `exec` keeps the pid: the process we signal is vnf-ipsec itself, as PID 1 of a container would be.
        process.arguments = ["netns", "exec", namespace.name, "unshare", "-m", "sh", "-c",
                             "mount -t tmpfs tmpfs /run && exec \(Self.binary) " + arguments.joined(separator: " ")]
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"].merging(environment) { $1 }
        let log = FileHandle(forWritingAtPath: logPath)!
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Runs a `vnf-ipsec` subcommand inside this site's network and mount namespaces.
    public func vnfIPsec(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(["nsenter", "-t", String(pid), "-m", "-n", Self.binary] + arguments, timeout: 15)
    }

    /// Polls `condition` every 100 ms for at most `seconds`.
    public static func wait(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }

    /// Sends SIGTERM and waits; returns the exit status and how long it took.
    public func terminate(timeout: Double = 10) -> (status: Int32?, seconds: Double) {
        let start = Date()
        kill(pid, SIGTERM)
        _ = Self.wait(seconds: timeout) { !process.isRunning }
        let elapsed = Date().timeIntervalSince(start)
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
            return (nil, elapsed)
        }
        return (process.terminationStatus, elapsed)
    }

    /// Children of this site's process still alive (charon must not outlive `run`).
    public func survivingCharons() -> [String] {
        let out = (try? Shell.run(["ip", "netns", "pids", namespace.name]).stdout) ?? ""
        return out.split(separator: "\n").compactMap { pid in
            let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return comm.map { "\(pid) \($0)" }
        }
    }
}
