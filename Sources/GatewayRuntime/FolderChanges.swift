@preconcurrency import Dispatch
import Foundation

/// A wake-up each time an entry appears in a folder (inotify `IN_CREATE`/`IN_MOVED_TO`, read through a
/// Dispatch source): how the runtime waits for charon's VICI socket without polling. The stream also ends
/// at a deadline and whenever `finish()` is called (the daemon exited), and like every AsyncStream when the
/// waiting task is cancelled.
final class FolderChanges: Sendable {
    let changes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    /// Nil when the folder cannot be watched (no inotify, or no such folder); callers then fall back.
    init?(folder: String, until deadline: ContinuousClock.Instant) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        guard inotify_add_watch(fd, folder, UInt32(IN_CREATE | IN_MOVED_TO)) >= 0 else {
            close(fd)
            return nil
        }
        let (changes, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let reads = DispatchSource.makeReadSource(fileDescriptor: fd, queue: .global())
        reads.setEventHandler {
            // Drain the queued events; their content does not matter, only that something appeared.
            var buffer = [UInt8](repeating: 0, count: 4096)
            while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
            continuation.yield(())
        }
        reads.setCancelHandler { close(fd) }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        let remaining = max(0, (deadline - ContinuousClock.now) / .milliseconds(1))
        timer.schedule(deadline: .now() + .milliseconds(Int(remaining)))
        timer.setEventHandler { continuation.finish() }
        // The termination handler holds the two sources (and so keeps them alive) until the stream ends.
        continuation.onTermination = { _ in
            reads.cancel()
            timer.cancel()
        }
        reads.resume()
        timer.resume()
        self.changes = changes
        self.continuation = continuation
    }

    /// Ends the stream (the thing waited for can no longer come).
    func finish() { continuation.finish() }

    deinit { continuation.finish() }
}
