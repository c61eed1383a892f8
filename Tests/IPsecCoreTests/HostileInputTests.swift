import Foundation
import PropertyBased
import Testing
@testable import IPsecCore

/// Every variable gets hostile values: quotes, backslashes, braces, `=`, `#`, commas, CR/LF, tabs, terminal
/// escapes, non-ASCII, alone and after a valid prefix. Each value is either refused with one-line errors
/// that never hold the PSK, or rendered into files that strongSwan's grammar (StrongSwanGrammar, a port
/// of its lexers and parser) reads back as exactly the settings we meant: no key added, none changed.
@Suite struct HostileInputTests {
    /// What attacks the four formats: string ends, escapes, section and comment syntax, list separators,
    /// line ends, an ANSI escape, a bidi override, and ordinary characters to make values look real.
    static let alphabet: [String] = ["\"", "\\", "{", "}", "=", "#", ",", "\n", "\r", "\r\n", "\t", " ", "'", "$", "`",
                                     ";", ":", "@", "%", "/", ".", "-", "\u{1b}[31m", "\u{202e}", "\u{0}", "é",
                                     "a", "b", "x", "1", "2", "charon", "include", "filelog"]

    /// A valid value per variable, so an injection can hide behind something that parses.
    static let validPrefix: [ConfigVariable: String] = [
        .localIP: "192.0.2.1", .remoteIP: "gw.example.net", .localID: "@gw-a", .remoteID: "C=CH, O=Example, CN=gw",
        .localNet: "198.51.100.0/24", .remoteNet: "203.0.113.0/24", .espCipher: "aes128gcm16-modp3072",
        .ikeCipher: "aes128-sha256-modp3072", .lifetime: "1h", .ikeLifetime: "3h", .interfaces: "wanA",
        .vtiKey: "42", .vtiStaticRoutes: "203.0.113.0/24", .vtiLocalAddress: "169.254.1.1/30",
        .vtiPeerAddress: "169.254.1.2/30", .vtiMTU: "1400", .keyExchange: "ikev2", .localPrivateIP: "198.51.100.1",
    ]

    static let psk = "hostile-input-test-psk-0123456789"

    @Test(arguments: ConfigVariable.allCases.filter { $0 != .psk && $0 != .envFile })
    func hostileValuesAreRefusedOrRenderedExactly(variable: ConfigVariable) async {
        let pieces = Gen.int(in: 0 ... Self.alphabet.count - 1).array(of: 1 ... 12)
        await propertyCheck(count: 150, input: pieces, Gen.bool) { indices, withPrefix in
            let hostile = indices.map { Self.alphabet[$0] }.joined()
            let value = (withPrefix ? Self.validPrefix[variable] ?? "" : "") + hostile
            var environment = baseEnvironment
            environment["IPSEC_PSK"] = Self.psk
            environment[variable.rawValue] = value
            if variable == .vtiStaticRoutes || variable == .vtiLocalAddress || variable == .vtiPeerAddress || variable == .vtiMTU {
                environment["IPSEC_VTI_KEY"] = "42"
            }
            Self.checkRefusedOrExact(environment, variable: variable, value: value)
        }
    }

