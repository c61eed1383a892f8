import ArgumentParser
import Foundation
import GatewayRuntime
import IPsecCore
import VICI

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show IKE and CHILD SAs from charon (over VICI).",
        discussion: """
            Readiness (the default): exit 0 when the CHILD_SA is installed, 1 when only the IKE_SA is up, 2 when nothing \
            is up or charon cannot be reached. Liveness (--live): exit 0 while charon answers over VICI, whatever the \
            remote peer does, 1 when it does not; a remote outage must not restart a healthy gateway.
            """
    )

    @Flag(help: "Liveness only: is charon alive and answering? (exit 0 or 1; the peer's state does not matter)")
    var live = false

    @OptionGroup var output: OutputOptions

    @Option(help: "charon's VICI socket.")
    var socket = VICIConnection.defaultSocket

    @Option(help: "Connection name.")
    var connection = "vnf-ipsec"

    func run() throws {
        if live { return try checkLiveness() }
        let report: TunnelReport
        do {
            let sas = try VICIClient(socketPath: socket, timeout: .seconds(5)).securityAssociations()
            report = TunnelReport(connection: connection, securityAssociations: sas)
        } catch {
            report = TunnelReport(connection: connection, unreachable: "\(error)")
        }
        print(output.json ? OutputOptions.json(report) : report.text, terminator: "")
        if report.state != .up { throw ExitCode(report.state.exitCode) }
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
