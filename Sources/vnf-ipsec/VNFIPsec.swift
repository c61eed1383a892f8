import ArgumentParser
import GatewayRuntime

@main
struct VNFIPsec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vnf-ipsec",
        abstract: "Site-to-site IPsec VPN gateway (strongSwan), configured by upstream openvnf/vnf-ipsec's environment variables.",
        version: GatewayVersion.current,
        subcommands: [RunCommand.self, InitCommand.self, StatusCommand.self, CheckCommand.self, RenderCommand.self, TeardownCommand.self],
        defaultSubcommand: RunCommand.self
    )
}