    /// The configuration file reads its values with the environment's rules: the same hostile value, as a
    /// YAML string in a tunnel, is refused exactly when the variable is, or gives exactly the same settings.
    @Test(arguments: ConfigVariable.allCases.filter { $0.scope == .tunnel && $0 != .psk && $0 != .pskFile })
    func theFileRefusesOrRendersHostileValuesExactlyAsTheEnvironmentDoes(variable: ConfigVariable) async {
        let pieces = Gen.int(in: 0 ... Self.alphabet.count - 1).array(of: 1 ... 12)
        await propertyCheck(count: 60, input: pieces, Gen.bool) { indices, withPrefix in
            let value = (withPrefix ? Self.validPrefix[variable] ?? "" : "") + indices.map { Self.alphabet[$0] }.joined()
            var environment = baseEnvironment
            environment[variable.rawValue] = value
            if [.vtiStaticRoutes, .vtiLocalAddress, .vtiPeerAddress, .vtiMTU].contains(variable) { environment["IPSEC_VTI_KEY"] = "42" }
            // Every value as a JSON string, which is a YAML double-quoted scalar with the same escapes.
            let encoded = environment.sorted { $0.key < $1.key }.map { key, text in
                "    \(ConfigVariable(rawValue: key)!.fileKey!): " + String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
            }
            let yaml = "tunnels:\n  - name: vnf-ipsec\n" + encoded.joined(separator: "\n") + "\n"
            let reader = FileAccess(read: { path in
                guard path == "/gateway.yaml" else { throw Unreadable(path: path) }
                return yaml
            })
            let fromEnvironment = try? GatewayConfig.load(environment: environment, files: reader).config
            let fromFile = try? GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": "/gateway.yaml"], files: reader).config
            #expect((fromEnvironment == nil) == (fromFile == nil), "\(variable)=\(value.debugDescription): only one of the two refused it")
            if let fromEnvironment, let fromFile {
                #expect(StrongSwanBackend().swanctlConfiguration(fromEnvironment) == StrongSwanBackend().swanctlConfiguration(fromFile),
                        "\(variable)=\(value.debugDescription)")
            }
        }
    }

    /// The PSK itself: never echoed, and written only as a literal charon reads back byte for byte.
    @Test func hostilePresharedKeysAreNeverEchoedAndReadBackExactly() async {
        let pieces = Gen.int(in: 0 ... Self.alphabet.count - 1).array(of: 1 ... 40)
        await propertyCheck(count: 300, input: pieces) { indices in
            let secret = "k3y-" + indices.map { Self.alphabet[$0] }.joined()
            var environment = baseEnvironment
            environment["IPSEC_PSK"] = secret
            environment["IPSEC_ALLOW_WEAK_PSK"] = "yes"
            do {
                let config = try GatewayConfig.load(environment: environment, files: FileAccess(read: { throw Unreadable(path: $0) })).config
                let swanctl = StrongSwanBackend().render(config, format: .swanctl).first { $0.path == "swanctl.conf" }!
                let parsed = try StrongSwanGrammar.parseSettings(swanctl.contents)
                let literal = try #require(parsed.values["secrets.ike-vnf-ipsec.secret"])
                #expect(Self.decodeSecretLiteral(literal) == Array(secret.utf8), "\(literal)")
                #expect(!swanctl.redactedContents.contains(secret))
            } catch let error as ConfigurationErrors {
                #expect(!"\(error)".contains(secret), "the PSK was echoed: \(error)")
                for problem in error.problems { #expect(!problem.description.contains("\n")) }
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    /// The quoting rule on its own, for any text (the typed values above refuse much before it): a
    /// settings tree and ipsec.conf lines read back as written, whatever the values hold.
    @Test func anyTextIsReadBackExactlyFromBothSyntaxes() async {
        let text = Gen.int(in: 0 ... Self.alphabet.count - 1).array(of: 0 ... 16).map { $0.map { Self.alphabet[$0] }.joined() }
        await propertyCheck(count: 500, input: text, text) { first, second in
            // NUL ends a C string in strongSwan; no value from the environment can hold one.
            let first = first.replacingOccurrences(of: "\u{0}", with: ""), second = second.replacingOccurrences(of: "\u{0}", with: "")
            let tree = SettingsTree { root in
                root.set("a", first)
                root.set("section", section: SettingsTree { $0.set("b", list: [second]); $0.set("c", "after") })
            }
            let parsed = try StrongSwanGrammar.parseSettings(tree.rendered())
            #expect(parsed.values == ["a": first, "section.b": second, "section.c": "after"], "\(tree.rendered().debugDescription)")
            let conf = "conn x\n    leftid=\(ConfigSyntax.value(first))\n    rightid=\(ConfigSyntax.value(second))\n"
            let lines = try StrongSwanGrammar.parseIpsecConf(conf)
            #expect(lines.map(\.key) == ["leftid", "rightid"] && lines.map(\.value) == [first, second], "\(conf.debugDescription)")
        }
    }

    // MARK: the checks

    static func checkRefusedOrExact(_ environment: [String: String], variable: ConfigVariable, value: String) {
        let config: GatewayConfig
        do {
            config = try GatewayConfig.load(environment: environment, files: FileAccess(read: { throw Unreadable(path: $0) })).config
        } catch {
            let text = "\(error)"
            #expect(!text.contains(psk), "the PSK was echoed: \(text)")
            for line in text.split(separator: "\n").dropFirst() {
                #expect(line.hasPrefix("  - "), "a problem spans more than one line: \(text.debugDescription)")
            }
            #expect(!text.unicodeScalars.contains { $0 == "\u{1b}" || $0 == "\u{202e}" || $0 == "\r" || $0 == "\u{0}" },
                    "control characters echoed: \(text.debugDescription)")
            return
        }
        let backend = StrongSwanBackend()
        do {
            // swanctl.conf: exactly the tree we built, read back through strongSwan's grammar.
            let swanctl = backend.swanctlConfiguration(config)
            let parsedSwanctl = try StrongSwanGrammar.parseSettings(swanctl.rendered(showSecrets: true))
            #expect(parsedSwanctl.values == Self.flatten(swanctl).values, "\(variable)=\(value.debugDescription)")
            #expect(parsedSwanctl.sections == Self.flatten(swanctl).sections, "\(variable)=\(value.debugDescription)")
            // strongswan.conf, both formats.
            for format in [ConfigFormat.swanctl, .ipsec] {
                let charon = backend.charonSettings(config, format: format)
                let parsed = try StrongSwanGrammar.parseSettings(backend.charonConfiguration(config, format: format))
                var expected = Self.flatten(charon)
                expected.includes = ["/etc/strongswan.d/*.conf", "charon.plugins./etc/strongswan.d/charon/*.conf"]
                #expect(parsed == expected, "\(variable)=\(value.debugDescription)")
            }
            // ipsec.conf: the same keys as for a harmless configuration, the identities as given.
            let lines = try StrongSwanGrammar.parseIpsecConf(backend.ipsecConf(config))
            let conn = lines.filter { $0.section == "conn \(config.tunnels[0].name)" }
            #expect(conn.map(\.key) == conn.map(\.key).filter(Self.ipsecConfConnKeys.contains), "\(conn)")
            let tunnel = config.tunnels[0]
            if let id = tunnel.localID { #expect(conn.first { $0.key == "leftid" }?.value == id.description) }
            if let id = tunnel.remoteID { #expect(conn.first { $0.key == "rightid" }?.value == id.description) }
            #expect(conn.first { $0.key == "left" }?.value == tunnel.local.description)
            // ipsec.secrets: the owners are the identities, one token each.
            let secrets = backend.ipsecSecrets(config, showSecrets: false).split(separator: "\n").last.map(String.init) ?? ""
            #expect(try StrongSwanGrammar.ipsecSecretsOwners(secrets) == backend.sharedKeyOwners(tunnel).map(\.description))
        } catch {
            Issue.record("\(variable)=\(value.debugDescription) rendered a file strongSwan cannot parse: \(error)")
        }
    }

    static let ipsecConfConnKeys: Set = ["keyexchange", "left", "leftid", "leftsubnet", "leftauth", "right", "rightid",
                                         "rightsubnet", "rightauth", "auto", "mark"]

    /// The tree as the parser reports it: lists joined by commas (strongSwan splits them later), secrets
    /// as their literal, sections as dotted paths.
    static func flatten(_ tree: SettingsTree, path: [String] = [], into result: inout StrongSwanGrammar.Settings) {
        for (key, value) in tree.entries {
            let full = (path + [key]).joined(separator: ".")
            switch value {
            case .text(let text) where key == "include": result.includes.append((path + [text]).joined(separator: "."))
            case .text(let text): result.values[full] = text
            case .list(let items): result.values[full] = items.joined(separator: ",")
            case .secret(let literal): result.values[full] = literal.hasPrefix("\"") ? String(literal.dropFirst().dropLast()) : literal
            case .section(let child):
                result.sections.insert(full)
                flatten(child, path: path + [key], into: &result)
            }
        }
    }

    static func flatten(_ tree: SettingsTree) -> StrongSwanGrammar.Settings {
        var result = StrongSwanGrammar.Settings()
        flatten(tree, into: &result)
        return result
    }

    /// charon's reading of a secret: `0x` hex is bytes, anything else is the text itself.
    static func decodeSecretLiteral(_ literal: String) -> [UInt8] {
        guard literal.hasPrefix("0x") else { return Array(literal.utf8) }
        let hex = Array(literal.utf8.dropFirst(2))
        return stride(from: 0, to: hex.count, by: 2).compactMap { UInt8(String(decoding: hex[$0 ..< $0 + 2], as: UTF8.self), radix: 16) }
    }
}

/// The classes of issue #12, one example each, checked against the fixed rules.
@Suite struct HostileInputRegressionTests {
    @Test func interfacesCannotCloseTheStringAndAddSettings() {
        // Before: `\` was not escaped, so `\"` closed the string and `charon{...}` became settings.
        let problems = problems(["IPSEC_INTERFACES": #"wanA,\"}charon{filelog{x{path=/tmp/leak}}}"#])
        #expect(problems.map(\.variable) == ["IPSEC_INTERFACES"])
    }

    @Test func aBackslashInAQuotedValueIsEscaped() throws {
        var tree = SettingsTree()
        tree.set("id", #"a\"}x{y=1"#)
        #expect(tree.rendered() == #"id = "a\\\"}x{y=1""# + "\n")
        #expect(try StrongSwanGrammar.parseSettings(tree.rendered()).values == ["id": #"a\"}x{y=1"#])
    }

    @Test func crlfEnvironmentFilesAreSplitIntoLines() throws {
        let file = try EnvironmentFile.parse("IPSEC_LOCALIP=192.0.2.1\r\nIPSEC_PSK=\"crlf-secret-0123456789-abcdef\"\r\n# c\r\nDEBUG=yes\r\n", path: "/env")
        #expect(file.values == ["IPSEC_LOCALIP": "192.0.2.1", "IPSEC_PSK": "crlf-secret-0123456789-abcdef", "DEBUG": "yes"])
    }

    @Test func aTabAndCommentAfterAnUnquotedValueAreNotPartOfIt() throws {
        #expect(try EnvironmentFile.parse("IPSEC_PSK=key-0123456789-abcdefghij\t# rotated monthly\n", path: "/env").values
            == ["IPSEC_PSK": "key-0123456789-abcdefghij"])
        #expect(throws: EnvironmentFile.ParseError.self) { try EnvironmentFile.parse("IPSEC_LOCALID=gw a\n", path: "/env") }
    }

    @Test func aSecretInsideAnotherValueIsNeverEchoed() {
        let secret = "do-not-print-me-0123456789"
        let found = problems(["IPSEC_PSK": secret, "IPSEC_LOCALNET": "198.51.100.0/24 IPSEC_PSK=\(secret)"])
        #expect(!found.isEmpty)
        #expect(!found.map(\.description).joined().contains(secret))
    }

    @Test func echoedValuesAreOneEscapedLine() {
        let found = problems(["IPSEC_LIFETIME": "1h\n2026-11-26 info vnf-ipsec: tunnel up\u{1b}[2J"])
        let text = found.map(\.description).joined()
        #expect(!text.contains("\n") && !text.contains("\u{1b}"), "\(text.debugDescription)")
        #expect(text.contains(#"1h\n2026-11-26"#) && text.contains(#"\u{1b}[2J"#), "\(text)")
    }

    @Test(arguments: ["=", "@@", "@", "a@", "@b@c", "CN=", "=x", "gw\tb", "C=CH,,O=x", "x@y z"])
    func malformedIdentitiesAreRefused(id: String) {
        #expect(problems(["IPSEC_LOCALID": id]).map(\.variable) == ["IPSEC_LOCALID"], "\(id.debugDescription)")
    }

    @Test(arguments: [".", "..", "wan\u{1}", "a;b", "wan\"0", "1234567890123456"])
    func malformedInterfaceNamesAreRefused(name: String) {
        #expect(problems(["IPSEC_INTERFACES": name]).map(\.variable) == ["IPSEC_INTERFACES"], "\(name.debugDescription)")
    }

    @Test func anUnreadableEnvironmentFileIsTheOnlyProblemReported() {
        let found = problems(["ENVFILE": "/nonexistent/env"], base: [:])
        #expect(found.map(\.variable) == ["ENVFILE"], "\(found)")
        #expect(!found.map(\.description).joined().contains("Code="), "\(found)")
    }
}
