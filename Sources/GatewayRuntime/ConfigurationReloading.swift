import Foundation
import IPsecCore

/// How a running gateway reads its configuration again: the same loader `run` started with, and the
/// files whose change means the configuration changed (the configuration file, ENVFILE, key files).
public struct ConfigurationReloading: Sendable {
    public var load: @Sendable () throws -> LoadedConfiguration
    /// The files to watch for a configuration.
    public var watchedFiles: @Sendable (GatewayConfig) -> [String]
    /// How long a change must rest before it is read: an editor's save, or Kubernetes' update of a
    /// mounted ConfigMap, is several file operations in a row.
    public var settleTime: Duration = .milliseconds(300)

    public init(load: @escaping @Sendable () throws -> LoadedConfiguration, watchedFiles: @escaping @Sendable (GatewayConfig) -> [String]) {
        self.load = load
        self.watchedFiles = watchedFiles
    }
}

/// What `run` records for `status`: the configuration it runs and how the last reload went.
public struct ConfigurationStatus: Sendable, Codable, Equatable {
    /// `environment`, or the configuration file's path.
    public var source: String
    public var tunnels: [String]
    /// When the running configuration was loaded (ISO 8601).
    public var loadedAt: String
    public var lastReload: ReloadOutcome?
    /// Reloads applied (or found nothing to change) and refused or failed, since `run` started.
    public var reloads = 0
    public var failedReloads = 0
    /// Each probed tunnel's data-plane probe results, by tunnel name.
    public var probes: [String: ProbeStatistics] = [:]

    public struct ReloadOutcome: Sendable, Codable, Equatable {
        public var at: String
        /// What asked for it (SIGHUP, a changed file).
        public var reason: String
        public var succeeded: Bool
        /// What was done, or why nothing was (every problem of a refused file).
        public var summary: String
        public var problems: [String]
    }

    /// The status of `config` loaded now, keeping `previous`'s reload counts.
    public init(_ config: GatewayConfig, counting previous: ConfigurationStatus) {
        self.init(config)
        reloads = previous.reloads
        failedReloads = previous.failedReloads
        lastReload = previous.lastReload
        // A tunnel keeps its probe's history while its probe target stays.
        probes = previous.probes.filter { name, statistics in config.tunnel(named: name)?.probe?.target.description == statistics.target }
    }

    public init(_ config: GatewayConfig, at date: Date = Date()) {
        switch config.source {
        case .environment: source = "environment"
        case .file(let path): source = path
        }
        tunnels = config.tunnels.map(\.name)
        loadedAt = date.formatted(.iso8601)
    }
}
