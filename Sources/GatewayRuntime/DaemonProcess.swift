import IPsecCore
import VICI
import Foundation
import Synchronization

/// A strongSwan daemon (charon, or starter in manual mode) running as our child process.
///
/// Its stdout and stderr are read line by line, handed to `onLine` (the caller prefixes and logs them) and
/// the most recent lines are kept, so that when the daemon dies the operator sees why. The daemon is started
/// with an explicit environment: nothing of ours (the PSK in particular) is inherited by accident.
public final class DaemonProcess: Sendable {
    /// What to start.
    public struct Launch: Sendable, Equatable {
        public var executable: String
        public var arguments: [String]
        public var environment: [String: String]

        public init(executable: String, arguments: [String] = [], environment: [String: String] = [:]) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
        }
    }

    /// Why the daemon could not be started.
    public struct LaunchError: Error, CustomStringConvertible, Sendable {
        public var executable: String
        public var reason: String
        public var description: String {
            "cannot start \(executable): \(reason). Is strongSwan installed (Debian: strongswan-charon, strongswan-starter)?"
        }
    }

    public let launch: Launch
    private let process: Process
    private let recent: Locked<RecentLines>
    private let exited: Locked<Exit>

    private struct Exit {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
        var observers: [@Sendable () -> Void] = []
    }

    /// Starts the daemon. `onLine` is called from a background thread for every line it prints.
    public init(
        _ launch: Launch, keepLines: Int = 40, onLine: @escaping @Sendable (String) -> Void
    ) throws(LaunchError) {
        self.launch = launch
        recent = Locked(RecentLines(capacity: keepLines))
        exited = Locked(Exit())
        process = Process()
        guard FileManager.default.isExecutableFile(atPath: launch.executable) else {
            throw LaunchError(executable: launch.executable, reason: "no executable at this path")
        }
        // The daemon must never outlive us, even when we are SIGKILLed or crash and no shutdown code runs:
        // util-linux's setpriv sets PR_SET_PDEATHSIG (SIGTERM, so charon still removes its SAs) and execs
        // the daemon, which keeps the pid. Without setpriv (not Linux) the daemon starts directly.
        if FileManager.default.isExecutableFile(atPath: Self.setpriv) {
            process.executableURL = URL(fileURLWithPath: Self.setpriv)
            process.arguments = ["--pdeathsig", "TERM", "--", launch.executable] + launch.arguments
        } else {
            process.executableURL = URL(fileURLWithPath: launch.executable)
            process.arguments = launch.arguments
        }
        process.environment = launch.environment
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let splitter = Locked(LineSplitter())
        let recent = self.recent
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            let lines = splitter.withLock { $0.feed(data, final: data.isEmpty) }
            if data.isEmpty { handle.readabilityHandler = nil }
            for line in lines {
                recent.withLock { $0.append(line) }
                onLine(line)
            }
        }
        let exited = self.exited
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { finished in
            let status = finished.terminationStatus
            let (waiters, observers) = exited.withLock { state -> ([CheckedContinuation<Int32, Never>], [@Sendable () -> Void]) in
                state.status = status
                defer { state.waiters = []; state.observers = [] }
                return (state.waiters, state.observers)
            }
            for waiter in waiters { waiter.resume(returning: status) }
            for observer in observers { observer() }
            ended.signal()
        }
        // The kernel sends the parent-death signal when the *thread* that spawned the child exits, and
        // the threads of Swift's and Dispatch's pools come and go. So the daemon is spawned from a thread
        // of its own that lives exactly as long as the daemon does.
        let started = DispatchSemaphore(value: 0)
        let failure = Locked<String?>(nil)
        let process = self.process
        let spawner = Thread {
            do {
                try process.run()
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            started.signal()
            if failure.withLock({ $0 }) == nil { ended.wait() }
        }
        spawner.name = "vnf-ipsec daemon parent"
        spawner.start()
        started.wait()
        if let reason = failure.withLock({ $0 }) {
            throw LaunchError(executable: launch.executable, reason: reason)
        }
    }

    static let setpriv = "/usr/bin/setpriv"

    public var processIdentifier: Int32 { process.processIdentifier }

    /// The exit status once the daemon has ended, nil while it runs.
    public var exitStatus: Int32? { exited.withLock { $0.status } }

    /// The last lines the daemon printed, oldest first.
    public var lastLines: [String] { recent.withLock { $0.lines } }

    /// Calls `body` once when the daemon exits (at once if it has), from whatever thread sees the exit.
    public func whenExited(_ body: @escaping @Sendable () -> Void) {
        let done = exited.withLock { state -> Bool in
            if state.status != nil { return true }
            state.observers.append(body)
            return false
        }
        if done { body() }
    }

    /// Waits until the daemon has exited and returns its status (a signal number for a killed process).
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done = exited.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    /// Asks the daemon to stop with SIGTERM and escalates to SIGKILL after `grace`.
    /// Returns the exit status; never leaves the child behind.
    @discardableResult
    public func stop(grace: Duration = .seconds(3)) async -> Int32 {
        if let status = exitStatus { return status }
        kill(process.processIdentifier, SIGTERM)
        // Whichever comes first: the exit, or the end of the grace period and then SIGKILL, which cannot
        // fail. The waiting child ends either way, so the group does too.
        let pid = process.processIdentifier
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await self.waitForExit() }
            group.addTask {
                guard (try? await Task.sleep(for: grace)) != nil, self.exitStatus == nil else { return }
                kill(pid, SIGKILL)
            }
            await group.next()
            group.cancelAll()
        }
        return await waitForExit()
    }

    /// The same from synchronous code (a cancellation handler): SIGTERM now, SIGKILL after `grace` unless
    /// the daemon ended.
    public func terminate(grace: Duration = .seconds(3)) {
        guard exitStatus == nil else { return }
        let pid = process.processIdentifier
        kill(pid, SIGTERM)
        let (seconds, attoseconds) = grace.components
        let exited = self.exited
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))) {
            if exited.withLock({ $0.status }) == nil { kill(pid, SIGKILL) }
        }
    }
}

/// A bounded buffer of the most recent output lines.
struct RecentLines: Sendable {
    let capacity: Int
    private(set) var lines: [String] = []

    init(capacity: Int) { self.capacity = max(1, capacity) }

    mutating func append(_ line: String) {
        lines.append(line)
        if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
    }
}

/// Splits a byte stream into lines, holding back a partial last line until its newline arrives.
struct LineSplitter: Sendable {
    private var pending = Data()

    mutating func feed(_ data: Data, final: Bool) -> [String] {
        pending.append(data)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending = Data(pending[pending.index(after: newline)...])
        }
        if final, !pending.isEmpty {
            lines.append(String(decoding: pending, as: UTF8.self))
            pending = Data()
        }
        return lines
    }
}

/// A value shared between the threads Foundation calls back on, behind a mutex. A class because the
/// process's handlers must capture it (a `Mutex` itself cannot be captured).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
