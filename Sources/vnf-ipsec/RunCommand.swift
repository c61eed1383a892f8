import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import IPsecCore
import Logging
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway in the foreground: charon as a child, the tunnel configured over VICI (the container's default command).",
        discussion: "SIGTERM, SIGINT or SIGQUIT closes the SAs, stops charon, removes routes run added, and exits 0. SIGHUP, SIGUSR1 and SIGUSR2 are logged and change nothing; SIGPIPE is ignored. If charon dies or refuses the configuration, exits 1 with the reason. Invalid configuration: exit 2, nothing started. charon never outlives run."
    )

    @Flag(help: "On shutdown also remove the VTI that `init` created.")
    var teardownVTI = false

    @Option(help: "Folder for the generated configuration (a tmpfs in a container).")
    var runtimeDirectory = "/run/vnf-ipsec"

    func run() async throws {
        // Before anything can write to a pipe whose reader is gone (OperatorSignals keeps it ignored).
        signal(SIGPIPE, SIG_IGN)
        let loaded = try ConfigurationLoading.load()
        let logger = Log.bootstrap(debug: loaded.config.debug)
        var options = Gateway.Options()
        options.teardownVTI = teardownVTI
        options.runtimeDirectory = runtimeDirectory
        let gateway = Gateway(config: loaded.config, options: options, logger: logger)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: gateway), .init(service: OperatorSignals(logger: logger))],
            gracefulShutdownSignals: [.sigterm, .sigint, .sigquit],
            logger: Logger(label: "vnf-ipsec.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        do {
            try await group.run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }
}
