extension GatewayConfig {
    /// What the configuration is loaded for: decides which values are required.
    public enum Purpose: Sendable {
        /// `run`, `check`, `render`: everything.
        case tunnels
        /// `init`: only what the VTIs need.
        case vtiOnly
    }

    /// Reads the gateway from upstream's environment variables (one tunnel, and the file `ENVFILE` names),
    /// or, when `IPSEC_CONFIG_FILE` is set, from that configuration file (any number of tunnels); validates
    /// everything and reports every problem at once.
    ///
    /// Precedence: values in `ENVFILE` override the process environment, as upstream's `source $ENVFILE` did,
    /// so an existing deployment behaves the same. The file is parsed, never executed.
    ///
    /// - Parameters:
    ///   - environment: the process environment (passed in, so the function is pure and testable).
    ///   - purpose: `.tunnels` for `run`/`check`/`render`; `.vtiOnly` for `init`.
    ///   - files: reads ENVFILE, the configuration file and key files; injected for tests. Each path is read
    ///     once, even when named twice (two tunnels' `psk_file`), so a pipe or FIFO is not read again.
    /// - Throws: ``ConfigurationErrors`` listing every problem, each naming its variable (or file key and tunnel).
    public static func load(
        environment: [String: String], purpose: Purpose = .tunnels, files: FileAccess = .system
    ) throws(ConfigurationErrors) -> LoadedConfiguration {
        let files = files.readingEachFileOnce()
        if let path = environment[ConfigVariable.configFile.rawValue]?.trimmingSpaces, !path.isEmpty {
            return try ConfigurationFile.load(path: path, environment: environment, purpose: purpose, files: files)
        }
        var reader = ConfigurationReader(values: environment, files: files)
        if let path = reader.nonEmpty(.envFile) {
            do {
                let file = try EnvironmentFile.parse(try files.read(path), path: path)
                reader.values.merge(file.values) { _, fromFile in fromFile }
            } catch let error as EnvironmentFile.ParseError {
                reader.fail(.envFile, value: path, "cannot be parsed: line \(error.line): \(error.reason)")
            } catch {
                reader.fail(.envFile, value: path, "cannot be read (\(FileAccess.reason(error))); mount the file or unset ENVFILE")
            }
            // The rest of the configuration is in that file: "X is required" for each of its variables
            // would only bury the one real problem.
            if !reader.problems.isEmpty { throw ConfigurationErrors(reader.problems, warnings: reader.warnings) }
            if let path = reader.nonEmpty(.configFile) {
                return try ConfigurationFile.load(path: path, environment: reader.values, purpose: purpose, files: files, viaEnvFile: true)
            }
        }
        reader.warnUnknownVariables()
        var config = reader.gatewaySettings()
        config.tunnels = [reader.tunnel(named: TunnelConfig.environmentTunnelName, purpose: purpose,
                                        manual: config.isManual, setRouteDefaultTable: config.setRouteDefaultTable)]
        guard reader.problems.isEmpty else { throw ConfigurationErrors(reader.problems, warnings: reader.warnings) }
        return LoadedConfiguration(config: config, warnings: reader.warnings)
    }

    /// What `init` reads: the whole gateway when the configuration has every tunnel setting (an init
    /// container usually shares the gateway's environment), else only what the VTIs need (`.vtiOnly`).
    /// Every file (ENVFILE, the configuration file, key files) is read once, so both readings see the
    /// same text and a file that can be read only once works.
    ///
    /// - Returns: the configuration, and `isComplete`: whether it was read for `.tunnels` (so the
    ///   fail-closed guards, which need every tunnel's subnets, can be derived from it).
    /// - Throws: ``ConfigurationErrors`` of the `.vtiOnly` reading, when even the VTIs' settings are wrong;
    ///   the incomplete `.tunnels` reading's problems are not reported (init was not given those settings).
    public static func loadForInit(
        environment: [String: String], files: FileAccess = .system
    ) throws(ConfigurationErrors) -> (loaded: LoadedConfiguration, isComplete: Bool) {
        let files = files.readingEachFileOnce()
        if let loaded = try? load(environment: environment, purpose: .tunnels, files: files) { return (loaded, true) }
        return (try load(environment: environment, purpose: .vtiOnly, files: files), false)
    }

    /// The same rules for a gateway built in code as for one read from the environment or a file: throws
    /// every violation at once, each naming the variable (or tunnel) involved.
    public func validate() throws(ConfigurationErrors) {
        guard !isManual else { return }
        var problems: [ConfigurationProblem] = []
        for tunnel in tunnels {
            let prefix = source == .environment ? "" : "tunnel \(tunnel.name): "
            problems += tunnel.invariantViolations().map {
                ConfigurationProblem(name: prefix + (source == .environment ? $0.variable.rawValue : $0.variable.fileKey ?? $0.variable.rawValue),
                                     value: $0.value, expected: $0.reason)
            }
        }
        problems += crossTunnelProblems()
        if tunnels.isEmpty { problems.append(ConfigurationProblem(name: "tunnels", value: nil, expected: "no tunnel is configured")) }
        if !problems.isEmpty { throw ConfigurationErrors(problems) }
    }
}
