import ArgumentParser
import Foundation
import GatewayRuntime
import IPsecCore
import VICI

/// Reads the configuration from the process environment for a command; on failure prints every problem
/// to stderr and exits 2, before anything is started or changed.
enum ConfigurationLoading {
    static func load(purpose: TunnelConfig.Purpose = .tunnel) throws -> LoadedConfiguration {
        do {
            let loaded = try TunnelConfig.load(environment: ProcessInfo.processInfo.environment, purpose: purpose)
            warn(loaded.warnings)
            return loaded
        } catch {
            warn(error.warnings)
            printError("error: \(error)")
            throw ExitCode(2)
        }
    }

    private static func warn(_ warnings: [ConfigurationWarning]) {
        for warning in warnings { printError("warning: \(warning)") }
    }
}
