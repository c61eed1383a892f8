import ArgumentParser
import Foundation
import IPsecCore

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show IKE and CHILD SAs from charon (over VICI).",
        discussion: "Exit status: 0 when the CHILD_SA is installed, 1 when only the IKE_SA is up, 2 when nothing is up or charon cannot be reached: usable as a readiness/liveness probe."
    )

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "charon's VICI socket.")
    var socket = VICIConnection.defaultSocket

    @Option(help: "Connection name.")
    var connection = "vnf-ipsec"

    func run() throws {
        let report: TunnelReport
        do {
            let sas = try VICIClient(socketPath: socket, timeout: .seconds(5)).securityAssociations()
            report = TunnelReport(connection: connection, securityAssociations: sas)
        } catch {
            report = TunnelReport(connection: connection, unreachable: "\(error)")
        }
        print(json ? report.json : report.text, terminator: "")
        if report.state != .up { throw ExitCode(report.state.exitCode) }
    }
}
