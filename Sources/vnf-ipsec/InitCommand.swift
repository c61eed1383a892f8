import ArgumentParser
import GatewayRuntime
import IPsecCore
import VICI
import NetlinkKit

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the VTI for a route-based tunnel (upstream's init container): link, disable_policy, p2p address, routes.",
        discussion: "Idempotent: running it twice changes nothing. A different existing link of the same name is an error that says what differs."
    )

    @Flag(help: "Print the plan without touching the kernel.")
    var dryRun = false

    func run() throws {
        let loaded = try ConfigurationLoading.load(purpose: .vtiOnly)
        guard let setup = VTISetup(loaded.config) else { throw ValidationError("IPSEC_VTI_KEY is not set: nothing to initialise") }
        if dryRun {
            for step in setup.steps { print(step) }
            return
        }
        do {
            for line in try setup.apply(try NetlinkHandle()) { print(line) }
        } catch {
            printError("init: \(error)")
            throw ExitCode.failure
        }
    }
}
