import Synchronization
import VICI

/// The observation endpoints' one connection to charon's VICI socket: opened at the first request, kept
/// for the next ones (connecting per request cost a socket, a connect and charon's accept each time), and
/// replaced after any failure. Requests take turns (one exchange at a time on a connection).
///
/// Guarantees: one use (``withSession(_:)``, however many VICI requests it makes) waits at most about
/// `timeout` for charon in all, including one reconnection (each request is bounded by what is left); a
/// failure on a kept connection (charon restarted, so the old socket is dead) is retried once on a new
/// connection within what is left of that time; a connection that failed is never used again (a late
/// answer to a timed-out request must not be read as the answer to the next).
final class CharonConnection: Sendable {
    let socketPath: String
    let timeout: Duration

    /// What lives as long as one connection.
    struct Session {
        private let connected: VICIClient
        var deadline: ContinuousClock.Instant

        init(_ client: VICIClient, deadline: ContinuousClock.Instant) {
            connected = client
            self.deadline = deadline
        }

        /// The client, its requests bounded by what is left until `deadline`.
        var client: VICIClient {
            connected.connection.setTimeout(max(deadline - ContinuousClock.now, .milliseconds(1)))
            return connected
        }

        /// charon's `version` answer on this connection: it cannot change while the connection lives.
        fileprivate(set) var knownVersion: String?

        /// charon's daemon name and version, asked once per connection.
        mutating func version() throws(VICIError) -> String {
            if let knownVersion { return knownVersion }
            let version = try client.version()
            knownVersion = version
            return version
        }
    }

    private struct State {
        var session: Session?
        /// Connections opened so far (the first, and one after each failure).
        var opened = 0
    }
    private let state = Mutex(State())

    /// How many connections have been opened: one while charon keeps answering.
    var connectionsOpened: Int { state.withLock { $0.opened } }

    init(socketPath: String, timeout: Duration) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// Runs `body` on the connection. - Throws: `body`'s error, or `.unavailable`/`.io` when charon
    /// cannot be reached in time.
    func withSession<Result: Sendable>(_ body: (inout Session) throws(VICIError) -> Result) throws(VICIError) -> Result {
        try state.withLock { state throws(VICIError) -> Result in
            let deadline = ContinuousClock.now + timeout
            if var current = state.session {
                current.deadline = deadline
                do throws(VICIError) {
                    let result = try body(&current)
                    state.session = current
                    return result
                } catch {
                    state.session = nil
                    // Only worth another try with time left: a charon that did not answer in time will not
                    // answer a second connection sooner.
                    guard deadline - ContinuousClock.now > .milliseconds(1) else { throw error }
                }
            }
            state.opened += 1
            var fresh = Session(try VICIClient(socketPath: socketPath, timeout: max(deadline - ContinuousClock.now, .milliseconds(1))), deadline: deadline)
            let result = try body(&fresh)
            state.session = fresh
            return result
        }
    }
}
