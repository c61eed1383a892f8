import Logging
import UnixSignals

/// Every signal an operator or the system may send `run`, read from one `UnixSignalsSequence`, so that
/// none kills the gateway at once and orphans charon:
/// - SIGTERM, SIGINT, SIGQUIT: a clean stop (`stop` starts the service group's graceful shutdown).
/// - SIGHUP: reload the configuration (`reload`).
/// - SIGUSR1, SIGUSR2: logged and otherwise ignored.
///
/// SIGPIPE is not trapped here but ignored outright (`SIG_IGN`, see RunCommand): trapped through Dispatch,
/// one SIGPIPE made every later signal, SIGTERM included, go unhandled (found by the gateway tests).
struct OperatorSignals {
    let logger: Logger

    /// Handles signals until the surrounding task is cancelled.
    func run(stop: @escaping @Sendable () async -> Void, reload: @escaping @Sendable () -> Void) async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sigquit, .sighup, .sigusr1, .sigusr2)
        var stopping = false
        for await signal in signals {
            switch signal {
            case .sigterm, .sigint, .sigquit:
                if stopping {
                    logger.notice("\(signal) received again; already stopping")
                } else {
                    stopping = true
                    await stop()
                }
            case .sighup:
                logger.info("SIGHUP: reloading the configuration")
                reload()
            default:
                logger.notice("\(signal) ignored; SIGTERM or SIGINT stop the gateway")
            }
        }
    }
}
