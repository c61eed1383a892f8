import Foundation
import IPsecCore
import VICI

/// What `status` prints: the tunnel's state and its SAs, as text for people and JSON for tools.
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

extension TunnelState {
    /// `status`'s exit code as a readiness probe: 0 up, 1 IKE only, 2 down.
    var exitCode: Int32 {
        switch self {
        case .up: 0
        case .ikeOnly: 1
        case .down: 2
        }
    }
}
