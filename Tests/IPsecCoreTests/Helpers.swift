@testable import IPsecCore

extension LoadedConfiguration {
    /// The environment's one tunnel.
    var tunnel: TunnelConfig { config.tunnels[0] }
}

extension GatewayConfig {
    /// A gateway of one tunnel built in code.
    init(_ tunnel: TunnelConfig) { self.init(tunnels: [tunnel]) }
}
