import Foundation

/// A FIFO in the file system and a thread that writes a text into it once, for its first reader: how a
/// secret delivered through a FIFO, or bash's `ENVFILE=<(printf …)`, reaches the code under test.
public final class FIFOFeed: @unchecked Sendable {
    public let path: String
    private let finished = DispatchSemaphore(value: 0)
    private let written = Locked<Int?>(nil)

    /// Makes the FIFO at `path` with exactly `mode` and starts the writer, which gives up when no reader
    /// opens the FIFO within `timeout` seconds (so a reader that never comes cannot hang the test).
    public init(path: String, mode: mode_t = 0o600, text: String, timeout: Double = 20) throws {
        self.path = path
        guard mkfifo(path, mode) == 0, chmod(path, mode) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let bytes = Array(text.utf8)
        Thread.detachNewThread { [self] in
            // A reader that closes early makes write fail with EPIPE on this thread, not kill the test process.
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
            defer { finished.signal() }
            let deadline = Date().addingTimeInterval(timeout)
            var fd: Int32 = -1
            // Non-blocking, so that waiting for the reader has a deadline (ENXIO until a reader opens).
            while fd < 0, Date() < deadline {
                fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
                if fd < 0 { usleep(2_000) }
            }
            guard fd >= 0 else { return }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, 0)
            var offset = 0
            while offset < bytes.count {
                let count = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                offset += count
            }
            written.withLock { $0 = offset }
        }
    }

    /// Waits for the writer: how many bytes the reader was given, nil when no reader opened the FIFO.
    public func wait() -> Int? {
        finished.wait()
        finished.signal()
        return written.withLock { $0 }
    }
}
