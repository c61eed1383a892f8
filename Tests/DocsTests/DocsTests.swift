import Foundation
import IPsecCore
import Testing
import TestSupport
import Yams

/// The documents an operator reads must match the code: every variable documented, no invented ones,
/// manifests and the Dockerfile naming commands and variables that exist.
@Suite struct DocsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func read(_ path: String) throws -> String { try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }
    static let known = Set(ConfigVariable.allCases.map(\.rawValue))

    /// The CLI's subcommands, as the built binary's --help lists them.
    static func subcommands() throws -> Set<String> {
        let help = try Shell.run([GatewaySite.binary, "--help"]).stdout
        let section = help.components(separatedBy: "SUBCOMMANDS:").last ?? ""
        return Set(section.split(separator: "\n").compactMap { line in
            line.hasPrefix("  ") ? line.split(separator: " ").first.map(String.init) : nil
        })
    }

    /// The rows of the Markdown table whose header row starts with `header` (e.g. "| Variable |"), each as
    /// its cells, trimmed (an escaped `\|` stays inside its cell).
    static func table(_ page: String, header: String) -> [[String]] {
        let lines = page.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(header) }) else { return [] }
        return lines.dropFirst(start + 2).prefix { $0.hasPrefix("|") }.map { line in
            line.replacingOccurrences(of: "\\|", with: "\u{0}").split(separator: "|", omittingEmptySubsequences: false)
                .dropFirst().dropLast().map { $0.replacingOccurrences(of: "\u{0}", with: "|").trimmingCharacters(in: .whitespaces) }
        }
    }

    /// A cell's text without the backticks around it.
    static func code(_ cell: String) -> String { cell.trimmingCharacters(in: CharacterSet(charactersIn: "`")) }

    /// The backticked words of a cell, in order.
    static func codes(_ cell: String) -> [String] { cell.matches(of: /`([^`]+)`/).map { String($0.output.1) } }

    /// The fenced blocks of a language in a Markdown page.
    static func fencedBlocks(_ page: String, language: String) -> [String] {
        var blocks: [String] = [], current: [Substring]?
        for line in page.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```\(language)" { current = [] }
            else if current != nil, line == "```" { blocks.append(current!.joined(separator: "\n") + "\n"); current = nil }
            else { current?.append(line) }
        }
        return blocks
    }

    @Test func configurationPageDocumentsExactlyTheVariablesTheCodeReads() throws {
        let page = try Self.read("docs/configuration.md")
        let documented = Set(Self.table(page, header: "| Variable |").map { Self.code($0[0]) })
        #expect(documented.subtracting(Self.known).isEmpty, "documented but not read: \(documented.subtracting(Self.known))")
        #expect(Self.known.subtracting(documented).isEmpty, "read but not documented: \(Self.known.subtracting(documented))")
        // Any IPSEC_* name mentioned anywhere in the docs must be real.
        for doc in ["docs/configuration.md", "docs/operations.md", "docs/migration.md", "README.md"] {
            let text = try Self.read(doc)
            let names = text.matches(of: /IPSEC_[A-Z_]+[A-Z]/).map { String($0.output) }
            for name in names { #expect(Self.known.contains(name), "\(doc) names \(name), which the code does not read") }
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: GatewaySite.binary), "needs the built binary"))
    func dockerfileIsMultiStageAndNamesRealCommands() throws {
        let dockerfile = try Self.read("Docker/Dockerfile")
        let instructions = dockerfile.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        let known: Set = ["FROM", "RUN", "COPY", "WORKDIR", "ENTRYPOINT", "CMD", "HEALTHCHECK", "ENV", "ARG", "LABEL"]
        var continued = false
        for line in instructions {
            if !continued { #expect(known.contains(String(line.split(separator: " ")[0])), "unknown instruction: \(line)") }
            continued = line.hasSuffix("\\")
        }
        #expect(instructions.filter { $0.hasPrefix("FROM ") }.count >= 2, "multi-stage build")
        #expect(try Self.read("scripts/build-static.sh").contains("--static-swift-stdlib"))
        // The shipped binary is built in three places, by one script (the benchmarks measure what ships).
        for file in ["Docker/Dockerfile", "scripts/image.sh", "Benchmarks/run.sh"] {
            #expect(try Self.read(file).contains("scripts/build-static.sh"), "\(file) does not build the shipped binary with scripts/build-static.sh")
        }
        // The image's own build (never run where no registry is reachable) must have what the script reads.
        let copiedScripts = instructions.filter { $0.hasPrefix("COPY scripts/") }.joined(separator: " ")
        for file in ["scripts/build-static.sh", "scripts/hot-functions.order"] {
            #expect(copiedScripts.contains(file), "the Dockerfile's build stage does not copy \(file)")
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(file).path), "\(file) missing")
        }
        #expect(dockerfile.contains("COPY Docker/runtime-packages.txt"), "the runtime installs the pinned package file")
        #expect(!dockerfile.contains("iproute2"), "no iproute2 at run time")
        let commands = try Self.subcommands()
        #expect(commands.isSuperset(of: ["run", "init", "status", "check", "render"]), "\(commands)")
        let cmd = try #require(instructions.first { $0.hasPrefix("CMD ") })
        #expect(cmd == "CMD [\"run\"]")
        #expect(instructions.contains("ENTRYPOINT [\"/usr/local/bin/vnf-ipsec\"]"))
        let health = try #require(instructions.first { $0.hasPrefix("HEALTHCHECK") })
        #expect(health.hasSuffix("CMD [\"/usr/local/bin/vnf-ipsec\", \"status\", \"--live\"]"), "liveness, not readiness: \(health)")
        // Every pinned package exists in the file as name=version.
        let pins = try Self.read("Docker/runtime-packages.txt").split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(pins.allSatisfy { $0.contains("=") }, "\(pins)")
        #expect(pins.contains { $0.hasPrefix("strongswan-charon=") })
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: GatewaySite.binary), "needs the built binary"))
    func kubernetesManifestsParseAndUseRealVariablesAndCommands() throws {
        let folder = Self.root.appendingPathComponent("docs/kubernetes")
        let files = try #require(FileManager.default.subpaths(atPath: folder.path)).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == ["bgp/bird-configmap.yaml", "bgp/configmap.yaml", "bgp/deployment.yaml", "bgp/secret.yaml",
                         "certificates/certificate.yaml", "certificates/deployment.yaml", "configmap.yaml", "deployment.yaml",
                         "many-tunnels/configmap.yaml", "many-tunnels/deployment.yaml",
                         "many-tunnels/secret.yaml", "podmonitor.yaml", "policy-based/configmap.yaml", "policy-based/deployment.yaml",
                         "secret.yaml"])
        let commands = try Self.subcommands()
        var sawProbe = false, sawInit = false, sawSecret = false, sawConfigFile = false, sawMetrics = false, sawBIRD = false
        // The named container ports of each Deployment's pods, by the pods' labels (for the PodMonitor).
        var podPorts: [(labels: [String: String], ports: [String: Int])] = []
        var documents: [(file: String, document: [String: Any])] = []
        for file in files {
            let yaml = try Self.read("docs/kubernetes/\(file)")
            let document = try #require(try Yams.load(yaml: yaml) as? [String: Any], "\(file) does not parse")
            #expect(document["apiVersion"] is String && document["kind"] is String, "\(file)")
            documents.append((file, document))
        }
        for (file, document) in documents {
            if let data = document["data"] as? [String: Any] {
                // A key named *.yaml is a configuration file (loaded below, through the Deployment that mounts it),
                // bird.conf a BIRD sidecar's (parsed below, where a sidecar mounts it).
                for key in data.keys where !key.hasSuffix(".yaml") && key != "bird.conf" { #expect(Self.known.contains(key), "\(file): \(key) is not a variable") }
            }
            guard let template = (document["spec"] as? [String: Any])?["template"] as? [String: Any],
                  let spec = template["spec"] as? [String: Any] else { continue }
            #expect(spec["hostNetwork"] as? Bool == true)
            var ports: [String: Int] = [:]
            let containers = (spec["initContainers"] as? [[String: Any]] ?? []) + (spec["containers"] as? [[String: Any]] ?? [])
            for container in containers {
                // A sidecar (BIRD) is not vnf-ipsec: its own checks, then the next container.
                if let command = container["command"] as? [String], command.first == "bird" {
                    Self.checkBIRDSidecar(container, command: command, file: file, volumes: spec["volumes"] as? [[String: Any]] ?? [], documents: documents.map(\.document))
                    sawBIRD = true
                    continue
                }
                let args = container["args"] as? [String] ?? []
                #expect(args.first.map(commands.contains) == true, "\(args)")
                if args.first == "init" { sawInit = true }
                // Variables from the downward API (the pod's address) exist only to be put into a real one as
                // `$(NAME)`; every other variable must be one vnf-ipsec reads.
                var downward: [String: String] = [:]
                for port in container["ports"] as? [[String: Any]] ?? [] {
                    if let name = port["name"] as? String, let number = port["containerPort"] as? Int { ports[name] = number }
                }
                for env in container["env"] as? [[String: Any]] ?? [] {
                    let name = env["name"] as? String ?? ""
                    if ((env["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any])?["fieldPath"] as? String == "status.podIP" {
                        downward[name] = "10.0.0.5"
                        continue
                    }
                    #expect(Self.known.contains(name), "\(name) is not a variable")
                    if name == ConfigVariable.metricsListen.rawValue, var value = env["value"] as? String {
                        #expect(!value.hasPrefix("0.0.0.0") && !value.hasPrefix("[::]"), "\(file): metrics on every address of the node (hostNetwork)")
                        for (variable, example) in downward { value = value.replacingOccurrences(of: "$(\(variable))", with: example) }
                        let listen = ListenAddress(value)
                        #expect(listen != nil, "\(file): IPSEC_METRICS_LISTEN=\(value) does not parse")
                        #expect(listen.map { Int($0.port) } == ports["metrics"], "\(file): IPSEC_METRICS_LISTEN's port is not the container port named metrics")
                        sawMetrics = true
                    }
                    if name == "IPSEC_PSK" { sawSecret = ((env["valueFrom"] as? [String: Any])?["secretKeyRef"]) != nil }
                    // A configuration file: it loads, without a warning, from the files this container mounts.
                    if name == ConfigVariable.configFile.rawValue, let path = env["value"] as? String {
                        let mounted = Self.mountedFiles(container, volumes: spec["volumes"] as? [[String: Any]] ?? [], documents: documents.map(\.document))
                        #expect(mounted[path] != nil, "\(file): \(path) is not mounted in \(container["name"] ?? "")")
                        let files = FileAccess(read: { path in
                            guard let file = mounted[path] else { throw CocoaError(.fileReadNoSuchFile) }
                            return file.text
                        }, permissions: { mounted[$0]?.mode })
                        do {
                            // As the command reads it: init reads the whole gateway when it can (then it installs the guards).
                            let loaded = args.first == "init" ? try GatewayConfig.loadForInit(environment: [name: path], files: files).loaded
                                : try GatewayConfig.load(environment: [name: path], files: files)
                            #expect(loaded.warnings.isEmpty, "\(file) \(args): \(loaded.warnings)")
                            if args.first != "init", loaded.config.tunnels.count > 1 { sawConfigFile = true }
                        } catch {
                            Issue.record("\(file) \(args): \(path) does not load: \(error)")
                        }
                    }
                }
                let securityContext = container["securityContext"] as? [String: Any] ?? [:]
                let capabilities = securityContext["capabilities"] as? [String: Any] ?? [:]
                let added = capabilities["add"] as? [String] ?? []
                #expect(added.contains("NET_ADMIN") && securityContext["privileged"] == nil, "NET_ADMIN, not privileged")
                if (capabilities["drop"] as? [String])?.contains("ALL") == true {
                    // charon refuses to bind UDP 500/4500 without it (RequiredCapabilities).
                    #expect(added.contains("NET_BIND_SERVICE"), "\(file): all capabilities dropped but NET_BIND_SERVICE not added back")
                }
                // Liveness is charon answering; readiness is the tunnel. A remote outage must not restart it.
                let expected = ["readinessProbe": ["/usr/local/bin/vnf-ipsec", "status"],
                                "livenessProbe": ["/usr/local/bin/vnf-ipsec", "status", "--live"]]
                for (probe, want) in expected {
                    if let command = ((container[probe] as? [String: Any])?["exec"] as? [String: Any])?["command"] as? [String] {
                        #expect(command == want, "\(file) \(probe): \(command)")
                        sawProbe = true
                    }
                }
            }
            let labels = ((template["metadata"] as? [String: Any])?["labels"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            podPorts.append((labels, ports))
        }
        // The PodMonitor (a CRD, which kubernetes-validate cannot check) selects pods that have the ports it scrapes.
        let monitors = documents.filter { $0.document["kind"] as? String == "PodMonitor" }
        #expect(monitors.count == 1)
        for (file, monitor) in monitors {
            #expect(monitor["apiVersion"] as? String == "monitoring.coreos.com/v1", "\(file)")
            let spec = monitor["spec"] as? [String: Any] ?? [:]
            let selector = ((spec["selector"] as? [String: Any])?["matchLabels"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            let selected = podPorts.filter { pod in !selector.isEmpty && selector.allSatisfy { pod.labels[$0.key] == $0.value } }
            #expect(!selected.isEmpty, "\(file): \(selector) selects no Deployment's pods")
            let endpoints = spec["podMetricsEndpoints"] as? [[String: Any]] ?? []
            #expect(!endpoints.isEmpty, "\(file)")
            for endpoint in endpoints {
                let port = endpoint["port"] as? String ?? ""
                #expect(selected.contains { $0.ports[port] != nil }, "\(file): no selected pod has a port named \(port)")
                #expect(endpoint["path"] as? String == "/metrics", "\(file)")
            }
        }
        // cert-manager's Certificate (a CRD) writes the Secret a Deployment mounts owner-only, where its
        // IPSEC_LOCALCERT, IPSEC_LOCALKEY and IPSEC_CACERT point: cert-manager's tls.crt, tls.key, ca.crt.
        let certificates = documents.filter { $0.document["kind"] as? String == "Certificate" }
        #expect(certificates.count == 1)
        for (file, certificate) in certificates {
            #expect(certificate["apiVersion"] as? String == "cert-manager.io/v1", "\(file)")
            let spec = certificate["spec"] as? [String: Any] ?? [:]
            #expect(["ECDSA", "RSA", "Ed25519"].contains((spec["privateKey"] as? [String: Any])?["algorithm"] as? String ?? ""), "\(file)")
            let secretName = try #require(spec["secretName"] as? String)
            let users = documents.compactMap { entry -> (String, [String: Any], [[String: Any]])? in
                guard let podSpec = (((entry.document["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]) else { return nil }
                let volumes = podSpec["volumes"] as? [[String: Any]] ?? []
                guard let volume = volumes.first(where: { ($0["secret"] as? [String: Any])?["secretName"] as? String == secretName }) else { return nil }
                return (entry.file, volume, podSpec["containers"] as? [[String: Any]] ?? [])
            }
            #expect(users.count == 1, "\(file): the Secret \(secretName) is mounted by \(users.map(\.0))")
            for (user, volume, containers) in users {
                let mode = (volume["secret"] as? [String: Any])?["defaultMode"] as? Int ?? 0o644
                #expect(mode & 0o077 == 0, "\(user): the key must be readable by its owner only (defaultMode \(String(mode, radix: 8)))")
                for container in containers {
                    guard let mount = (container["volumeMounts"] as? [[String: Any]])?.first(where: { $0["name"] as? String == volume["name"] as? String }),
                          let folder = mount["mountPath"] as? String else { continue }
                    let env = Dictionary((container["env"] as? [[String: Any]] ?? []).compactMap { entry in
                        (entry["name"] as? String).flatMap { name in (entry["value"] as? String).map { (name, $0) } }
                    }) { first, _ in first }
                    #expect(env["IPSEC_AUTH"] == "pubkey" && env["IPSEC_PSK"] == nil, "\(user)")
                    #expect(env["IPSEC_LOCALCERT"] == folder + "/tls.crt" && env["IPSEC_LOCALKEY"] == folder + "/tls.key"
                            && env["IPSEC_CACERT"] == folder + "/ca.crt", "\(user): \(env)")
                }
            }
        }
        #expect(sawMetrics, "a Deployment publishes metrics")
        #expect(sawProbe && sawInit && sawSecret, "probes on status, the VTI init container, the PSK from a Secret")
        #expect(sawConfigFile, "a gateway with many tunnels from a mounted configuration file")
        #expect(sawBIRD, "a gateway with BIRD as a sidecar (docs/kubernetes/bgp)")
    }

    /// A BIRD sidecar: its configuration file is mounted where `-c` says and BIRD itself parses it (`bird -p`,
    /// Debian's bird2 from scripts/setup.sh); its control socket is on a writable volume; NET_ADMIN (the
    /// kernel's routes) and NET_BIND_SERVICE (BGP's port 179) are its only capabilities, never privileged.
    static func checkBIRDSidecar(_ container: [String: Any], command: [String], file: String, volumes: [[String: Any]], documents: [[String: Any]]) {
        func value(after flag: String) -> String? { command.firstIndex(of: flag).flatMap { command.indices.contains($0 + 1) ? command[$0 + 1] : nil } }
        let mounted = mountedFiles(container, volumes: volumes, documents: documents)
        guard let path = value(after: "-c"), let conf = mounted[path] else {
            Issue.record("\(file): bird's -c \(value(after: "-c") ?? "(none)") is not a mounted file")
            return
        }
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("docs-bird-\(getpid()).conf")
        defer { try? FileManager.default.removeItem(at: copy) }
        do {
            try conf.text.write(to: copy, atomically: true, encoding: .utf8)
            let parsed = try Shell.run(["bird", "-p", "-c", copy.path])
            #expect(parsed.status == 0, "\(file): BIRD refuses \(path): \(parsed.output)")
        } catch {
            Issue.record("\(file): cannot run bird -p (scripts/setup.sh installs bird2): \(error)")
        }
        let socket = value(after: "-s") ?? ""
        let writable = (container["volumeMounts"] as? [[String: Any]] ?? []).contains { mount in
            guard let folder = mount["mountPath"] as? String, mount["readOnly"] as? Bool != true,
                  let volume = volumes.first(where: { $0["name"] as? String == mount["name"] as? String }) else { return false }
            return volume["emptyDir"] != nil && socket.hasPrefix(folder + "/")
        }
        #expect(writable, "\(file): bird's control socket \(socket) is not on a writable emptyDir")
        let securityContext = container["securityContext"] as? [String: Any] ?? [:]
        let capabilities = securityContext["capabilities"] as? [String: Any] ?? [:]
        #expect(securityContext["privileged"] == nil, "\(file): the BIRD sidecar is privileged")
        #expect(capabilities["drop"] as? [String] == ["ALL"], "\(file): the BIRD sidecar keeps capabilities it does not need")
        #expect(Set(capabilities["add"] as? [String] ?? []) == ["NET_ADMIN", "NET_BIND_SERVICE"], "\(file): \(capabilities)")
    }

    /// The files a container sees through its volume mounts of ConfigMaps and Secrets (also projected),
    /// with the mode Kubernetes gives them (an item's mode, else the volume's defaultMode, else 0644).
    static func mountedFiles(_ container: [String: Any], volumes: [[String: Any]], documents: [[String: Any]]) -> [String: (text: String, mode: UInt16)] {
        func contents(kind: String, name: String?) -> [String: String] {
            guard let document = documents.first(where: { $0["kind"] as? String == kind && ($0["metadata"] as? [String: Any])?["name"] as? String == name }) else { return [:] }
            var result = (document["stringData"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
            for (key, value) in document["data"] as? [String: Any] ?? [:] {
                guard let text = value as? String else { continue }
                result[key] = kind == "Secret" ? Data(base64Encoded: text).map { String(decoding: $0, as: UTF8.self) } : text
            }
            return result
        }
        func files(of source: [String: Any], kind: String, defaultMode: Int) -> [(String, String, Int)] {
            let data = contents(kind: kind, name: (source["name"] ?? source["secretName"]) as? String)
            guard let items = source["items"] as? [[String: Any]] else { return data.map { ($0.key, $0.value, defaultMode) } }
            return items.compactMap { item in
                guard let key = item["key"] as? String, let path = item["path"] as? String, let text = data[key] else { return nil }
                return (path, text, item["mode"] as? Int ?? defaultMode)
            }
        }
        var result: [String: (text: String, mode: UInt16)] = [:]
        for mount in container["volumeMounts"] as? [[String: Any]] ?? [] {
            guard let volume = volumes.first(where: { $0["name"] as? String == mount["name"] as? String }),
                  let folder = mount["mountPath"] as? String else { continue }
            var found: [(String, String, Int)] = []
            if let configMap = volume["configMap"] as? [String: Any] {
                found = files(of: configMap, kind: "ConfigMap", defaultMode: configMap["defaultMode"] as? Int ?? 0o644)
            } else if let secret = volume["secret"] as? [String: Any] {
                found = files(of: secret, kind: "Secret", defaultMode: secret["defaultMode"] as? Int ?? 0o644)
            } else if let projected = volume["projected"] as? [String: Any] {
                let mode = projected["defaultMode"] as? Int ?? 0o644
                for source in projected["sources"] as? [[String: Any]] ?? [] {
                    if let configMap = source["configMap"] as? [String: Any] { found += files(of: configMap, kind: "ConfigMap", defaultMode: mode) }
                    if let secret = source["secret"] as? [String: Any] { found += files(of: secret, kind: "Secret", defaultMode: mode) }
                }
            }
            for (path, text, mode) in found { result[folder + "/" + path] = (text, UInt16(mode)) }
        }
        return result
    }

    /// docs/configuration.md's table of file keys lists exactly the keys a configuration file may hold, each
    /// with its scope and variable as ConfigVariable says.
    @Test func fileKeyTableListsExactlyTheKeysTheCodeAccepts() throws {
        let rows = Self.table(try Self.read("docs/configuration.md"), header: "| Key | Scope | Variable |")
        let documented = rows.map { Self.code($0[0]) }
        let accepted = ConfigVariable.allCases.compactMap(\.fileKey) + ["name", "tunnels", "defaults"]
        #expect(Set(documented).subtracting(accepted).isEmpty, "documented but not accepted: \(Set(documented).subtracting(accepted))")
        #expect(Set(accepted).subtracting(documented).isEmpty, "accepted but not documented: \(Set(accepted).subtracting(documented))")
        #expect(documented.count == Set(documented).count, "a key is listed twice")
        for row in rows {
            guard let variable = ConfigVariable(fileKey: Self.code(row[0])) else { continue }
            #expect(row[1] == variable.scope.rawValue, "\(row[0]): scope \(row[1]), the code says \(variable.scope.rawValue)")
            #expect(Self.code(row[2]) == variable.rawValue, "\(row[0]): variable \(row[2]), the code says \(variable.rawValue)")
        }
        #expect(ConfigVariable.allCases.filter { $0.scope == .environment }.allSatisfy { $0.fileKey == nil })
    }

    /// The per-tunnel behaviour table: the values each key takes are the code's choices, and the defaults
    /// are what a tunnel that sets none of them gets.
    @Test func behaviourTableShowsTheCodesChoicesAndDefaults() throws {
        let rows = Self.table(try Self.read("docs/configuration.md"), header: "| Key | Values | Default")
        let byKey = Dictionary(rows.map { (Self.code($0[0]), $0) }) { first, _ in first }
        #expect(Set(byKey.keys) == ["role", "dpd_delay", "dpd_timeout", "dpd_action", "start_action", "close_action", "keyingtries"])
        #expect(byKey.keys.allSatisfy { ConfigVariable(fileKey: $0) != nil })
        #expect(Self.codes(byKey["role"]?[1] ?? "") == TunnelBehaviour.Role.allCases.map(\.rawValue))
        #expect(Self.codes(byKey["dpd_action"]?[1] ?? "") == TunnelBehaviour.DPDAction.allCases.map(\.rawValue))
        #expect(Self.codes(byKey["start_action"]?[1] ?? "") == TunnelBehaviour.StartAction.allCases.map(\.rawValue))
        #expect(Self.codes(byKey["close_action"]?[1] ?? "") == TunnelBehaviour.CloseAction.allCases.map(\.rawValue))
        // A tunnel that sets none of them, as the file reads it.
        let yaml = "tunnels:\n  - {name: t, localip: 192.0.2.1, remoteip: 192.0.2.2, localnet: 10.1.0.0/16, remotenet: 10.2.0.0/16, psk: docs-behaviour-key-0123456789}\n"
        let loaded = try GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": "/g.yaml"], files: FileAccess(read: { _ in yaml }))
        let tunnel = try #require(loaded.config.tunnels.first)
        let defaults = tunnel.behaviour
        func documentedDefault(_ key: String) -> String? { Self.codes(byKey[key]?[2] ?? "").first }
        #expect(documentedDefault("role") == defaults.role.rawValue)
        #expect(documentedDefault("dpd_delay").flatMap(Lifetime.init) == defaults.dpdDelay)
        #expect(defaults.dpdTimeout == nil && byKey["dpd_timeout"]?[2].contains("strongSwan") == true)
        #expect(documentedDefault("dpd_action") == defaults.dpdAction.rawValue)
        #expect(documentedDefault("start_action") == tunnel.effectiveStartAction.rawValue)
        #expect(documentedDefault("close_action") == defaults.closeAction.rawValue)
        #expect(documentedDefault("keyingtries") == String(defaults.keyingTries))
    }

    /// Every YAML example in the documentation is a configuration file that loads without a problem or a
    /// warning: each ```yaml block of the Markdown pages, and each configuration a ConfigMap under
    /// docs/kubernetes holds. A key file an example names is served with a strong key, readable by its owner only.
    @Test func yamlExamplesInTheDocsLoad() throws {
        let docs = Self.root.appendingPathComponent("docs")
        let paths = try #require(FileManager.default.subpaths(atPath: docs.path)).sorted()
        var examples: [(place: String, yaml: String)] = []
        for page in paths.filter({ $0.hasSuffix(".md") }).map({ "docs/" + $0 }) + ["README.md"] {
            for (index, block) in Self.fencedBlocks(try Self.read(page), language: "yaml").enumerated() {
                examples.append(("\(page), YAML example \(index + 1)", block))
            }
        }
        #expect(examples.filter { $0.place.hasPrefix("docs/configuration.md") }.count >= 2, "the complete example and the policy-based one")
        for file in paths.filter({ $0.hasSuffix(".yaml") }) {
            let document = try #require(try Yams.load(yaml: try Self.read("docs/" + file)) as? [String: Any], "\(file) does not parse")
            if document["kind"] == nil { examples.append(("docs/\(file)", try Self.read("docs/" + file))); continue }
            for (key, value) in document["data"] as? [String: Any] ?? [:] where key.hasSuffix(".yaml") {
                examples.append(("docs/\(file), \(key)", try #require(value as? String)))
            }
        }
        #expect(examples.contains { $0.place.hasPrefix("docs/kubernetes/") }, "a ConfigMap holds a configuration file")
        for (place, yaml) in examples {
            let path = "/etc/vnf-ipsec/gateway.yaml"
            let files = FileAccess(read: { $0 == path ? yaml : "example-key-for-\($0)\n" }, permissions: { _ in 0o400 })
            do {
                let loaded = try GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": path], files: files)
                #expect(loaded.warnings.isEmpty, "\(place): \(loaded.warnings)")
                #expect(!loaded.config.tunnels.isEmpty, "\(place)")
            } catch {
                Issue.record("\(place) does not load: \(error)")
            }
        }
    }

    @Test func architecturePageShowsTheCompiledEmbeddingExample() throws {
        let page = try Self.read("docs/architecture.md")
        let example = try Self.read("Tests/DocsTests/EmbeddingExample.swift")
        let code = example.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("//") }.joined(separator: "\n")
        #expect(page.contains("```swift\n" + code + "```"), "docs/architecture.md's example differs from Tests/DocsTests/EmbeddingExample.swift")
    }

    /// `bash Benchmarks/run.sh` works in a clone of any name: the benchmarks' manifest names the parent
    /// package, whose identity is its folder's name. SwiftPM's own graph loading is the judge.
    @Test func benchmarksPackageResolvesInACheckoutOfAnyFolderName() throws {
        let copy = NSTemporaryDirectory() + "vnf-ipsec-clone-\(UInt32.random(in: 0 ... .max))"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for item in ["Package.swift", "Sources", "Tests", "Benchmarks"] {
            try Shell.run(["/bin/cp", "-r", Self.root.appendingPathComponent(item).path, copy + "/" + item])
        }
        try? FileManager.default.removeItem(atPath: copy + "/Benchmarks/.build")
        let graph = try Shell.run(["swift", "package", "--package-path", copy + "/Benchmarks", "show-dependencies"], timeout: 120)
        #expect(graph.status == 0, "\(graph.output)")
        #expect(graph.stdout.contains(URL(fileURLWithPath: copy).lastPathComponent), "\(graph.output)")
    }

    /// docs/architecture.md draws the module graph: every library and executable target of Package.swift
    /// has its section and its line in the diagram, with exactly the dependencies the manifest gives it.
    @Test func architecturePageMatchesThePackageGraph() throws {
        // Its own scratch folder: the running `swift test` holds the lock on .build.
        let scratch = NSTemporaryDirectory() + "vnf-ipsec-dump-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let dump = try Shell.run(["swift", "package", "--package-path", Self.root.path, "--scratch-path", scratch, "dump-package"], timeout: 120)
        #expect(dump.status == 0, "\(dump.stderr)")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any])
        let all = manifest["targets"] as? [[String: Any]] ?? []
        let targets = all.filter { ["regular", "executable"].contains($0["type"] as? String) && ($0["name"] as? String) != "TestSupport" }
        let modules = Set(all.filter { ["regular", "executable", "system"].contains($0["type"] as? String) }.compactMap { $0["name"] as? String })
        let page = try Self.read("docs/architecture.md")
        let packages = Dictionary(Self.table(page, header: "| Target | Packages |").map { ($0[0], Self.codes($0[1])) }) { first, _ in first }
        #expect(!packages.isEmpty, "docs/architecture.md has no table of packages")
        for target in targets {
            let name = try #require(target["name"] as? String)
            #expect(page.contains("\n## \(name)\n"), "docs/architecture.md has no section for \(name)")
            let dependencies = (target["dependencies"] as? [[String: Any]] ?? []).compactMap { ($0["byName"] as? [Any])?.first as? String }
                .filter(modules.contains)
            // Products of other packages are not drawn: the table of packages names them per target.
            let products = Set((target["dependencies"] as? [[String: Any]] ?? []).compactMap { ($0["product"] as? [Any])?.first as? String })
            #expect(Set(packages[name] ?? []) == products, "\(name): the packages table shows \(packages[name] ?? []), Package.swift says \(products.sorted())")
            // In the diagram a target's dependencies are the lines indented one level below it.
            let lines = page.split(separator: "\n").map(String.init)
            guard let at = lines.firstIndex(where: { $0.contains("── \(name) ") || $0.hasSuffix("── \(name)") || $0.hasPrefix("    \(name) ") }) else {
                Issue.record("\(name) is not in the diagram"); continue
            }
            let column = lines[at].firstIndex(where: { $0.isLetter }).map { lines[at].distance(from: lines[at].startIndex, to: $0) } ?? 0
            var drawn: [String] = []
            for line in lines[(at + 1)...] {
                guard let letter = line.firstIndex(where: { $0.isLetter }) else { break }
                let indent = line.distance(from: line.startIndex, to: letter)
                if indent <= column { break }
                if indent == column + 6 { drawn.append(String(line[letter...].prefix { !$0.isWhitespace })) }
            }
            #expect(Set(drawn) == Set(dependencies), "\(name): the diagram shows \(drawn), Package.swift says \(dependencies)")
        }
    }
}
