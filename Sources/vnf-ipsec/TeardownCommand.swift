import ArgumentParser
import GatewayRuntime
import IPsecCore
import NetlinkKit
import VICI

struct TeardownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teardown",
        abstract: "Remove what init and run leave in the kernel on purpose: every fail-closed guard and the configuration's VTIs.",
        discussion: """
            Stopping `run` keeps the guards, so the LAN's traffic to the remote subnets is dropped rather than sent in \
            cleartext until the gateway runs again. Run this when the gateway is decommissioned: afterwards that traffic \
            follows the ordinary routes, unencrypted. Refused while `run` is running in this namespace.
            """
    )

    @OptionGroup var configuration: ConfigurationOptions

    func run() throws {
        let loaded = try ConfigurationLoading.load(configuration)
        // Removing the guards under a running gateway would open the LAN while it believes it is closed.
        let lock: InstanceLock
        do {
            lock = try InstanceLock(path: VICIConnection.defaultSocket + ".lock")
        } catch {
            printError("teardown: refused: \(error)")
            throw ExitCode.failure
        }
        defer { withExtendedLifetime(lock) {} }
        do throws(NetlinkError) {
            let handle = try NetlinkHandle()
            for tunnel in loaded.config.tunnels {
                guard let setup = VTISetup(tunnel) else { continue }
                let present = try handle.linkIfPresent(named: setup.link.attributes.name) != nil
                try setup.remove(handle)
                print("\(setup.link.attributes.name): \(present ? "removed" : "not present")")
            }
            let removed = try FailClosedGuards.removeAll(handle)
            print("fail-closed guards: \(removed) removed")
        } catch {
            printError("teardown: \(error)")
            throw ExitCode.failure
        }
    }
}
