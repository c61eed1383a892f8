import ArgumentParser
import CertificateChecks
#if canImport(Glibc)
import Glibc
#endif
import GatewayRuntime
import IPsecCore
import VICI
import Logging
import Observability
import ServiceLifecycle

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the gateway in the foreground: charon as a child, every tunnel configured over VICI (the container's default command).",
        discussion: "SIGTERM, SIGINT or SIGQUIT closes the SAs, stops charon, removes routes run added, and exits 0. SIGHUP reloads the configuration (so does a change of the configuration file, ENVFILE or a key file): it is validated first, a refused one changes nothing, and only the tunnels that changed are touched. SIGUSR1 and SIGUSR2 are logged and change nothing; SIGPIPE is ignored. If charon dies or refuses the configuration, exits 1 with the reason. Invalid configuration: exit 2, nothing started. charon never outlives run."
    )

    @OptionGroup var configuration: ConfigurationOptions

    @Flag(help: "On shutdown also remove the VTIs that `init` created.")
    var teardownVTI = false

    @Option(help: "Folder for the generated configuration (a tmpfs in a container).")
    var runtimeDirectory = "/run/vnf-ipsec"

    func run() async throws {
        // A reader of our stdout that went away must not take the tunnel down: writes fail instead.
        signal(SIGPIPE, SIG_IGN)
        // A pipe or FIFO (ENVFILE=<(…), a secret written into a FIFO) can be read once: a reload reuses
        // what it held at start instead of waiting for a writer that is gone. Files are read again.
        let files = FileAccess.system.readingEachFileOnce(where: FileAccess.isStream(atPath:))
        let loaded = try ConfigurationLoading.load(configuration, files: files)
        let logger = Log.bootstrap(debug: loaded.config.debug, format: loaded.config.logFormat)
        var options = Gateway.Options()
        options.teardownVTI = teardownVTI
        options.statusFile = runtimeDirectory + "/" + StatusCommand.statusFileName
        // The metrics and readiness endpoints read the gateway's SA list instead of asking charon.
        options.keepsSecurityAssociations = loaded.config.metricsListen != nil
        let environment = configuration.environment
        for path in Self.configurationFiles(loaded.config, environment: environment) where FileAccess.isStream(atPath: path) {
            logger.warning("\(path) is a pipe or device, not a stored file: it was read once; a reload (SIGHUP) reuses what it held then, and it is not watched for changes")
        }
        options.reloading = ConfigurationReloading(
            load: { try CertificateCheck.apply(to: GatewayConfig.load(environment: environment, files: files)) },
            // A stream is not watched: it has no contents to compare, and opening a FIFO waits for a writer.
            watchedFiles: { config in Self.configurationFiles(config, environment: environment).filter { !FileAccess.isStream(atPath: $0) } })
        var strongSwan = StrongSwanGatewayBackend.Options()
        strongSwan.runtimeDirectory = runtimeDirectory
        let backend = StrongSwanGatewayBackend(options: strongSwan, logger: logger, output: Log.charonOutput(loaded.config.logFormat))
        let gateway = Gateway(config: loaded.config, backend: backend, options: options, logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: gateway)]
        if let listen = loaded.config.metricsListen {
            let endpoints = ObservationEndpoints(viciSocket: strongSwan.viciSocket) { ObservationEndpoints.Observed(gateway) }
            services.append(.init(service: MetricsServer(listen: listen, endpoints: endpoints, logger: logger)))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            logger: Logger(label: "vnf-ipsec.lifecycle", factory: { _ in SwiftLogNoOpLogHandler() })))
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                tasks.addTask {
                    await OperatorSignals(logger: logger).run(stop: { await group.triggerGracefulShutdown() },
                                                              reload: { gateway.reload(because: "SIGHUP") })
                }
                // The gateway's end (asked for or not) is the command's end; the signal reader goes with it.
                try await tasks.next()
                tasks.cancelAll()
            }
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }

    /// The files the configuration was read from: the configuration file, ENVFILE, key files.
    static func configurationFiles(_ config: GatewayConfig, environment: [String: String]) -> [String] {
        var files: [String] = []
        if case .file(let path) = config.source { files.append(path) }
        if let envFile = environment[ConfigVariable.envFile.rawValue], !envFile.isEmpty { files.append(envFile) }
        return files + config.tunnels.compactMap(\.pskFile) + config.tunnels.flatMap { $0.certificates?.paths ?? [] }
    }
}
