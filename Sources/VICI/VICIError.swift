import SystemPackage

/// What went wrong talking to charon over VICI.
public enum VICIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The socket is not there or refuses connections: charon is not running (or not with the vici plugin).
    case unavailable(socket: String, errno: Errno)
    /// Reading or writing failed, or timed out.
    case io(String)
    /// Bytes that do not follow the VICI format.
    case malformed(String)
    /// charon answered that it does not know the command or event.
    case unknownCommand(String)
    /// charon ran the command and reported failure (its `errmsg`).
    case commandFailed(command: String, message: String)

    public var description: String {
        switch self {
        case .unavailable(let socket, let errno):
            "cannot reach charon's VICI socket \(socket) (\(errno)): is charon running with the vici plugin?"
        case .io(let what): "VICI: \(what)"
        case .malformed(let what): "VICI: malformed message: \(what)"
        case .unknownCommand(let name): "VICI: charon does not know '\(name)' (strongSwan too old?)"
        case .commandFailed(let command, let message): "VICI \(command) failed: \(message)"
        }
    }
}
