import Foundation
import Yams

/// A gateway's configuration file (`IPSEC_CONFIG_FILE`, `--config`): YAML with gateway-wide keys at the
/// top, optional `defaults:` for every tunnel, and a `tunnels:` list.
///
///     interfaces: [eth0]
///     defaults:
///       espcipher: aes256gcm16-ecp384
///     tunnels:
///       - name: branch-a
///         localip: 192.0.2.1
///         remoteip: 203.0.113.7
///         remotenet: [10.1.0.0/16]
///         psk_file: /run/secrets/branch-a.psk
///
/// The keys are upstream's variables without `IPSEC_`, in lower case (``ConfigVariable/fileKey``); a
/// tunnel's values are read by the same ``ConfigurationReader`` as the environment's, so the rules and
/// messages are the same, naming the tunnel and the key. Lists may be YAML lists or upstream's comma strings.
enum ConfigurationFile {
    /// The keys that are the file's own, not variables.
    static let nameKey = "name", tunnelsKey = "tunnels", defaultsKey = "defaults"

    /// At most this many nodes are visited: YAML aliases can make a small file describe a huge tree.
    static let nodeBudget = 1_000_000

    /// A tunnel's name: it is charon's connection name, and appears in status, logs and metrics.
    static func isTunnelName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count) && name.first.map { $0.isASCII && ($0.isLetter || $0.isNumber) } == true
            && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }
    }

    /// - Parameter viaEnvFile: the path came from ENVFILE (which was read), not from the environment.
    static func load(path: String, environment: [String: String], purpose: GatewayConfig.Purpose,
                     files: FileAccess, viaEnvFile: Bool = false) throws(ConfigurationErrors) -> LoadedConfiguration {
        var file = Parse(path: path)
        if let manual = environment[ConfigVariable.useManualConfig.rawValue], !manual.trimmingSpaces.isEmpty,
           ConfigurationReader.boolean(manual.trimmingSpaces) != false {
            throw ConfigurationErrors([ConfigurationProblem(ConfigVariable.useManualConfig, value: manual,
                expected: "cannot be combined with IPSEC_CONFIG_FILE: manual mode runs the mounted ipsec.conf, a configuration file describes the tunnels itself; unset one")], source: path)
        }
        let text: String
        do {
            text = try files.read(path)
        } catch {
            throw ConfigurationErrors([ConfigurationProblem(ConfigVariable.configFile, value: path,
                expected: "cannot be read (\(FileAccess.reason(error))); mount the file or unset IPSEC_CONFIG_FILE")], source: path)
        }
        let root: Node?
        do {
            // The basic resolver: every scalar stays a string, which the reader interprets itself; the
            // default one compiles regular expressions (ICU) to type scalars nobody here asks for.
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw file.error("is not valid YAML: \(Self.describe(error))")
        } catch {
            throw file.error("is not valid YAML: \(error)")
        }
        guard let root, case .mapping(let top) = root else {
            throw file.error("must be a mapping with a tunnels: list (see docs/configuration.md)")
        }

        // Gateway-wide values: the top level wins over defaults:.
        var gatewayValues: [String: String] = [:]
        var defaultValues: [String: String] = [:]
        var tunnelNodes: [Node] = []
        for (key, value) in file.entries(of: top, at: "") {
            switch key {
            case tunnelsKey:
                guard case .sequence(let list) = value else { file.fail(key, "must be a list of tunnels (each a mapping with a name)"); continue }
                tunnelNodes = Array(list)
            case defaultsKey:
                guard case .mapping(let defaults) = value else { file.fail(key, "must be a mapping of keys every tunnel gets"); continue }
                for (key, value) in file.entries(of: defaults, at: "defaults.") {
                    guard let variable = file.variable(key, at: "defaults.", allowed: [.tunnel, .gateway]) else { continue }
                    if let text = file.scalarText(value, key: "defaults.\(key)") {
                        if variable.scope == .gateway { gatewayValues[variable.rawValue] = gatewayValues[variable.rawValue] ?? text }
                        else { defaultValues[variable.rawValue] = text }
                    }
                }
            default:
                guard let variable = file.variable(key, at: "", allowed: [.gateway]) else { continue }
                if let text = file.scalarText(value, key: key) { gatewayValues[variable.rawValue] = text }
            }
        }
        if tunnelNodes.isEmpty, file.problems.isEmpty { file.fail(tunnelsKey, "is required and must list at least one tunnel") }

        var reader = ConfigurationReader(values: gatewayValues, naming: .file(tunnel: nil), files: files)
        var config = reader.gatewaySettings()
        config.source = .file(path)
        var problems = file.problems + reader.problems
        var warnings = reader.warnings + Self.ignoredEnvironment(environment, viaEnvFile: viaEnvFile)
        let folder = (path as NSString).deletingLastPathComponent

        for (index, node) in tunnelNodes.enumerated() {
            let position = "tunnels[\(index)]"
            guard case .mapping(let mapping) = node else {
                problems.append(ConfigurationProblem(name: position, value: nil, expected: "must be a mapping with a name and the tunnel's keys"))
                continue
            }
            var values = defaultValues
            var name: String?
            var itemFile = Parse(path: path, budget: file.budget)
            for (key, value) in itemFile.entries(of: mapping, at: position + ".") {
                if key == nameKey {
                    name = itemFile.scalarText(value, key: position + ".name")
                    continue
                }
                guard let variable = itemFile.variable(key, at: position + ".", allowed: [.tunnel]) else { continue }
                if let text = itemFile.scalarText(value, key: "\(position).\(key)") { values[variable.rawValue] = text }
            }
            file.budget = itemFile.budget
            problems += itemFile.problems
            let label: String
            if let name, isTunnelName(name) {
                label = name
            } else {
                label = position
                problems.append(ConfigurationProblem(name: position + ".name", value: name.map { OneLineText.escaped($0) },
                    expected: name == nil ? "is required: each tunnel needs a unique name" : "must be 1-32 letters, digits, -, _ or ., starting with a letter or digit"))
            }
            if purpose == .vtiOnly, values[ConfigVariable.vtiKey.rawValue] == nil { continue }
            // A key file's relative path is relative to the configuration file (mounted side by side).
            if let keyFile = values[ConfigVariable.pskFile.rawValue], !keyFile.hasPrefix("/"), !keyFile.isEmpty {
                values[ConfigVariable.pskFile.rawValue] = folder.isEmpty ? keyFile : folder + "/" + keyFile
            }
            // The certificate files too (cacert is a comma-separated list of files or folders).
            for variable in [ConfigVariable.localCert, .localKey, .caCert, .crl] {
                guard let list = values[variable.rawValue] else { continue }
                values[variable.rawValue] = list.split(separator: ",", omittingEmptySubsequences: false).map { item in
                    let path = String(item).trimmingSpaces
                    return path.hasPrefix("/") || path.isEmpty || folder.isEmpty ? path : folder + "/" + path
                }.joined(separator: ",")
            }
            var tunnelReader = ConfigurationReader(values: gatewayValues.merging(values) { _, tunnel in tunnel },
                                                   naming: .file(tunnel: label), files: files)
            let tunnel = tunnelReader.tunnel(named: label, purpose: purpose, manual: false,
                                             setRouteDefaultTable: config.setRouteDefaultTable)
            problems += tunnelReader.problems
            warnings += tunnelReader.warnings
            config.tunnels.append(tunnel)
        }
        if file.budget <= 0 {
            problems.append(ConfigurationProblem(name: "", value: nil, expected: "is too large to be a configuration (more than \(nodeBudget) values, aliases included)"))
        }
        if problems.isEmpty { problems += config.crossTunnelProblems() }
        guard problems.isEmpty else { throw ConfigurationErrors(problems, warnings: warnings, source: path) }
        return LoadedConfiguration(config: config, warnings: warnings)
    }

    /// With a configuration file, the tunnel variables in the environment are not read: say so, so that
    /// an operator who set both is not surprised.
    static func ignoredEnvironment(_ environment: [String: String], viaEnvFile: Bool) -> [ConfigurationWarning] {
        var warnings = ConfigVariable.allCases.filter { $0.scope != .environment && !(environment[$0.rawValue] ?? "").isEmpty }.map {
            ConfigurationWarning(variable: $0.rawValue, message: "is ignored: IPSEC_CONFIG_FILE is set and the file decides (its key is \($0.fileKey ?? ""))")
        }
        // ENVFILE is read first and may be what names the file; set beside IPSEC_CONFIG_FILE it is not read.
        if !viaEnvFile, !(environment[ConfigVariable.envFile.rawValue] ?? "").trimmingSpaces.isEmpty {
            warnings.append(ConfigurationWarning(variable: ConfigVariable.envFile.rawValue,
                message: "is ignored: IPSEC_CONFIG_FILE is set in the environment, and the file decides"))
        }
        return warnings
    }

    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)" + (context.map { " (\($0.text))" } ?? "")
        case .composer(let context, let problem, let mark, _):
            return "line \(mark.line), column \(mark.column): \(problem)" + (context.map { " (\($0.text))" } ?? "")
        default:
            return OneLineText.escaped("\(error)", limit: 200)
        }
    }

    /// Walks the file's nodes, collecting problems (each naming the key's path and line).
    struct Parse {
        let path: String
        var problems: [ConfigurationProblem] = []
        var budget: Int

        init(path: String, budget: Int = ConfigurationFile.nodeBudget) {
            self.path = path
            self.budget = budget
        }

        mutating func fail(_ key: String, _ message: String, line: Int? = nil) {
            problems.append(ConfigurationProblem(name: key + (line.map { " (line \($0))" } ?? ""), value: nil, expected: message))
        }

        /// The whole file in error: one problem naming it.
        func error(_ message: String) -> ConfigurationErrors {
            ConfigurationErrors([ConfigurationProblem(name: path, value: nil, expected: message)], source: path)
        }

        /// A mapping's keys (scalars, each once) with their values.
        mutating func entries(of mapping: Node.Mapping, at prefix: String) -> [(String, Node)] {
            var seen: [String: Int] = [:]
            var result: [(String, Node)] = []
            for (keyNode, value) in mapping {
                budget -= 1
                guard budget > 0 else { return result }
                guard case .scalar(let scalar) = keyNode else {
                    fail(prefix.isEmpty ? "(key)" : String(prefix.dropLast()), "has a key that is not a plain name", line: keyNode.mark?.line)
                    continue
                }
                let key = scalar.string
                if let first = seen[key] {
                    fail(prefix + OneLineText.escaped(key), "is given twice (first on line \(first))", line: keyNode.mark?.line)
                    continue
                }
                seen[key] = keyNode.mark?.line ?? 0
                result.append((key, value))
            }
            return result
        }

        /// The variable a key names, where it may appear; a problem (with a did-you-mean) otherwise.
        mutating func variable(_ key: String, at prefix: String, allowed: Set<ConfigVariable.Scope>) -> ConfigVariable? {
            let shown = prefix + OneLineText.escaped(key)
            if let variable = ConfigVariable(fileKey: key) {
                if allowed.contains(variable.scope) { return variable }
                switch variable.scope {
                case .gateway: fail(shown, "is gateway-wide: set it at the top level (or in defaults:)")
                case .tunnel: fail(shown, "belongs to a tunnel: set it in a tunnel or in defaults:")
                case .environment: fail(shown, "is read from the environment only")
                }
                return nil
            }
            if key == ConfigurationFile.nameKey {
                fail(shown, "names a tunnel: set it in each entry of tunnels:")
                return nil
            }
            let known = ConfigVariable.allCases.compactMap(\.fileKey) + [ConfigurationFile.nameKey, ConfigurationFile.tunnelsKey, ConfigurationFile.defaultsKey]
            let lowered = key.lowercased().replacingOccurrences(of: "-", with: "_")
            let fromVariable = ConfigVariable(rawValue: key.uppercased())?.fileKey
            let ranked = known.map { ($0, editDistance(lowered, $0)) }.min { $0.1 < $1.1 }
            let suggestion = fromVariable ?? ranked.flatMap { $0.1 <= max(2, $0.0.count / 4) ? $0.0 : nil }
            fail(shown, "is not a key vnf-ipsec knows" + (suggestion.map { "; did you mean \($0)?" } ?? ""))
            return nil
        }

        /// A value as the variable's text: a scalar as written, a list of scalars joined by commas (upstream's
        /// list syntax), null as unset.
        mutating func scalarText(_ node: Node, key: String) -> String? {
            budget -= 1
            switch node {
            case .scalar(let scalar):
                if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return nil }
                return scalar.string
            case .sequence(let list):
                var items: [String] = []
                for item in list {
                    budget -= 1
                    guard budget > 0 else { return nil }
                    guard case .scalar(let scalar) = item else {
                        fail(key, "must be a list of plain values", line: item.mark?.line)
                        return nil
                    }
                    items.append(scalar.string)
                }
                return items.joined(separator: ",")
            case .mapping:
                fail(key, "must be a value or a list, not a mapping", line: node.mark?.line)
                return nil
            }
        }
    }
}
