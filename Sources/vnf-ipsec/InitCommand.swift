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
        do throws(NetlinkError) {
            for line in try setup.apply(try NetlinkHandle()) { print(line) }
        } catch {
            printError("init: \(error)\(Self.advice(for: error))")
            throw ExitCode.failure
        }
    }

    /// What an operator of this image does about NetlinkKit's plain facts.
    static func advice(for error: NetlinkError) -> String {
        switch error.kind {
        case .unsupportedLinkKind(let kind) where kind.hasPrefix("vti"):
            let module = kind == "vti6" ? "ip6_vti" : "ip_vti"
            return ". Load \(module) on the host (`modprobe \(module)`), or run the init container privileged with the"
                + " host's /lib/modules mounted read-only so it can be loaded"
        case .permissionDenied:
            return " (run as root, or add the NET_ADMIN capability to the container)"
        case .exists where error.operation.hasPrefix("ensure link"):
            return " (or choose another IPSEC_VTI_KEY)"
        default:
            return ""
        }
    }
}
