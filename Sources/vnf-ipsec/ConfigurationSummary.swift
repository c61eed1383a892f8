import IPsecCore
import VICI
/// A readable account of a configuration for operators (`vnf-ipsec check`). The PSK shows only its length.
public struct ConfigurationSummary: Sendable {
    public let text: String

    public init(_ config: TunnelConfig) {
        var lines: [(String, String)] = []
        if config.isManual {
            lines.append(("mode", "manual strongSwan configuration (IPSEC_USE_MANUAL_CONFIG)"))
        } else {
            lines.append(("mode", config.vti.map { "route-based, VTI \($0.interfaceName) (mark \($0.key))" } ?? "policy-based"))
        }
        lines.append(("local", "\(config.local)" + (config.localID.map { " id \($0)" } ?? "")))
        lines.append(("local subnets", config.localTrafficSelectors.isEmpty ? "(local address)" : config.localTrafficSelectors.map(\.description).joined(separator: ", ")))
        lines.append(("remote", "\(config.remote)" + (config.remoteID.map { " id \($0)" } ?? "")))
        lines.append(("remote subnets", config.remoteTrafficSelectors.isEmpty ? "(remote address)" : config.remoteTrafficSelectors.map(\.description).joined(separator: ", ")))
        lines.append(("key exchange", config.keyExchange.rawValue))
        lines.append(("pre-shared key", config.psk.map(\.description) ?? "(none)"))
        lines.append(("IKE proposals", config.ikeProposals.description))
        lines.append(("ESP proposals", config.espProposals.description))
        lines.append(("lifetimes", "CHILD_SA \(config.lifetime), IKE_SA \(config.ikeLifetime)" + (config.ikeReauthentication ? " with reauthentication" : "")))
        lines.append(("UDP encapsulation", config.forceUDPEncapsulation ? "forced" : "only behind NAT"))
        lines.append(("interfaces", config.interfaces.isEmpty ? "all" : config.interfaces.joined(separator: ", ")))
        if let vti = config.vti {
            var detail = "\(vti.interfaceName) key \(vti.key)"
            if let local = vti.localAddress { detail += ", address \(local)" + (vti.peerAddress.map { " peer \($0)" } ?? "") }
            if !vti.staticRoutes.isEmpty { detail += ", routes " + vti.staticRoutes.map(\.description).joined(separator: ", ") }
            if let mtu = vti.mtu { detail += ", mtu \(mtu)" }
            lines.append(("VTI", detail))
        }
        if config.setRouteDefaultTable { lines.append(("main-table route", "yes (SET_ROUTE_DEFAULT_TABLE)")) }
        if config.charonSettings == .mounted { lines.append(("charon config", "mounted (IPSEC_MANUAL_CHARON)")) }
        if config.debug { lines.append(("debug", "on")) }
        let width = lines.map(\.0.count).max() ?? 0
        text = "configuration is valid\n" + lines.map { "  " + $0.0.padding(width) + "  " + $0.1 + "\n" }.joined()
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
