import Foundation

/// Runs a program to completion and captures its output: for test set-up and outside witnesses
/// (`ip -j`, `swanctl`), never for the code under test.
public struct Shell {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var output: String { stdout + stderr }
    }

    @discardableResult
    public static func run(_ argv: [String], environment: [String: String]? = nil, input: String? = nil, timeout: Double = 30) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        process.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        if let stdin, let input {
            // Written from another thread: a large input must not wait for a reader that waits for us.
            DispatchQueue.global().async {
                try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
                try? stdin.fileHandleForWriting.close()
            }
        }
        // Read while the process runs so a full pipe cannot block it.
        let outData = Locked(Data()), errData = Locked(Data())
        let group = DispatchGroup()
        for (pipe, sink) in [(out, outData), (err, errData)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                sink.withLock { $0 = data }
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(-process.processIdentifier, SIGKILL)
            process.terminate()
        }
        process.waitUntilExit()
        _ = group.wait(timeout: .now() + 5)
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outData.withLock { $0 }, as: UTF8.self),
                      stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self))
    }

    /// Runs and throws with the output when the command fails.
    @discardableResult
    public static func check(_ argv: [String], environment: [String: String]? = nil, timeout: Double = 30) throws -> String {
        let result = try run(argv, environment: environment, timeout: timeout)
        guard result.status == 0 else { throw Failure(command: argv.joined(separator: " "), result: result) }
        return result.stdout
    }

    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var result: Result
        public var description: String { "`\(command)` exited \(result.status): \(result.output)" }
    }
}

public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    public init(_ value: Value) { self.value = value }
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Whether tests that change kernel state may run: root, with `ip` available.
public enum Privileges {
    public static let isRoot = getuid() == 0
    public static let canUseNamespaces = isRoot && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
    public static let hasCharon = FileManager.default.isExecutableFile(atPath: "/usr/lib/ipsec/charon")
        && FileManager.default.isExecutableFile(atPath: "/usr/sbin/swanctl")
}
