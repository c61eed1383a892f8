import Foundation
import Testing
import TestSupport

/// The CLI as an operator meets it: the built `vnf-ipsec` binary run with a clean environment, its exit
/// status, what it prints on each stream, and what it leaves on disk.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: GatewaySite.binary), "needs a built vnf-ipsec (swift build)"))
struct CLITests {
    static let psk = "cli-test-psk-0123456789abc"
    static let valid = [
        "IPSEC_LOCALIP": "192.0.2.1", "IPSEC_LOCALID": "192.0.2.1", "IPSEC_LOCALNET": "198.51.100.0/24",
        "IPSEC_REMOTEIP": "192.0.2.2", "IPSEC_REMOTEID": "192.0.2.2", "IPSEC_REMOTENET": "203.0.113.0/24",
        "IPSEC_PSK": psk,
    ]

    func vnf(_ arguments: [String], _ environment: [String: String] = valid) throws -> Shell.Result {
        try Shell.run([GatewaySite.binary] + arguments, environment: environment, timeout: 20)
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vnf-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func mode(_ url: URL) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func checkPrintsTheTunnelWithTheKeyRedactedAndExits0() throws {
        let result = try vnf(["check"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("configuration is valid"))
        #expect(result.stdout.contains("local subnets      198.51.100.0/24"))
        #expect(result.stdout.contains("pre-shared key     <redacted 26 bytes>"))
        #expect(!result.output.contains(Self.psk))
    }

    @Test func checkPrintsTheTunnelAsJSONWithTheKeyRedacted() throws {
        let result = try vnf(["check", "--json"])
        #expect(result.status == 0, "\(result.output)")
        let gateway = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
        let tunnel = try #require((gateway["tunnels"] as? [[String: Any]])?.first, "\(result.stdout)")
        #expect(tunnel["name"] as? String == "vnf-ipsec")
        #expect(tunnel["remoteNets"] as? [String] == ["203.0.113.0/24"])
        #expect(tunnel["remote"] as? String == "192.0.2.2")
        #expect((tunnel["psk"] as? String)?.hasPrefix("<redacted") == true, "\(tunnel["psk"] ?? "nil")")
        #expect(!result.output.contains(Self.psk))
    }

    @Test func checkNamesEveryProblemAndTheMisspeltVariableAndExits2() throws {
        var environment = Self.valid
        environment["IPSEC_REMOTENET"] = nil
        environment["IPSEC_REMOTNET"] = "203.0.113.0/24"
        environment["IPSEC_LIFETIME"] = "48h"
        environment["IPSEC_PSK"] = "shortsecret"
        let result = try vnf(["check"], environment)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("warning: IPSEC_REMOTNET: is not a variable vnf-ipsec knows and is ignored; did you mean IPSEC_REMOTENET?"))
        #expect(result.stderr.contains("error: configuration has 3 problems:"))
        #expect(result.stderr.contains(#"  - IPSEC_LIFETIME="48h": must be at most 24h (86400s)"#))
        #expect(result.stderr.contains("  - IPSEC_PSK: the key is shorter than 20 characters"))
        #expect(result.stderr.contains("  - IPSEC_REMOTENET: is required"))
        #expect(!result.output.contains("shortsecret"))
    }

    @Test func anUnreadableEnvFileIsNamedAndExits2() throws {
        let result = try vnf(["check"], ["ENVFILE": "/nonexistent/site.env"])
        #expect(result.status == 2)
        #expect(result.stderr.contains(#"ENVFILE="/nonexistent/site.env": cannot be read"#))
    }

    @Test func anEnvFileThatIsNotTextIsNamedInWords() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vnf-cli-\(UUID().uuidString).env")
        try Data([0x49, 0x50, 0x3D, 0xFF, 0xFE, 0x0A]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try vnf(["check"], ["ENVFILE": file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("cannot be read (not UTF-8 text)"), "\(result.stderr)")
        #expect(!result.stderr.contains("error 2") && !result.stderr.contains("Code="), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 2, "only the file's problem: \(result.stderr)")
    }

    /// bash's `ENVFILE=<(printf …)`, or a secret a process writes into a FIFO: read as upstream's
    /// `source $ENVFILE` read it.
    @Test func checkReadsAnEnvFileThatIsAFIFO() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = Self.valid.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)\n" }.joined()
        let feed = try FIFOFeed(path: dir.appendingPathComponent("site.env").path, text: text)
        let result = try vnf(["check"], ["ENVFILE": feed.path])
        #expect(feed.wait() == text.utf8.count, "the binary did not read the FIFO to its end")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("configuration is valid"))
        #expect(result.stdout.contains("local subnets      198.51.100.0/24"))
        #expect(result.stdout.contains("pre-shared key     <redacted 26 bytes>"))
        #expect(!result.output.contains(Self.psk))
    }

