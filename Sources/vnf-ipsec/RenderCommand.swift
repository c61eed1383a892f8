import ArgumentParser
import GatewayRuntime
import IPsecCore
import VICI

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render strongSwan's configuration for every tunnel.",
        discussion: "Without --out the files are printed with secrets redacted. With --out they are written there, secrets files with mode 0600."
    )

    @OptionGroup var configuration: ConfigurationOptions

    @Option(help: "Write the files into this folder instead of printing them.")
    var out: String?

    @Option(help: "swanctl (swanctl.conf + strongswan.conf, what `run` uses) or ipsec (legacy ipsec.conf + ipsec.secrets).")
    var format: ConfigFormat = .swanctl

    @Flag(help: "Print secrets instead of <redacted> (only without --out; written files always hold them).")
    var showSecrets = false

    func run() throws {
        let loaded = try ConfigurationLoading.load(configuration)
        let files = StrongSwanBackend().render(loaded.config, format: format)
        if let out {
            try ConfigurationFiles.write(files, into: out)
            for file in files { print("wrote \(out)/\(file.path) (mode \(String(file.mode, radix: 8)))") }
        } else {
            for file in files {
                print("# ---- \(file.path) ----")
                print(showSecrets ? file.contents : file.redactedContents, terminator: "")
            }
        }
    }
}

extension ConfigFormat: ExpressibleByArgument {}
