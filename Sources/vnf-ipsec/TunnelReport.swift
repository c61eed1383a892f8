import Foundation
import GatewayRuntime
import IPsecCore
import VICI

/// What `status` prints: every configured tunnel's state and SAs, as text for people and JSON for tools.
public struct GatewayReport: Sendable, Codable {
    public var tunnels: [TunnelReport]
    /// How many tunnels have an installed CHILD_SA.
    public var up: Int
    /// Why charon could not be asked, if it could not.
    public var error: String?
    /// What `run` recorded: the configuration it runs and how the last reload went.
    public var configuration: ConfigurationStatus?
    /// The kernel's fail-closed guards and VTI states (nil when they could not be read).
    public var kernel: FailClosedState?
    /// The X.509 certificates charon holds (none with pre-shared keys).
    var certificates: [CertificateReport] = []

    /// The report on `names` (every connection charon has loaded when nil) from charon's SAs.
    public init(names: [String], securityAssociations: [IKESAStatus]) {
        tunnels = names.map { TunnelReport(connection: $0, securityAssociations: securityAssociations) }
        up = tunnels.filter { $0.state == .up }.count
    }

    public init(unreachable: String, names: [String]) {
        tunnels = names.map { TunnelReport(connection: $0, unreachable: unreachable) }
        up = 0
        error = unreachable
    }

    /// Readiness: 0 every tunnel up, 1 some up (or only IKE_SAs), 2 none (or charon unreachable, or no
    /// tunnel loaded).
    public var exitCode: Int32 {
        if tunnels.isEmpty || error != nil { return 2 }
        if up == tunnels.count { return 0 }
        return tunnels.contains { $0.state != .down } ? 1 : 2
    }

    public var text: String {
        var out = ""
        if let error, tunnels.isEmpty { out = "down: \(error)\n" }
        else if tunnels.isEmpty { out = "down: charon has no tunnel loaded\n" }
        else { out = (tunnels.count == 1 ? "" : "\(up) of \(tunnels.count) tunnels up\n") + tunnels.map(\.text).joined() }
        if let kernel { out += kernel.text }
        if !certificates.isEmpty {
            out += "certificates:\n" + certificates.map(\.text).joined()
        }
        if let configuration {
            out += "configuration: \(configuration.source), loaded \(configuration.loadedAt)\n"
            for (name, probe) in configuration.probes.sorted(by: { $0.key < $1.key }) {
                let milliseconds = (probe.lastRoundTripSeconds ?? 0) * 1000
                let last = probe.lastAnswered == true ? "answered in \(milliseconds < 10 ? String(format: "%.1f", milliseconds) : String(Int(milliseconds.rounded()))) ms"
                    : "not answered (\(probe.lastError ?? "?"))"
                out += "  probe \(name) \(probe.target): \(last); \(probe.lost) of \(probe.sent) lost\n"
            }
            if let last = configuration.lastReload {
                out += "  last reload \(last.at) (\(last.reason)): \(last.succeeded ? "" : "FAILED, ")\(last.summary)\n"
                for problem in last.problems { out += "    - \(problem)\n" }
            }
        }
        return out
    }
}

/// One tunnel in `status`.
public struct TunnelReport: Sendable, Codable {
    public var connection: String
    public var state: TunnelState
    public var error: String?
    public var securityAssociations: [IKESAStatus]

    public init(connection: String, securityAssociations: [IKESAStatus]) {
        self.connection = connection
        self.securityAssociations = securityAssociations.filter { $0.name == connection }
        state = TunnelState(securityAssociations, connection: connection)
    }

    public init(connection: String, unreachable: String) {
        self.connection = connection
        state = .down
        error = unreachable
        securityAssociations = []
    }

    public var text: String {
        var out = "\(connection): \(state.rawValue)\n"
        if let error { out += "  \(error)\n" }
        for ike in securityAssociations {
            out += "  IKE_SA \(ike.state) IKEv\(ike.version ?? "?") \(ike.localHost ?? "?")[\(ike.localID ?? "")] <-> \(ike.remoteHost ?? "?")[\(ike.remoteID ?? "")]"
            if let seconds = ike.establishedSeconds { out += ", established \(seconds)s ago" }
            out += "\n    " + [ike.encryption, ike.integrity, ike.pseudoRandomFunction, ike.keyExchange].compactMap { $0 }.joined(separator: "/")
            out += ike.natDetected ? ", NAT detected\n" : "\n"
            for child in ike.children {
                out += "  CHILD_SA \(child.name) \(child.state) \(child.protocolName ?? "ESP")\(child.udpEncapsulated ? " in UDP" : "")"
                out += " " + [child.encryption, child.integrity, child.keyExchange].compactMap { $0 }.joined(separator: "/") + "\n"
                out += "    \(child.localTrafficSelectors.joined(separator: ",")) === \(child.remoteTrafficSelectors.joined(separator: ","))\n"
                out += "    in \(child.bytesIn) bytes/\(child.packetsIn) packets, out \(child.bytesOut) bytes/\(child.packetsOut) packets\n"
            }
        }
        return out
    }
}
