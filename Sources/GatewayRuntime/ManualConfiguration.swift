import IPsecCore
import VICI
import Foundation

/// Upstream's manual mode: the operator mounts strongSwan's own files and the gateway only runs them.
public enum ManualConfiguration {
    public struct Paths: Sendable {
        public var ipsecConf: String
        public var ipsecSecrets: String
        public var configFolder: String
        public var secretsFolder: String
    }

    public static let upstreamPaths = Paths(ipsecConf: "/etc/ipsec.conf", ipsecSecrets: "/etc/ipsec.secrets",
                                            configFolder: "/etc/ipsec.config.d", secretsFolder: "/etc/ipsec.secrets.d")

    public struct MissingFile: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String {
            "IPSEC_USE_MANUAL_CONFIG is set but \(path) \(reason); mount your ipsec.conf and ipsec.secrets (see docs/operations.md)"
        }
    }

    /// Checks the mounted files exist and are readable before anything starts.
    public static func check(_ paths: Paths) throws {
        for path in [paths.ipsecConf, paths.ipsecSecrets] {
            guard FileManager.default.fileExists(atPath: path) else { throw MissingFile(path: path, reason: "does not exist") }
            guard FileManager.default.isReadableFile(atPath: path) else { throw MissingFile(path: path, reason: "is not readable") }
        }
        for folder in [paths.configFolder, paths.secretsFolder] {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw MissingFile(path: folder, reason: "is not a folder")
            }
        }
    }
}
