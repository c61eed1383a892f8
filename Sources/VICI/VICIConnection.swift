import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A connection to charon's VICI socket. Requests are synchronous and bounded by `timeout`; one request at a
/// time per connection (use one connection per task, or ``VICIClient``).
public final class VICIConnection: @unchecked Sendable {  // every exchange holds `exchange`; the rest is immutable
    public static let defaultSocket = "/var/run/charon.vici"
    public static let maximumPacket = 512 * 1024

    public let socketPath: String
    private let fd: Int32
    /// One exchange at a time: a request and its answers must not interleave with another caller's.
    private let exchange = Mutex(())
    /// The bound of one whole request or stream (not of each receive: a peer trickling one byte at a
    /// time must not hold a caller forever). `.zero`: no bound.
    private var timeout: Duration = .zero

    /// Connects. - Throws: `.unavailable` when nobody listens at `socketPath`.
    public init(socketPath: String = VICIConnection.defaultSocket, timeout: Duration = .seconds(10)) throws(VICIError) {
        self.socketPath = socketPath
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
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw .unavailable(socket: socketPath, errno: Errno(rawValue: code))
        }
        self.fd = fd
        setTimeout(timeout)
    }

    deinit { close(fd) }

    /// The one place a system call interrupted by a signal is repeated (swift-system's own calls do the same).
    private static func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> T {
        var result: T
        repeat { result = call() } while result < 0 && errno == EINTR
        return result
    }

    /// Ends whatever is waiting on this connection at once (its read fails as "charon closed"), from any
    /// thread: how a blocked event listener is stopped without waiting for its timeout.
    public func interrupt() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Bounds every later read and write; `.zero` waits forever (event listeners).
    public func setTimeout(_ timeout: Duration) {
        self.timeout = timeout
        setSocketTimeout(timeout)
    }

    private func setSocketTimeout(_ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        // A positive bound below a microsecond would read as zero, which means "wait forever".
        if timeout > .zero, value.tv_sec == 0, value.tv_usec == 0 { value.tv_usec = 1 }
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ packet: VICIPacket) throws(VICIError) {
        let bytes = try packet.framed()
        var sent = 0
        while sent < bytes.count {
            let n = Self.retryingInterrupts { bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            guard n > 0 else { throw .io("write to \(socketPath): \(Errno(rawValue: errno))") }
            sent += n
        }
    }

    /// The next packet, bounded by the timeout per receive (event listeners wake up periodically). For a
    /// connection that only listens to events: it does not take part in the one-exchange-at-a-time rule.
    public func receive() throws(VICIError) -> VICIPacket {
        try receive(until: nil)
    }

    private func receive(until deadline: ContinuousClock.Instant?) throws(VICIError) -> VICIPacket {
        let header = try read(4, until: deadline)
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length > 0, length <= Self.maximumPacket else { throw .malformed("packet length \(length)") }
        return try VICIPacket.decode(try read(length, until: deadline)[...])
    }

    private var requestDeadline: ContinuousClock.Instant? {
        timeout == .zero ? nil : ContinuousClock.now + timeout
    }

    private func read(_ count: Int, until deadline: ContinuousClock.Instant?) throws(VICIError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var have = 0
        defer { if deadline != nil { setSocketTimeout(timeout) } }
        while have < count {
            if let deadline {
                let remaining = deadline - ContinuousClock.now
                guard remaining > .zero else { throw .io("charon did not answer in time on \(socketPath)") }
                setSocketTimeout(remaining)
            }
            let n = Self.retryingInterrupts { buffer[have...].withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) } }
            if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw .io("charon did not answer in time on \(socketPath)") }
            guard n > 0 else { throw .io("charon closed \(socketPath)") }
            have += n
        }
        return buffer
    }

    /// Sends a command and returns charon's response message.
    public func request(_ command: String, _ message: VICIMessage = VICIMessage()) throws(VICIError) -> VICIMessage {
        try exchange.withLock { _ throws(VICIError) in
            let deadline = requestDeadline
            try send(VICIPacket(kind: .commandRequest, name: command, message: message))
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
            let deadline = requestDeadline
            try register(event, until: deadline)
            try send(VICIPacket(kind: .commandRequest, name: command, message: message))
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
        try exchange.withLock { _ throws(VICIError) in try register(event, until: requestDeadline) }
    }

    public func unregister(_ event: String) throws(VICIError) {
        try exchange.withLock { _ throws(VICIError) in try unregister(event, until: requestDeadline) }
    }

    private func register(_ event: String, until deadline: ContinuousClock.Instant?) throws(VICIError) {
        try send(VICIPacket(kind: .eventRegister, name: event))
        try confirm(event, until: deadline)
    }

    private func unregister(_ event: String, until deadline: ContinuousClock.Instant?) throws(VICIError) {
        try send(VICIPacket(kind: .eventUnregister, name: event))
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
