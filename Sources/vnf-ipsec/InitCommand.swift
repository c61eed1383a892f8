import Observability
import ArgumentParser
import GatewayRuntime
import IPsecCore
import VICI
import NetlinkKit

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the VTI of every route-based tunnel (upstream's init container): link, disable_policy, p2p address, routes.",
        discussion: "Idempotent: running it twice changes nothing. A different existing link of the same name is an error that says what differs."
    )

    @OptionGroup var configuration: ConfigurationOptions

    @Flag(help: "Print the plan without touching the kernel.")
    var dryRun = false

    func run() throws {
        // Given the whole configuration (an init container usually shares the gateway's environment), init
        // also installs the fail-closed guards, policy-based gateways included; given only the VTI
        // settings, it makes the VTIs and leaves the guards to `run`.
        let (loaded, complete) = try ConfigurationLoading.loadForInit(configuration)
        let setups = loaded.config.tunnels.compactMap { tunnel in VTISetup(tunnel).map { (tunnel.name, $0) } }
        let guards = complete ? FailClosedGuards(loaded.config) : nil
        guard !setups.isEmpty || guards?.byTunnel.isEmpty == false else {
            throw ValidationError("no tunnel has a VTI key (IPSEC_VTI_KEY, vti_key) and there is no fail-closed guard to install: nothing to initialise")
        }
        // One tunnel's lines read as before; with several each line says whose it is.
        let label: (String) -> String = loaded.config.tunnels.count == 1 ? { _ in "" } : { "\($0): " }
        if dryRun {
            for (name, setup) in setups { for step in setup.steps { print(label(name) + step) } }
            for name in (guards?.byTunnel.keys.sorted() ?? []) {
                for policy in guards?.byTunnel[name]?.policies ?? [] { print(label(name) + "xfrm policy update \(policy)") }
                for route in guards?.byTunnel[name]?.routes ?? [] { print(label(name) + "route replace \(route)") }
            }
            return
        }
        // An init container shares the gateway's environment: with LOG_FORMAT=json its lines are JSON too.
        let json = loaded.config.logFormat == .json
        func line(_ level: String, _ tunnel: String?, _ text: String) -> String {
            json ? JSONLogLine.own(level: level, tunnel: tunnel, message: text).text
                : (tunnel.map(label) ?? "") + text
        }
        var current: String?
        do throws(NetlinkError) {
            let handle = try NetlinkHandle()
            for (name, setup) in setups {
                current = name
                for report in try setup.apply(handle) { print(line("info", name, report)) }
            }
            current = nil
            if let guards {
                let removed = try guards.apply(handle)
                for text in guards.summary { print(line("info", nil, text)) }
                if removed > 0 { print(line("info", nil, "fail-closed guards: \(removed) that no tunnel has removed")) }
            } else {
                print(line("info", nil, "fail-closed guards: left to run (init was not given every tunnel setting)"))
            }
        } catch {
            printError(json ? line("error", current, "init: \(error)\(Self.advice(for: error))")
                            : "init: \(current.map(label) ?? "")\(error)\(Self.advice(for: error))")
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
