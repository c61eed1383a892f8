import ArgumentParser
import IPsecCore
import Logging
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway in the foreground: charon as a child, the tunnel configured over VICI (the container's default command).",
        discussion: "SIGTERM or SIGINT closes the SAs, stops charon, removes routes run added, and exits 0. If charon dies, exits 1 with its last log lines. Invalid configuration: exit 2, nothing started."
    )

    @Flag(help: "On shutdown also remove the VTI that `init` created.")
    var teardownVTI = false

    @Option(help: "Folder for the generated configuration (a tmpfs in a container).")
    var runtimeDirectory = "/run/vnf-ipsec"

    func run() async throws {
        let loaded = try ConfigurationLoading.load()
        let logger = Log.bootstrap(debug: loaded.config.debug)
        var options = Gateway.Options()
        options.teardownVTI = teardownVTI
        options.runtimeDirectory = runtimeDirectory
        let gateway = Gateway(config: loaded.config, options: options, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: gateway)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Logger(label: "vnf-ipsec.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        do {
            try await group.run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }
}
