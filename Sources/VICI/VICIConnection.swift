import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A connection to charon's VICI socket. Requests are synchronous and bounded by `timeout`; one request at a
/// time per connection (use one connection per task, or ``VICIClient``).
///
/// The socket stays blocking, but every read and write is a non-blocking call (`MSG_DONTWAIT`), and waiting is
/// `poll` against the deadline: a deadline costs no system call of its own (it used to be moved onto the socket
/// with `setsockopt` before every read), and one `recv` takes as many packets as charon has written (a
/// `list-sas` answer is one packet per SA) into a buffer they are cut from.
public final class VICIConnection: @unchecked Sendable {  // mutable state sits in the two mutexes
    public static let defaultSocket = "/var/run/charon.vici"
    public static let maximumPacket = 512 * 1024

    public let socketPath: String
    private let fd: Int32
    /// One exchange at a time: a request and its answers must not interleave with another caller's.
    private let exchange = Mutex(())
    /// Bytes received and not yet returned as packets; held for one packet at a time (inside `exchange` for a
    /// request, alone for an event listener's ``receive()``).
    private let inbox = Mutex(ReceiveBuffer())
    /// The bound of one whole request or stream (not of each receive: a peer trickling one byte at a
    /// time must not hold a caller forever). `.zero`: no bound.
    private let timeout: Mutex<Duration>

