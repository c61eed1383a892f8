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

    @Test func configurationPageDocumentsExactlyTheVariablesTheCodeReads() throws {
        let page = try Self.read("docs/configuration.md")
        let documented = Set(page.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
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
        #expect(dockerfile.contains("--static-swift-stdlib"))
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
        #expect(files == ["configmap.yaml", "deployment.yaml", "policy-based/configmap.yaml", "policy-based/deployment.yaml", "secret.yaml"])
        let commands = try Self.subcommands()
        var sawProbe = false, sawInit = false, sawSecret = false
        for file in files {
            let yaml = try Self.read("docs/kubernetes/\(file)")
            let document = try #require(try Yams.load(yaml: yaml) as? [String: Any], "\(file) does not parse")
            #expect(document["apiVersion"] is String && document["kind"] is String, "\(file)")
            if let data = document["data"] as? [String: Any] {
                for key in data.keys { #expect(Self.known.contains(key), "\(file): \(key) is not a variable") }
            }
            guard let spec = ((document["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any] else { continue }
            #expect(spec["hostNetwork"] as? Bool == true)
            let containers = (spec["initContainers"] as? [[String: Any]] ?? []) + (spec["containers"] as? [[String: Any]] ?? [])
            for container in containers {
                let args = container["args"] as? [String] ?? []
                #expect(args.first.map(commands.contains) == true, "\(args)")
                if args.first == "init" { sawInit = true }
                for env in container["env"] as? [[String: Any]] ?? [] {
                    let name = env["name"] as? String ?? ""
                    #expect(Self.known.contains(name), "\(name) is not a variable")
                    if name == "IPSEC_PSK" { sawSecret = ((env["valueFrom"] as? [String: Any])?["secretKeyRef"]) != nil }
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
        }
        #expect(sawProbe && sawInit && sawSecret, "probes on status, the VTI init container, the PSK from a Secret")
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
        for target in targets {
            let name = try #require(target["name"] as? String)
            #expect(page.contains("\n## \(name)\n"), "docs/architecture.md has no section for \(name)")
            let dependencies = (target["dependencies"] as? [[String: Any]] ?? []).compactMap { ($0["byName"] as? [Any])?.first as? String }
                .filter(modules.contains)
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
