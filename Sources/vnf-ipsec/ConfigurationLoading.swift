import ArgumentParser
import Foundation
import IPsecCore

/// Reads the configuration from the process environment for a command; on failure prints every problem
/// to stderr and exits 2, before anything is started or changed.
enum ConfigurationLoading {
    static func load(purpose: TunnelConfig.Purpose = .tunnel) throws -> LoadedConfiguration {
        do {
            let loaded = try TunnelConfig.load(environment: ProcessInfo.processInfo.environment, purpose: purpose)
            for warning in loaded.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            return loaded
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