    /// Connects. - Throws: `.unavailable` when nobody listens at `socketPath`.
    public init(socketPath: String = VICIConnection.defaultSocket, timeout: Duration = .seconds(10)) throws(VICIError) {
        self.socketPath = socketPath
        self.timeout = Mutex(timeout)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .unavailable(socket: socketPath, errno: Errno(rawValue: errno)) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw .unavailable(socket: socketPath, errno: .fileNameTooLong)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        let connected = Self.retryingInterrupts {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
        if case .failure(let code) = connected {
            close(fd)
            throw .unavailable(socket: socketPath, errno: code)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The one place a system call interrupted by a signal is repeated (swift-system's own calls do the same);
    /// `call` runs again whole, so a wait recomputes what is left of its deadline. The error is read at once,
    /// before anything else can overwrite `errno`.
    private static func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> Result<T, Errno> {
        while true {
            let result = call()
            if result >= 0 { return .success(result) }
            let code = Errno(rawValue: errno)
            if code != .interrupted { return .failure(code) }
        }
    }

    /// Ends whatever is waiting on this connection at once (its read fails as "charon closed"), from any
    /// thread: how a blocked event listener is stopped without waiting for its timeout.
    public func interrupt() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Bounds every later request, stream, send and ``receive()``; `.zero` waits forever (event listeners).
    /// Costs no system call: the bound is applied when a wait starts.
    public func setTimeout(_ timeout: Duration) {
        self.timeout.withLock { $0 = timeout }
    }

    /// When what starts now must be done; `nil`: never.
    private var deadlineFromNow: ContinuousClock.Instant? {
        let timeout = timeout.withLock { $0 }
        return timeout == .zero ? nil : ContinuousClock.now + timeout
    }

    private var timedOut: VICIError { .io("charon did not answer in time on \(socketPath)") }

    /// Waits until the socket is ready for `events` (`POLLIN`, `POLLOUT`) or `deadline` passes.
    /// - Throws: `.io` "… in time" when the deadline passes first.
    private func wait(for events: Int32, until deadline: ContinuousClock.Instant?) throws(VICIError) {
        let ready = Self.retryingInterrupts {
            var milliseconds: Int32 = -1  // no deadline: wait until ready (or interrupted by `interrupt()`)
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return Int32(0) }
                // Rounded up: a wait must not end before its deadline and report a time-out early.
                let (seconds, attoseconds) = left.components
                milliseconds = Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            }
            var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
            return poll(&descriptor, 1, milliseconds)
        }
        switch ready {
        case .success(0): throw timedOut
        case .success: return
        case .failure(let code): throw .io("waiting for \(socketPath): \(code)")
        }
    }

    public func send(_ packet: VICIPacket) throws(VICIError) {
        try send(packet, until: deadlineFromNow)
    }

    private func send(_ packet: VICIPacket, until deadline: ContinuousClock.Instant?) throws(VICIError) {
        let bytes = try packet.framed()
        var sent = 0
        while sent < bytes.count {
            let result = Self.retryingInterrupts {
                bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            }
            switch result {
            case .success(let n): sent += n
            case .failure(.wouldBlock), .failure(.resourceTemporarilyUnavailable): try wait(for: Int32(POLLOUT), until: deadline)
            case .failure(let code): throw .io("write to \(socketPath): \(code)")
            }
        }
    }

    /// The next packet, within the timeout (event listeners wake up periodically: a time-out is an `.io` error
    /// saying "in time"; bytes of a packet that had not all arrived are kept for the next call). For a
    /// connection that only listens to events: it does not take part in the one-exchange-at-a-time rule.
    public func receive() throws(VICIError) -> VICIPacket {
        try receive(until: deadlineFromNow)
    }

    private func receive(until deadline: ContinuousClock.Instant?) throws(VICIError) -> VICIPacket {
        try inbox.withLock { inbox throws(VICIError) -> VICIPacket in
            while true {
                var needed = 4
                if inbox.count >= 4 {
                    let length = inbox.packetLength
                    guard length > 0, length <= Self.maximumPacket else { throw .malformed("packet length \(length)") }
                    if let packet = try inbox.takePacket(length) { return packet }
                    needed += length
                }
                inbox.makeRoom(for: needed)
                try fill(&inbox, until: deadline)
            }
        }
    }

    /// Receives what charon has written so far (at least one byte) into `inbox`'s free space.
    private func fill(_ inbox: inout ReceiveBuffer, until deadline: ContinuousClock.Instant?) throws(VICIError) {
        while true {
            let result = Self.retryingInterrupts {
                inbox.receive { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            }
            switch result {
            case .success(0): throw .io("charon closed \(socketPath)")
            case .success: return
            case .failure(.wouldBlock), .failure(.resourceTemporarilyUnavailable): try wait(for: Int32(POLLIN), until: deadline)
            case .failure(let code): throw .io("charon closed \(socketPath) (\(code))")
            }
        }
    }

    /// Sends a command and returns charon's response message.
    public func request(_ command: String, _ message: VICIMessage = VICIMessage()) throws(VICIError) -> VICIMessage {
        try exchange.withLock { _ throws(VICIError) in
            let deadline = deadlineFromNow
            try send(VICIPacket(kind: .commandRequest, name: command, message: message), until: deadline)
            while true {
                let answer = try receive(until: deadline)
                switch answer.kind {
                case .commandResponse: return answer.message
                case .commandUnknown: throw .unknownCommand(command)
                case .event: continue  // a late event of an earlier stream
                default: throw .malformed("unexpected \(answer.kind) answering \(command)")
                }
            }
        }
    }

    /// A streamed command (`list-sas` streams `list-sa` events): registers for `event`, sends the command,
    /// collects every event until the response, then unregisters.
    public func stream(_ command: String, event: String, _ message: VICIMessage = VICIMessage()) throws(VICIError) -> (events: [VICIMessage], response: VICIMessage) {
        try exchange.withLock { _ throws(VICIError) in
            let deadline = deadlineFromNow
            try register(event, until: deadline)
            try send(VICIPacket(kind: .commandRequest, name: command, message: message), until: deadline)
            var events: [VICIMessage] = []
            var response: VICIMessage?
            while response == nil {
                let answer = try receive(until: deadline)
                switch answer.kind {
                case .event where answer.name == event: events.append(answer.message)
                case .commandResponse: response = answer.message
                case .commandUnknown: throw .unknownCommand(command)
                default: continue
                }
            }
            try unregister(event, until: deadline)
            return (events, response!)
        }
    }

    public func register(_ event: String) throws(VICIError) {
        try exchange.withLock { _ throws(VICIError) in try register(event, until: deadlineFromNow) }
    }

    public func unregister(_ event: String) throws(VICIError) {
        try exchange.withLock { _ throws(VICIError) in try unregister(event, until: deadlineFromNow) }
    }

    private func register(_ event: String, until deadline: ContinuousClock.Instant?) throws(VICIError) {
        try send(VICIPacket(kind: .eventRegister, name: event), until: deadline)
        try confirm(event, until: deadline)
    }

    private func unregister(_ event: String, until deadline: ContinuousClock.Instant?) throws(VICIError) {
        try send(VICIPacket(kind: .eventUnregister, name: event), until: deadline)
        try confirm(event, until: deadline)
    }

    private func confirm(_ event: String, until deadline: ContinuousClock.Instant?) throws(VICIError) {
        while true {
            let answer = try receive(until: deadline)
            switch answer.kind {
            case .eventConfirm: return
            case .eventUnknown: throw .unknownCommand(event)
            case .event: continue
            default: throw .malformed("unexpected \(answer.kind) confirming \(event)")
            }
        }
    }
}
