import Foundation
import Testing
import TestSupport
@testable import IPsecCore

/// Text that looks right is not enough: every golden configuration is handed to strongSwan's own parsers
/// (charon + swanctl over VICI, and starter + stroke for ipsec.conf) and must load.
@Suite(.enabled(if: Privileges.canUseNamespaces && Privileges.hasCharon, "needs root, ip and strongSwan (scripts/setup.sh)"),
       .serialized)
struct StrongSwanAcceptanceTests {
    @Test(arguments: GoldenRenderingTests.cases)
    func swanctlLoadsTheRenderedConnectionAndSecret(name: String) throws {
        let config = try GoldenRenderingTests.config(name)
        let files = StrongSwanBackend().render(config, format: .swanctl)
        let (namespace, charon) = try Self.charon(running: files, label: name)
        defer { charon.stop(); namespace.delete() }
        try Self.write(files.filter { $0.path == "swanctl.conf" }, into: charon.folder + "/swanctl")
        let load = try charon.swanctl(["--load-all", "--noprompt", "--file", charon.folder + "/swanctl/swanctl.conf"])
        #expect(load.status == 0, "swanctl refused \(name): \(load.output)")
        #expect(load.stdout.contains("loaded ike secret 'ike-vnf-ipsec'"))
        #expect(load.stdout.contains("successfully loaded 1 connections"))
        let conns = try charon.swanctl(["--list-conns"]).stdout
        let tunnel = config.tunnels[0]
        #expect(conns.contains("vnf-ipsec: IKEv\(tunnel.keyExchange == .ikev1 ? "1" : tunnel.keyExchange == .ikev2 ? "2" : "1/2")"), "\(conns)")
        for net in tunnel.localNets + tunnel.remoteNets { #expect(conns.contains(net.description), "\(net) missing from \(conns)") }
        let plugins = try Self.loadedPlugins(charon)
        #expect(plugins.contains("kernel-netlink") && plugins.contains("vici"), "not charon's plugin list: \(plugins)")
        for plugin in Self.pluginsUpstreamTurnsOff { #expect(!plugins.contains(plugin), "charon loaded \(plugin): \(plugins)") }
    }

    /// `check` refuses exactly the proposals charon refuses when the connection is loaded: each case is
    /// judged by ProposalList and by charon's load-conn, and the two must agree.
    @Test func proposalChecksAgreeWithCharon() throws {
        let ike = ["aes128-sha256", "aes128-sha256-modp3072", "aes128gcm16-ecp256", "aes128gcm16-prfsha256-ecp256",
                   "aes128gcm16-sha256-ecp256", "sha256-modp3072", "aes128gcm16-aes128-sha256-prfsha256-ecp256",
                   "chacha20poly1305-prfsha256-x25519", "aes256-sha384-ecp384"]
        let esp = ["aes128-sha256", "aes128gcm16", "sha256-modp3072", "aes128", "aes128gcm16-aes128-sha256",
                   "chacha20poly1305-x25519", "aes128gcm16-ecp256", "aes256-sha512-modp4096"]
        let config = try GatewayConfig.load(environment: baseEnvironment).config
        let files = StrongSwanBackend().render(config, format: .swanctl)
        let (namespace, charon) = try Self.charon(running: files, label: "proposals")
        defer { charon.stop(); namespace.delete() }
        let swanctl = try #require(files.first { $0.path == "swanctl.conf" }).contents
        for (kind, key, list) in [(ProposalList.Kind.ike, "        proposals = ", ike), (.esp, "                esp_proposals = ", esp)] {
            for proposal in list {
                let line = try #require(swanctl.split(separator: "\n").first { $0.hasPrefix(key) })
                let conf = swanctl.replacingOccurrences(of: String(line), with: key + proposal)
                let path = charon.folder + "/proposal.conf"
                try conf.write(toFile: path, atomically: true, encoding: .utf8)
                let load = try charon.swanctl(["--load-conns", "--file", path])
                let charonAccepts = load.status == 0 && load.stdout.contains("successfully loaded 1 connections")
                // Encryption without integrity charon takes; check refuses it as weak (IPSEC_ALLOW_WEAK_CIPHERS).
                let weAccept = (try? ProposalList.parse(proposal, kind: kind, requireIntegrity: false).get()) != nil
                #expect(weAccept == charonAccepts, "\(kind) \(proposal): check \(weAccept ? "accepts" : "refuses"), charon: \(load.output)")
            }
        }
    }

    /// The quoting rule against the real parser: an identity with every character the settings syntax
    /// treats specially that an identity may hold reaches charon unchanged.
    @Test func charonReadsAQuotedIdentityBackExactly() throws {
        let id = "CN=gw #1 {a}, O=x'y=z, OU=a;b"
        var environment = baseEnvironment
        environment["IPSEC_LOCALID"] = id
        let config = try GatewayConfig.load(environment: environment).config
        let files = StrongSwanBackend().render(config, format: .swanctl)
        let (namespace, charon) = try Self.charon(running: files, label: "quoted-id")
        defer { charon.stop(); namespace.delete() }
        try Self.write(files.filter { $0.path == "swanctl.conf" }, into: charon.folder + "/swanctl")
        let load = try charon.swanctl(["--load-all", "--noprompt", "--file", charon.folder + "/swanctl/swanctl.conf"])
        #expect(load.status == 0, "\(load.output)")
        let conns = try charon.swanctl(["--list-conns"]).stdout
        #expect(conns.contains("    id: \(id)\n"), "\(conns)")
    }

    /// The files as they are, with their modes (the runtime's careful writer is tested with the runtime).
    static func write(_ files: [RenderedFile], into folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for file in files {
            let path = folder + "/" + file.path
            try file.contents.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, mode_t(file.mode))
        }
    }

    /// A real charon in a throwaway namespace, started with the rendered strongswan.conf.
    static func charon(running files: [RenderedFile], label: String) throws -> (NetworkNamespace, CharonInstance) {
        let namespace = try NetworkNamespace("acc")
        do {
            let conf = try #require(files.first { $0.path == "strongswan.conf" }).contents
            return (namespace, try CharonInstance(in: namespace, strongswanConf: conf, label: label))
        } catch {
            namespace.delete()
            throw error
        }
    }

    /// Upstream's image turns these off (its config/farp.conf and config/bypass-lan.conf).
    static let pluginsUpstreamTurnsOff = ["farp", "bypass-lan"]

    /// charon's own word on what it loaded: the `loaded plugins:` line of `swanctl --stats`.
    static func loadedPlugins(_ charon: CharonInstance) throws -> Set<String> {
        let stats = try charon.swanctl(["--stats"]).stdout
        let line = try #require(stats.split(separator: "\n").first { $0.hasPrefix("loaded plugins:") }, "\(stats)")
        return Set(line.dropFirst("loaded plugins:".count).split(separator: " ").map(String.init))
    }

    /// The control for the test above: Debian's packaged defaults do load farp, so its absence is our doing.
    @Test func debianDefaultsLoadFarpWhichTheRenderedConfigurationTurnsOff() throws {
        let namespace = try NetworkNamespace("acc")
        defer { namespace.delete() }
        let stock = "include /etc/strongswan.d/*.conf\ncharon {\n    load_modular = yes\n    plugins {\n        include /etc/strongswan.d/charon/*.conf\n    }\n}\n"
        let charon = try CharonInstance(in: namespace, strongswanConf: stock, label: "stock")
        defer { charon.stop() }
        #expect(try Self.loadedPlugins(charon).contains("farp"))
    }

    @Test(arguments: GoldenRenderingTests.cases)
    func starterLoadsTheRenderedIpsecConf(name: String) throws {
        let config = try GoldenRenderingTests.config(name)
        let files = StrongSwanBackend().render(config, format: .ipsec)
        let folder = NSTemporaryDirectory() + "starter-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: folder)
        try Self.write(files, into: folder)
        // Point stroke at the rendered secrets instead of /etc/ipsec.secrets.
        let conf = try #require(files.first { $0.path == "strongswan.conf" }).contents
            + "charon {\n    plugins {\n        stroke {\n            secrets_file = \(folder)/ipsec.secrets\n        }\n    }\n}\n"
        try conf.write(toFile: folder + "/strongswan.conf", atomically: true, encoding: .utf8)
        let namespace = try NetworkNamespace("st")
        defer { namespace.delete() }
        let script = """
            mount -t tmpfs tmpfs /run
            export STRONGSWAN_CONF=\(folder)/strongswan.conf
            /usr/lib/ipsec/starter --nofork --conf \(folder)/ipsec.conf > \(folder)/starter.log 2>&1 &
            for i in $(seq 100); do [ -S /run/charon.ctl ] && break; sleep 0.05; done
            sleep 0.3
            /usr/sbin/ipsec statusall
            /usr/sbin/ipsec rereadsecrets
            sleep 0.2
            /usr/sbin/ipsec stop >/dev/null 2>&1
            wait
            """
        let result = try namespace.run(["sh", "-c", script], timeout: 30)
        let log = (try? String(contentsOfFile: folder + "/starter.log", encoding: .utf8)) ?? ""
        #expect(result.stdout.contains("vnf-ipsec:  \(config.tunnels[0].local)...\(config.tunnels[0].remote)"), "starter did not load \(name): \(result.output)\n\(log)")
        #expect(!log.contains("syntax error") && !log.contains("invalid"), "\(log)")
        #expect(log.contains("loading secrets from '\(folder)/ipsec.secrets'"), "\(log)")
        #expect(log.contains("loaded IKE secret for"), "the PSK line was not accepted: \(log)")
        try? FileManager.default.removeItem(atPath: folder)
    }
}