    /// The system's reason, never "permission denied" for a file that is merely not a regular one.
    @Test(arguments: [("/dev/zero", "too large"), ("", "is a directory"), ("missing.env", "no such file or directory")])
    func anEnvFileThatCannotBeReadSaysWhy(name: String, reason: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = name.hasPrefix("/") ? name : dir.appendingPathComponent(name).path
        let result = try vnf(["check"], ["ENVFILE": path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(#"ENVFILE="\#(path)": cannot be read (\#(reason)); mount the file or unset ENVFILE"#), "\(result.stderr)")
        #expect(!result.stderr.contains("permission denied"), "\(result.stderr)")
    }

    @Test func theEnvFileWinsOverTheProcessEnvironment() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("site.env")
        try "# site A\nexport IPSEC_LOCALNET='198.51.100.128/25'\n".write(to: file, atomically: true, encoding: .utf8)
        var environment = Self.valid
        environment["ENVFILE"] = file.path
        let result = try vnf(["check"], environment)
        #expect(result.status == 0)
        #expect(result.stdout.contains("local subnets      198.51.100.128/25"))
    }

    @Test func renderPrintsSecretsRedactedUnlessAsked() throws {
        let redacted = try vnf(["render"])
        #expect(redacted.status == 0)
        #expect(redacted.stdout.contains("# ---- swanctl.conf ----"))
        #expect(redacted.stdout.contains("        secret = <redacted>"))
        #expect(!redacted.output.contains(Self.psk))

        let shown = try vnf(["render", "--show-secrets"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("        secret = \"\(Self.psk)\""))
    }

    @Test(arguments: [("swanctl", ["swanctl.conf": 0o600, "strongswan.conf": 0o644]),
                      ("ipsec", ["ipsec.conf": 0o644, "ipsec.secrets": 0o600, "strongswan.conf": 0o644])])
    func renderWritesFilesWithTheKeyOnlyInOwnerOnlyFiles(format: String, modes: [String: Int]) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try vnf(["render", "--out", dir.path, "--format", format])
        #expect(result.status == 0)
        #expect(!result.output.contains(Self.psk))
        for (name, expected) in modes {
            let file = dir.appendingPathComponent(name)
            #expect(try mode(file) == expected, "\(name)")
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.contains(Self.psk) == (expected == 0o600), "\(name): the key belongs only in 0600 files")
        }
    }

    @Test func renderReplacesALinkAtTheTargetInsteadOfWritingThroughIt() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let victim = dir.deletingLastPathComponent().appendingPathComponent("vnf-cli-victim-\(UUID().uuidString)")
        try "untouched\n".write(to: victim, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: victim) }
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("swanctl.conf").path, withDestinationPath: victim.path)
        let result = try vnf(["render", "--out", dir.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(try String(contentsOf: victim, encoding: .utf8) == "untouched\n", "the key was written through the link")
        let written = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("swanctl.conf").path)
        #expect(written[.type] as? FileAttributeType == .typeRegular)
        #expect(try mode(dir.appendingPathComponent("swanctl.conf")) == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test(arguments: ["others-can-write", "someone-elses"])
    func renderRefusesAFolderItCannotTrust(kind: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        if kind == "others-can-write" { chmod(dir.path, 0o777) } else { chown(dir.path, 65534, 65534) }
        let result = try vnf(["render", "--out", dir.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("cannot write \(dir.path)"), "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "something was written")
    }

    @Test func renderWithABadConfigurationWritesNothing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vnf-cli-never-\(UUID().uuidString)")
        var environment = Self.valid
        environment["IPSEC_ESPCIPHER"] = "3des-md5"
        let result = try vnf(["render", "--out", dir.path], environment)
        #expect(result.status == 2)
        #expect(result.stderr.contains(#"IPSEC_ESPCIPHER="3des-md5": uses broken algorithms"#))
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    @Test func initDryRunPrintsThePlanAndTouchesNothing() throws {
        var environment = Self.valid
        environment["IPSEC_VTI_KEY"] = "7"
        environment["IPSEC_VTI_IPADDR_LOCAL"] = "169.254.7.1/30"
        environment["IPSEC_VTI_IPADDR_PEER"] = "169.254.7.2/30"
        environment["IPSEC_VTI_STATICROUTES"] = "203.0.113.0/24"
        environment["IPSEC_VTI_MTU"] = "1400"
        let result = try vnf(["init", "--dry-run"], environment)
        #expect(result.status == 0)
        #expect(result.stdout.split(separator: "\n").map(String.init) == [
            "link add vti7 type vti local 192.0.2.1 remote 192.0.2.2 key 7",
            "sysctl net.ipv4.conf.vti7.disable_policy=1",
            "sysctl net.ipv6.conf.vti7.disable_policy=1 (where the kernel has it)",
            "link set vti7 mtu 1400",
            "address add 169.254.7.1 peer 169.254.7.2/30 dev vti7",
            "link set vti7 up",
            "route replace 203.0.113.0/24 dev vti7",
            "route replace unreachable 203.0.113.0/24 metric 4000000000",
        ])
        #expect(!FileManager.default.fileExists(atPath: "/sys/class/net/vti7"))
    }

    /// init reads its configuration once: it used to read it twice (first, silently, to learn whether it
    /// had every setting), and a file that changed in between could make it decide on one text and act on
    /// another. strace is the outside witness of how often the file is opened.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "needs strace (scripts/setup.sh)"))
    func initReadsItsEnvironmentFileOnce() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var settings = Self.valid
        settings["IPSEC_VTI_KEY"] = "7"
        settings["IPSEC_VTI_STATICROUTES"] = "203.0.113.0/24"
        let envFile = dir.appendingPathComponent("gateway.env").path
        try settings.map { "\($0.key)=\($0.value)\n" }.sorted().joined().write(toFile: envFile, atomically: true, encoding: .utf8)
        let trace = dir.appendingPathComponent("trace").path
        let result = try Shell.run(["/usr/bin/strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", trace,
                                    GatewaySite.binary, "init", "--dry-run"], environment: ["ENVFILE": envFile], timeout: 20)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("link add vti7 type vti local 192.0.2.1 remote 192.0.2.2 key 7"), "\(result.stdout)")
        // A guard is planned only from the whole configuration.
        #expect(result.stdout.contains("route replace unreachable 203.0.113.0/24 metric 4000000000"), "\(result.stdout)")
        let opens = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").filter { $0.contains("\"\(envFile)\"") }
        #expect(opens.count == 1, "\(opens.joined(separator: "\n"))")
    }

    /// A policy-based gateway's init container has no VTI to make, but its guards: the LAN is closed before
    /// `run` (and charon) start.
    @Test(.enabled(if: Privileges.canUseNamespaces, "needs root to create namespaces"))
    func initOfAPolicyBasedGatewayInstallsItsGuards() throws {
        let namespace = try NetworkNamespace("cli-guards")
        defer { namespace.delete() }
        let environment = Self.valid.map { "\($0.key)=\($0.value)" }.sorted()
        let plan = try namespace.run(["/usr/bin/env", "-i"] + environment + [GatewaySite.binary, "init", "--dry-run"])
        #expect(plan.status == 0 && plan.stdout.split(separator: "\n").map(String.init) == [
            "xfrm policy update src 198.51.100.0/24 dst 203.0.113.0/24 dir out action block priority 4000000000 mark 0x0/0x80000000",
            "xfrm policy update src 198.51.100.0/24 dst 203.0.113.0/24 dir out action block priority 4000000000 mark 0x80000000/0x80000000",
        ], "\(plan.stdout) \(plan.stderr)")
        let result = try namespace.run(["/usr/bin/env", "-i"] + environment + [GatewaySite.binary, "init"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("fail-closed guard for vnf-ipsec: 198.51.100.0/24 → 203.0.113.0/24"), "\(result.stdout)")
        #expect(try namespace.check(["ip", "xfrm", "policy", "list", "action", "block"]).components(separatedBy: "priority 4000000000").count == 3)
        // Without the tunnel's settings there is nothing init can do: refused, as before.
        let bare = try namespace.run(["/usr/bin/env", "-i", "IPSEC_LOCALIP=192.0.2.1", GatewaySite.binary, "init"])
        #expect(bare.status != 0)
    }

    /// On a kernel without VTI (this host's), `init` says what to do about it, in the image's terms.
    @Test(.enabled(if: Privileges.canUseNamespaces && !FileManager.default.fileExists(atPath: "/sys/module/ip_vti"),
                   "needs root and a kernel without VTI"))
    func initOnAKernelWithoutVTISaysHowToLoadIt() throws {
        let namespace = try NetworkNamespace("cli-novti")
        defer { namespace.delete() }
        let result = try namespace.run(["/usr/bin/env", "-i", "IPSEC_LOCALIP=192.0.2.1", "IPSEC_REMOTEIP=192.0.2.2",
                                        "IPSEC_VTI_KEY=7", GatewaySite.binary, "init"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("The kernel lacks VTI support (the ip_vti module). Load ip_vti on the host (`modprobe ip_vti`)"),
                "\(result.stderr)")
    }

    /// The real kernel answer, not a simulated one: root without CAP_NET_ADMIN (dropped from the bounding set
    /// by util-linux's setpriv) in a throwaway namespace.
    @Test(.enabled(if: Privileges.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
                   "needs root and setpriv"))
    func initWithoutNetAdminNamesTheCapabilityAndChangesNothing() throws {
        let namespace = try NetworkNamespace("eperm")
        defer { namespace.delete() }
        let result = try namespace.run(["/usr/bin/setpriv", "--bounding-set=-net_admin", "/usr/bin/env", "-i",
                                        "IPSEC_LOCALIP=192.0.2.1", "IPSEC_REMOTEIP=192.0.2.2", "IPSEC_VTI_KEY=7",
                                        GatewaySite.binary, "init"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("init: link add vti7 type vti: Operation not permitted. Changing the network configuration needs CAP_NET_ADMIN (run as root, or add the NET_ADMIN capability to the container)"), "\(result.stderr)")
        #expect(try namespace.check(["ip", "-o", "link", "show"]).split(separator: "\n").count == 1, "only lo")
        // The same refusal as one JSON line when the init container shares LOG_FORMAT=json.
        let json = try namespace.run(["/usr/bin/setpriv", "--bounding-set=-net_admin", "/usr/bin/env", "-i", "LOG_FORMAT=json",
                                      "IPSEC_LOCALIP=192.0.2.1", "IPSEC_REMOTEIP=192.0.2.2", "IPSEC_VTI_KEY=7", GatewaySite.binary, "init"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stderr.utf8)) as? [String: Any]
        #expect(json.status == 1 && object?["level"] as? String == "error" && object?["tunnel"] as? String == "vnf-ipsec", "\(json.stderr)")
        #expect((object?["message"] as? String)?.contains("Operation not permitted") == true)
    }

    @Test func withJSONLogsTheProblemsAreJSONLinesToo() throws {
        var environment = Self.valid
        environment["IPSEC_REMOTENET"] = "not-a-net"
        environment["LOG_FORMAT"] = "json"
        let result = try vnf(["check"], environment)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, "\(result.stderr)")
        #expect(result.stderr.contains(#""level":"error""#) && result.stderr.contains("IPSEC_REMOTENET"))
    }

    @Test func statusWithoutACharonSaysWhatToDoAndExits2() throws {
        let result = try vnf(["status", "--socket", "/nonexistent/charon.vici"], [:])
        #expect(result.status == 2)
        #expect(result.stdout.hasPrefix("down: "))
        #expect(result.stdout.contains("is charon running with the vici plugin?"))
    }

    @Test func helpListsTheCommandsAndAnUnknownOneIsAUsageError() throws {
        let help = try vnf(["--help"], [:])
        #expect(help.status == 0)
        for command in ["run (default)", "init", "status", "check", "render"] {
            #expect(help.stdout.contains("  \(command) "), "\(command)")
        }
        let bogus = try vnf(["bogus"], [:])
        #expect(bogus.status == 64)
        #expect(bogus.stderr.contains("Unexpected argument 'bogus'"))
    }
}
