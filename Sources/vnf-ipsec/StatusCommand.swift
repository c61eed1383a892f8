import ArgumentParser
import Foundation
import GatewayRuntime
import IPsecCore
import VICI
import NetlinkKit

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every tunnel's IKE and CHILD SAs from charon (over VICI), including tunnels that are down.",
        discussion: """
            Readiness (the default): exit 0 when every tunnel (or the one --tunnel names) has an installed CHILD_SA, \
            1 when some do (or only IKE_SAs are up), 2 when none does or charon cannot be reached. The tunnels are \
            those charon has loaded. Liveness (--live): exit 0 while charon answers over VICI, whatever the remote \
            peers do, 1 when it does not; a remote outage must not restart a healthy gateway.
            """
    )

    @Flag(help: "Liveness only: is charon alive and answering? (exit 0 or 1; the peers' state does not matter)")
    var live = false

    @OptionGroup var output: OutputOptions

    @Option(help: "charon's VICI socket.")
    var socket = VICIConnection.defaultSocket

    @Option(help: "Where `run` keeps its files (it records there which configuration it runs and how the last reload went).")
    var runtimeDirectory = "/run/vnf-ipsec"

    /// The file `run` writes into its runtime folder for `status`.
    static let statusFileName = "status.json"

    @Option(name: [.customLong("tunnel"), .customLong("connection")], help: "Only this tunnel (its connection name); --connection is the older spelling.")
    var tunnel: String?

    func run() throws {
        if live { return try checkLiveness() }
        var report: GatewayReport
        do {
            let client = try VICIClient(socketPath: socket, timeout: .seconds(5))
            let sas = try client.securityAssociations()
            var names = try tunnel.map { [$0] } ?? client.connectionNames()
            // SAs of connections not (or no longer) loaded still count: they carry traffic.
            if tunnel == nil { for name in sas.map(\.name) where !names.contains(name) { names.append(name) } }
            report = GatewayReport(names: names, securityAssociations: sas)
            report.certificates = CertificateReport.all((try? client.certificates()) ?? [])
        } catch {
            report = GatewayReport(unreachable: "\(error)", names: tunnel.map { [$0] } ?? [])
        }
        var full = report
        full.kernel = try? FailClosedState.read(NetlinkHandle())
        if let data = FileManager.default.contents(atPath: runtimeDirectory + "/" + Self.statusFileName) {
            full.configuration = try? JSONDecoder().decode(ConfigurationStatus.self, from: data)
        }
        print(output.json ? OutputOptions.json(full) : full.text, terminator: "")
        if full.exitCode != 0 { throw ExitCode(full.exitCode) }
    }

    /// One VICI round trip (`version`): charon is running, its VICI plugin answers, and its main loop is
    /// not stuck. Exit 1 rather than 2 on failure: Docker's HEALTHCHECK reserves 2.
    private func checkLiveness() throws {
        do {
            let version = try VICIClient(socketPath: socket, timeout: .seconds(5)).version()
            print(output.json ? OutputOptions.json(Liveness(live: true, daemon: version, error: nil)) : "live: charon answers (\(version))\n", terminator: "")
        } catch {
            print(output.json ? OutputOptions.json(Liveness(live: false, daemon: nil, error: "\(error)")) : "not live: \(error)\n", terminator: "")
            throw ExitCode.failure
        }
    }

    private struct Liveness: Encodable {
        var live: Bool
        var daemon: String?
        var error: String?
    }
}
