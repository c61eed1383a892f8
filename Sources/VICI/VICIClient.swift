/// charon's commands as typed calls over one ``VICIConnection``.
public struct VICIClient: Sendable {
    public let connection: VICIConnection

    public init(socketPath: String = VICIConnection.defaultSocket, timeout: Duration = .seconds(10)) throws(VICIError) {
        connection = try VICIConnection(socketPath: socketPath, timeout: timeout)
    }

    /// charon's daemon name and version (`version`).
    public func version() throws(VICIError) -> String {
        let answer = try connection.request("version")
        return "\(answer.string("daemon") ?? "?") \(answer.string("version") ?? "?")"
    }

    /// Loads (or replaces) a connection: `settings` is what swanctl.conf's `connections.<name>` holds.
    public func loadConnection(named name: String, _ settings: VICIMessage) throws(VICIError) {
        var message = VICIMessage()
        message.append(name, section: settings)
        try Self.check("load-conn", try connection.request("load-conn", message))
    }

    /// Loads an IKE pre-shared key for `owners`. The secret travels only over the local socket.
    public func loadSharedKey(_ secret: String, owners: [String], id: String) throws(VICIError) {
        var message = VICIMessage()
        message.append("id", id)
        message.append("type", "IKE")
        message.append("data", secret)
        message.append("owners", list: owners)
        try Self.check("load-shared", try connection.request("load-shared", message))
    }

    /// Starts negotiating `child`. With a timeout, charon answers after it (success, failure or "timeout");
    /// `-1` returns at once and leaves charon working in the background.
    public func initiate(child: String, ike: String, timeout: Duration) throws(VICIError) {
        var message = VICIMessage()
        message.append("child", child)
        message.append("ike", ike)
        message.append("timeout", timeout == .zero ? "-1" : String(Self.milliseconds(timeout)))
        message.append("init-limits", "no")
        try Self.check("initiate", try connection.request("initiate", message))
    }

    /// Deletes the IKE_SA (and its CHILD_SAs) of configuration `ike`, telling the peer.
    public func terminate(ike: String, timeout: Duration = .seconds(2)) throws(VICIError) {
        var message = VICIMessage()
        message.append("ike", ike)
        message.append("timeout", String(Self.milliseconds(timeout)))
        message.append("force", "yes")
        try Self.check("terminate", try connection.request("terminate", message))
    }

    /// Unloads the connection: its trap policies go with it.
    public func unloadConnection(named name: String) throws(VICIError) {
        var message = VICIMessage()
        message.append("name", name)
        try Self.check("unload-conn", try connection.request("unload-conn", message))
    }

    /// The IKE_SAs (with CHILD_SAs) charon has now.
    public func securityAssociations() throws(VICIError) -> [IKESAStatus] {
        var message = VICIMessage()
        message.append("noblock", "yes")
        return try connection.stream("list-sas", event: "list-sa", message).events.flatMap { event in
            event.entries.compactMap { entry -> IKESAStatus? in
                guard case .section(let section) = entry.value else { return nil }
                return IKESAStatus(name: entry.key, section)
            }
        }
    }

    /// VICI's timeouts are whole milliseconds (1,500 ms once went out as "1000").
    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    static func check(_ command: String, _ answer: VICIMessage) throws(VICIError) {
        guard answer.string("success") == "yes" else {
            throw .commandFailed(command: command, message: answer.string("errmsg") ?? "charon gave no reason")
        }
    }
}
