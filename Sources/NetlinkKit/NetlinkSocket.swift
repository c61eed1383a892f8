import SystemPackage
import CLibmnl
#if canImport(Glibc)
import Glibc
#endif

/// An rtnetlink socket (libmnl's `mnl_socket`), bound to the network namespace it was opened in.
/// It numbers requests, asks for acknowledgements with extended-ack messages, and collects multipart dumps.
/// Not safe for concurrent use: one request at a time (`NetlinkHandle` serialises).
final class NetlinkSocket: @unchecked Sendable {  // used only under NetlinkHandle's mutex
    private let socket: OpaquePointer
    private let portID: UInt32
    private var nextSequence: UInt32
    private var receiveBuffer: [UInt8]

    /// - Parameter netlinkProtocol: NETLINK_ROUTE (links, addresses, routes) or NETLINK_XFRM (IPsec state).
    init(protocol netlinkProtocol: Int32 = NETLINK_ROUTE) throws(NetlinkError) {
        guard let socket = mnl_socket_open(netlinkProtocol) else {
            throw NetlinkError(kind: .system, operation: "open rtnetlink socket", errno: Errno(rawValue: Glibc.errno))
        }
        var on: Int32 = 1
        // Extended acks carry the kernel's reason ("Unknown device type"); capped acks keep replies small.
        _ = mnl_socket_setsockopt(socket, NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = mnl_socket_setsockopt(socket, NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        var size: Int32 = 1 << 20
        setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            let error = Glibc.errno
            mnl_socket_close(socket)
            throw NetlinkError(kind: .system, operation: "bind rtnetlink socket", errno: Errno(rawValue: error))
        }
        self.socket = socket
        portID = mnl_socket_get_portid(socket)
        nextSequence = UInt32(truncatingIfNeeded: time(nil))
        receiveBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    }

    deinit { mnl_socket_close(socket) }

    /// Sends requests (each with NLM_F_ACK) in as few datagrams as fit, and returns the data messages that came
    /// back for each, in order. The first kernel error among them is thrown (after all ACKs were read, so the
    /// socket stays in step).
    func transact(_ requests: [NetlinkRequest], linkKind: String? = nil) throws(NetlinkError) -> [[NetlinkMessage]] {
        // Nothing is sent when any request could not be built.
        if let broken = requests.first(where: \.overflowed) { throw Self.tooLarge(broken) }
        var results = Array(repeating: [NetlinkMessage](), count: requests.count)
        var firstError: NetlinkError?
        var start = 0
        while start < requests.count {
            // Pack a batch of up to ~48 KiB, like `ip -batch` does implicitly per sendmsg.
            var batch: [UInt8] = []
            var sequences: [UInt32: Int] = [:]
            var index = start
            while index < requests.count {
                let request = requests[index]
                request.sequence = nextSequence
                let bytes = request.bytes
                if !batch.isEmpty, batch.count + bytes.count > 48 * 1024 { break }
                sequences[nextSequence] = index
                nextSequence &+= 1
                batch += bytes
                index += 1
            }
            try send(batch, operation: requests[start].operation)
            var pending = sequences.count
            while pending > 0 {
                for message in try receive(operation: requests[start].operation) {
                    guard message.portID == portID || message.portID == 0, let owner = sequences[message.sequence] else { continue }
                    if message.type == UInt16(NLMSG_ERROR) {
                        pending -= 1
                        let (code, text) = try Self.errorAnswer(message, operation: requests[owner].operation)
                        if code != 0, firstError == nil {
                            firstError = .kernel(-code, operation: requests[owner].operation, message: text, linkKind: linkKind)
                        }
                    } else if message.type == UInt16(NLMSG_DONE) {
                        pending -= 1
                    } else {
                        results[owner].append(message)
                    }
                }
            }
            start = index
        }
        if let firstError { throw firstError }
        return results
    }

    /// A dump request (NLM_F_DUMP): every message until NLMSG_DONE.
    func dump(_ request: NetlinkRequest) throws(NetlinkError) -> [NetlinkMessage] {
        guard !request.overflowed else { throw Self.tooLarge(request) }
        request.sequence = nextSequence
        let sequence = nextSequence
        nextSequence &+= 1
        try send(request.bytes, operation: request.operation)
        var messages: [NetlinkMessage] = []
        while true {
            for message in try receive(operation: request.operation) where message.sequence == sequence {
                switch message.type {
                case UInt16(NLMSG_DONE):
                    return messages
                case UInt16(NLMSG_ERROR):
                    let (code, text) = try Self.errorAnswer(message, operation: request.operation)
                    if code == 0 { return messages }
                    throw .kernel(-code, operation: request.operation, message: text)
                default:
                    messages.append(message)
                }
            }
        }
    }

    private func send(_ bytes: [UInt8], operation: String) throws(NetlinkError) {
        let sent = Self.retryingInterrupts { bytes.withUnsafeBytes { mnl_socket_sendto(socket, $0.baseAddress, $0.count) } }
        guard sent == bytes.count else {
            throw NetlinkError(kind: .system, operation: operation, errno: Errno(rawValue: sent < 0 ? Glibc.errno : EMSGSIZE))
        }
    }

    private func receive(operation: String) throws(NetlinkError) -> [NetlinkMessage] {
        let count = Self.retryingInterrupts { receiveBuffer.withUnsafeMutableBytes { mnl_socket_recvfrom(socket, $0.baseAddress, $0.count) } }
        guard count >= 0 else { throw NetlinkError(kind: .system, operation: operation, errno: Errno(rawValue: Glibc.errno)) }
        return try NetlinkMessage.parse(receiveBuffer[0..<count], operation: operation)
    }

    /// Decodes an NLMSG_ERROR payload: the (negative) errno and the extended-ack message, if any.
    static func errorAnswer(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> (Int32, String?) {
        let payload = message.payload[...]
        guard payload.count >= 4 + NetlinkMessage.headerLength else {
            throw .malformed(operation, "error answer of \(payload.count) bytes")
        }
        let code = payload.readI32(at: payload.startIndex)
        var text: String?
        if message.flags & UInt16(NLM_F_ACK_TLVS) != 0 {
            // With NETLINK_CAP_ACK the original request is not echoed unless capped flag is absent.
            var tlvStart = payload.startIndex + 4 + NetlinkMessage.headerLength
            if message.flags & UInt16(NLM_F_CAPPED) == 0 {
                let originalLength = Int(payload.readU32(at: payload.startIndex + 4))
                tlvStart = payload.startIndex + 4 + align4(originalLength)
            }
            if tlvStart <= payload.endIndex {
                for attribute in try NetlinkAttribute.parse(payload[tlvStart...], operation: operation)
                where attribute.kind == UInt16(NLMSGERR_ATTR_MSG.rawValue) {
                    text = attribute.string
                }
            }
        }
        return (code, text)
    }

    static func tooLarge(_ request: NetlinkRequest) -> NetlinkError {
        NetlinkError(kind: .invalidArgument, operation: request.operation, message: "the request does not fit in one netlink message")
    }

    /// The one place a system call interrupted by a signal is repeated (swift-system's own calls do the same).
    static func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> T {
        var result: T
        repeat { result = call() } while result < 0 && Glibc.errno == EINTR
        return result
    }
}
