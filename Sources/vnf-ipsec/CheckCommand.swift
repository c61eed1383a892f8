import ArgumentParser
import GatewayRuntime
import IPsecCore
import VICI

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and print the tunnels it describes (keys are never shown).",
        discussion: "Exit status: 0 when the configuration is valid, 2 when it is not (every problem is listed)."
    )

    @OptionGroup var configuration: ConfigurationOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let loaded = try ConfigurationLoading.load(configuration)
        print(output.json ? OutputOptions.json(loaded.config) : ConfigurationSummary(loaded.config).text, terminator: "")
    }
}
