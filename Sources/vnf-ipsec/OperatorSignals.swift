import Logging
import ServiceLifecycle
import UnixSignals

/// The signals an operator or the system may send `run` besides SIGTERM/SIGINT/SIGQUIT (which stop it
/// cleanly): each is caught, so none kills the gateway at once and orphans charon.
/// - SIGHUP: logged; the running configuration stays (reloading is not implemented yet).
/// - SIGUSR1, SIGUSR2: logged and otherwise ignored.
/// - SIGPIPE: ignored; a reader of our stdout that went away must not take the tunnel down.
struct OperatorSignals: Service {
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1, .sigusr2, .sigpipe)
        for await signal in signals.cancelOnGracefulShutdown() {
            switch signal {
            case .sighup:
                logger.notice("SIGHUP: configuration reload is not implemented yet; the running configuration stays")
            case .sigpipe:
                continue
            default:
                logger.notice("\(signal) ignored; SIGTERM or SIGINT stop the gateway")
            }
        }
    }
}
