@preconcurrency import Dispatch
import Foundation

/// A wake-up each time something happens in watched folders (inotify, read through a Dispatch source):
/// how the runtime waits for charon's VICI socket without polling (an entry appears), and notices that a
/// configuration or key file changed (written, replaced, or Kubernetes' `..data` symlink swapped). The
/// stream also ends at a deadline, whenever `finish()` is called, and like every AsyncStream when the
/// waiting task is cancelled. Several events in a row may come as one wake-up.
final class FolderChanges: Sendable {
    let changes: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    /// An entry appears (created, or moved in).
    static let entryAppears = UInt32(IN_CREATE | IN_MOVED_TO)
    /// Any change to an entry: also written, attributes changed, deleted or moved away.
    static let anyChange = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE | IN_MOVED_FROM)

    convenience init?(folder: String, until deadline: ContinuousClock.Instant) {
        self.init(folders: [folder], events: Self.entryAppears, until: deadline)
    }

    /// Nil when no folder can be watched (no inotify, or no such folder); callers then fall back.
    init?(folders: [String], events: UInt32, until deadline: ContinuousClock.Instant? = nil) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        let watched = folders.filter { inotify_add_watch(fd, $0, events) >= 0 }
        guard !watched.isEmpty else {
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
        let remaining = deadline.map { max(0, ($0 - ContinuousClock.now) / .milliseconds(1)) } ?? Double(Int32.max)
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
