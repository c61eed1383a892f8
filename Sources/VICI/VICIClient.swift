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

    /// Loads (or replaces) many connections with as few requests as fit: charon's `load-conn` takes every
    /// connection section of one message, and a message may be up to ``batchBytes`` long.
    /// - Throws: the first refusal, naming the batch's connections.
    public func loadConnections(_ connections: [(name: String, settings: VICIMessage)]) throws(VICIError) {
        var batch = VICIMessage(), names: [String] = [], size = 0
        func send() throws(VICIError) {
            guard !names.isEmpty else { return }
            let answer = try connection.request("load-conn", batch)
            guard answer.string("success") == "yes" else {
                throw .commandFailed(command: "load-conn " + names.joined(separator: ","), message: answer.string("errmsg") ?? "charon gave no reason")
            }
            batch = VICIMessage(); names = []; size = 0
        }
        for (name, settings) in connections {
            var single = VICIMessage()
            single.append(name, section: settings)
            let bytes = try single.encoded().count
            if size + bytes > Self.batchBytes { try send() }
            batch.append(name, section: settings)
            names.append(name)
            size += bytes
        }
        try send()
    }

    /// A load-conn message's budget: well below charon's 512 KiB limit on one message.
    public static let batchBytes = 256 * 1024

    /// The connections charon has loaded (`list-conns`), by name, in its order.
    public func connectionNames() throws(VICIError) -> [String] {
        try connection.stream("list-conns", event: "list-conn").events.flatMap { $0.entries.map(\.key) }
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

    /// Removes a key loaded with ``loadSharedKey(_:owners:id:)`` (`unload-shared`).
    public func unloadSharedKey(id: String) throws(VICIError) {
        var message = VICIMessage()
        message.append("id", id)
        try Self.check("unload-shared", try connection.request("unload-shared", message))
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

    /// Deletes the IKE_SA (and its CHILD_SAs) of configuration `ike`, telling the peer. With a timeout
    /// charon answers once the peer acknowledged (or the time is up); with nil at once.
    public func terminate(ike: String, timeout: Duration? = .seconds(2)) throws(VICIError) {
        var message = VICIMessage()
        message.append("ike", ike)
        message.append("timeout", timeout.map { String(Self.milliseconds($0)) } ?? "-1")
        message.append("force", "yes")
        try Self.check("terminate", try connection.request("terminate", message))
    }

    /// Unloads the connection: its trap policies go with it.
    public func unloadConnection(named name: String) throws(VICIError) {
        var message = VICIMessage()
        message.append("name", name)
        try Self.check("unload-conn", try connection.request("unload-conn", message))
    }

    /// The IKE_SAs (with CHILD_SAs) charon has now. By default an IKE_SA charon is busy with at that
    /// moment is left out rather than waited for (`noblock`): a listing for people or a scrape must not
    /// hang on one; with `waitingForBusy` it is waited for, for a caller that acts on an SA's absence.
    public func securityAssociations(waitingForBusy: Bool = false) throws(VICIError) -> [IKESAStatus] {
        var message = VICIMessage()
        if !waitingForBusy { message.append("noblock", "yes") }
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
