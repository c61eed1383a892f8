import IPsecCore
import VICI
/// A readable account of a configuration for operators (`vnf-ipsec check`). Keys show only their length.
public struct ConfigurationSummary: Sendable {
    public let text: String

    public init(_ config: GatewayConfig) {
        var gateway: [(String, String)] = []
        gateway.append(("interfaces", config.interfaces.isEmpty ? "all" : config.interfaces.joined(separator: ", ")))
        if config.setRouteDefaultTable { gateway.append(("main-table route", "yes (SET_ROUTE_DEFAULT_TABLE)")) }
        if config.charonSettings == .mounted { gateway.append(("charon config", "mounted (IPSEC_MANUAL_CHARON)")) }
        if config.debug { gateway.append(("debug", "on")) }
        switch config.source {
        case .environment:
            // Upstream's single tunnel: one block, as it always read.
            let lines = Self.lines(config.tunnels[0], manual: config.isManual) + gateway
            text = "configuration is valid\n" + Self.block(lines, indent: 2)
        case .file(let path):
            var out = "configuration is valid: \(config.tunnels.count) tunnel\(config.tunnels.count == 1 ? "" : "s") from \(OneLineText.escaped(path))\n"
            out += "  gateway\n" + Self.block(gateway, indent: 4)
            for tunnel in config.tunnels {
                out += "  tunnel \(tunnel.name)\n" + Self.block(Self.lines(tunnel, manual: false), indent: 4)
            }
            text = out
        }
    }

    static func block(_ lines: [(String, String)], indent: Int) -> String {
        let width = lines.map(\.0.count).max() ?? 0
        let pad = String(repeating: " ", count: indent)
        return lines.map { pad + $0.0.padding(width) + "  " + $0.1 + "\n" }.joined()
    }

    static func lines(_ tunnel: TunnelConfig, manual: Bool) -> [(String, String)] {
        var lines: [(String, String)] = []
        if manual {
            lines.append(("mode", "manual strongSwan configuration (IPSEC_USE_MANUAL_CONFIG)"))
        } else {
            lines.append(("mode", tunnel.vti.map { "route-based, VTI \($0.interfaceName) (mark \($0.key))" } ?? "policy-based"))
        }
        let localID = tunnel.localID.map { " id \($0)" } ?? tunnel.certificates?.subject.map { " id \($0) (the certificate's subject)" } ?? ""
        lines.append(("local", "\(tunnel.local)" + localID))
        lines.append(("local subnets", tunnel.localTrafficSelectors.isEmpty ? "(local address)" : tunnel.localTrafficSelectors.map(\.description).joined(separator: ", ")))
        lines.append(("remote", "\(tunnel.remote)" + (tunnel.remoteID.map { " id \($0)" } ?? "")))
        lines.append(("remote subnets", tunnel.remoteTrafficSelectors.isEmpty ? "(remote address)" : tunnel.remoteTrafficSelectors.map(\.description).joined(separator: ", ")))
        lines.append(("key exchange", tunnel.keyExchange.rawValue))
        if let certificates = tunnel.certificates {
            lines.append(("certificate", OneLineText.escaped(certificates.certificate.path) + ", key " + OneLineText.escaped(certificates.privateKey.path)))
            lines.append(("CA certificates", certificates.authorities.map { OneLineText.escaped($0.path) }.joined(separator: ", ")
                + (certificates.revocationList.map { ", CRL " + OneLineText.escaped($0.path) } ?? "")))
        } else {
            lines.append(("pre-shared key", (tunnel.psk.map(\.description) ?? "(none)") + (tunnel.pskFile.map { " from \(OneLineText.escaped($0))" } ?? "")))
        }
        lines.append(("IKE proposals", tunnel.ikeProposals.description))
        lines.append(("ESP proposals", tunnel.espProposals.description))
        lines.append(("lifetimes", "CHILD_SA \(tunnel.lifetime), IKE_SA \(tunnel.ikeLifetime)" + (tunnel.ikeReauthentication ? " with reauthentication" : "")))
        lines.append(("UDP encapsulation", tunnel.forceUDPEncapsulation ? "forced" : "only behind NAT"))
        if !manual {
            let behaviour = tunnel.behaviour
            lines.append(("role", "\(behaviour.role.rawValue), start \(tunnel.effectiveStartAction.rawValue)"
                + (behaviour.closeAction == .none ? "" : ", on close \(behaviour.closeAction.rawValue)")
                + ", keying tries " + (behaviour.keyingTries == 0 ? "forever" : String(behaviour.keyingTries))))
            lines.append(("DPD", behaviour.dpdDelay.seconds == 0 ? "off"
                : "every \(behaviour.dpdDelay), then \(behaviour.dpdAction.rawValue)" + (behaviour.dpdTimeout.map { " (IKEv1 timeout \($0))" } ?? "")))
        }
        if let vti = tunnel.vti {
            var detail = "\(vti.interfaceName) key \(vti.key)"
            if let local = vti.localAddress { detail += ", address \(local)" + (vti.peerAddress.map { " peer \($0)" } ?? "") }
            if !vti.staticRoutes.isEmpty { detail += ", routes " + vti.staticRoutes.map(\.description).joined(separator: ", ") }
            if let mtu = vti.mtu { detail += ", mtu \(mtu)" }
            lines.append(("VTI", detail))
        }
        return lines
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
