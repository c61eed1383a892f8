import ArgumentParser
import CertificateChecks
import Foundation
import GatewayRuntime
import IPsecCore
import Observability
import VICI

/// Where a command reads the configuration: `--config FILE`, else IPSEC_CONFIG_FILE, else upstream's
/// variables. Shared by every command that reads it.
struct ConfigurationOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: ArgumentHelp("A YAML configuration file with any number of tunnels (overrides IPSEC_CONFIG_FILE).", valueName: "file"))
    var file: String?

    /// The environment the model reads, with `--config` in IPSEC_CONFIG_FILE's place.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let file { environment[ConfigVariable.configFile.rawValue] = file }
        return environment
    }
}

/// Reads the configuration for a command; on failure prints every problem to stderr and exits 2, before
/// anything is started or changed.
enum ConfigurationLoading {
    /// The whole configuration, its certificates proven before anything starts.
    static func load(_ options: ConfigurationOptions, files: FileAccess = .system) throws -> LoadedConfiguration {
        try reporting(options) { environment throws(ConfigurationErrors) in
            try CertificateCheck.apply(to: try GatewayConfig.load(environment: environment, purpose: .tunnels, files: files))
        }
    }

    /// `init`'s one reading (``GatewayConfig/loadForInit(environment:files:)``), reported like `load`'s;
    /// `isComplete` says whether it had every tunnel setting, so the fail-closed guards may be installed.
    /// A complete configuration's certificates are proven as `run` would; VTI settings alone have none.
    static func loadForInit(_ options: ConfigurationOptions) throws -> (loaded: LoadedConfiguration, isComplete: Bool) {
        var isComplete = false
        let loaded = try reporting(options) { environment throws(ConfigurationErrors) in
            let read = try GatewayConfig.loadForInit(environment: environment)
            isComplete = read.isComplete
            return read.isComplete ? try CertificateCheck.apply(to: read.loaded) : read.loaded
        }
        return (loaded, isComplete)
    }

    /// Runs `load` on the command's environment and prints its warnings; on failure prints every problem and
    /// exits 2.
    private static func reporting(
        _ options: ConfigurationOptions, _ load: ([String: String]) throws(ConfigurationErrors) -> LoadedConfiguration
    ) throws -> LoadedConfiguration {
        let environment = options.environment
        do {
            let loaded = try load(environment)
            warn(loaded.warnings, json: loaded.config.logFormat == .json)
            return loaded
        } catch {
            // The file may not have been read far enough to know its log_format: the variable decides.
            let json = environment[ConfigVariable.logFormat.rawValue]?.lowercased() == "json"
            warn(error.warnings, json: json)
            if json {
                for problem in error.problems { printError(line(level: "error", "\(problem)")) }
            } else {
                printError("error: \(error)")
            }
            throw ExitCode(2)
        }
    }

    private static func warn(_ warnings: [ConfigurationWarning], json: Bool) {
        for warning in warnings { printError(json ? line(level: "warning", "\(warning)") : "warning: \(warning)") }
    }

    /// With LOG_FORMAT=json, what `run` says about its configuration is JSON too (on stderr, as in text).
    private static func line(level: String, _ message: String) -> String {
        JSONLogLine.own(level: level, message: message).text
    }
}
