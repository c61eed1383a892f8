import Foundation

/// A real charon for tests, inside a network namespace and its own mount namespace (charon's pid file path
/// is compiled in, so two charons need two /run), with its VICI socket in a folder the test can reach.
public final class CharonInstance: @unchecked Sendable {
    public let folder: String
    public let viciSocket: String
    public let namespace: NetworkNamespace
    private let process: Process

    /// Starts charon with `strongswanConf` (a vici socket override is appended) and waits for its socket.
    public init(in namespace: NetworkNamespace, strongswanConf: String, label: String) throws {
        self.namespace = namespace
        folder = NSTemporaryDirectory() + "charon-\(namespace.name)-\(label)"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        viciSocket = folder + "/charon.vici"
        let conf = strongswanConf + "\ncharon {\n    plugins {\n        vici {\n            socket = unix://\(viciSocket)\n        }\n    }\n}\n"
        try conf.write(toFile: folder + "/strongswan.conf", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace.name, "sh", "-c",
                             "mount -t tmpfs tmpfs /run && exec env STRONGSWAN_CONF=\(folder)/strongswan.conf /usr/lib/ipsec/charon"]
        FileManager.default.createFile(atPath: folder + "/charon.log", contents: nil)
        let log = FileHandle(forWritingAtPath: folder + "/charon.log")!
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: viciSocket) {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw Failure(description: "charon did not open \(viciSocket): \(self.log)")
            }
            usleep(20_000)
        }
    }

    public var log: String { (try? String(contentsOfFile: folder + "/charon.log", encoding: .utf8)) ?? "" }

    /// swanctl against this charon.
    @discardableResult
    public func swanctl(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(["/usr/sbin/swanctl"] + arguments + ["--uri", "unix://\(viciSocket)"])
    }

    public func stop() {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    public struct Failure: Error, CustomStringConvertible { public var description: String }
}
