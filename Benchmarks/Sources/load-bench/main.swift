// Loading every tunnel of a configuration file into a fresh charon: vnf-ipsec's VICI path
// (`StrongSwanGatewayBackend.load`, what `run` does once charon's socket is open) against
// `swanctl --load-all --file` of the same rendered swanctl.conf. Each round starts two fresh charons one
// after the other, each with the strongswan.conf vnf-ipsec renders for the file (the same for both), in a
// network and mount namespace of its own (charon's pid file is under /run); the order alternates.
//   load-bench FILE [ROUNDS]
import Foundation
import GatewayRuntime
import IPsecCore
import Logging
import VICI

@MainActor func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

struct Failure: Error, CustomStringConvertible { var description: String }

/// Runs a process to its end; its output and whether it succeeded.
func run(_ executable: String, _ arguments: [String]) throws -> (ok: Bool, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus == 0, String(decoding: data, as: UTF8.self))
}

/// A fresh charon in an anonymous network namespace (gone with it) and a mount namespace with its own /run.
final class Charon {
    let folder: String
    let socket: String
    private let process = Process()

    init(strongswanConf: String, folder: String) throws {
        self.folder = folder
        socket = folder + "/charon.vici"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let conf = strongswanConf + "\ncharon {\n    plugins {\n        vici {\n            socket = unix://\(socket)\n        }\n    }\n}\n"
        try conf.write(toFile: folder + "/strongswan.conf", atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--net", "--mount", "--propagation", "private", "sh", "-c",
                             "mount -t tmpfs tmpfs /run && exec env STRONGSWAN_CONF=\(folder)/strongswan.conf /usr/lib/ipsec/charon"]
        _ = FileManager.default.createFile(atPath: folder + "/charon.log", contents: nil)
        let log = FileHandle(forWritingAtPath: folder + "/charon.log")!
        process.standardOutput = log
        process.standardError = log
        try process.run()
        // Ready: its socket answers a request. Then a pause, so that neither side is timed against a
        // charon still finishing its start-up.
        let deadline = Date().addingTimeInterval(15)
        while (try? VICIClient(socketPath: socket, timeout: .seconds(2)).version()) == nil {
            guard Date() < deadline, process.isRunning else {
                stop()
                throw Failure(description: "charon did not answer on \(socket): \((try? String(contentsOfFile: folder + "/charon.log", encoding: .utf8)) ?? "")")
            }
            usleep(10_000)
        }
        usleep(300_000)
    }

    func swanctl(_ arguments: [String]) throws -> (ok: Bool, output: String) {
        try run("/usr/sbin/swanctl", arguments + ["--uri", "unix://\(socket)"])
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { print("usage: load-bench FILE [ROUNDS]"); exit(2) }
let file = arguments[1]
let rounds = arguments.count > 2 ? Int(arguments[2])! : 10
let work = NSTemporaryDirectory() + "vnf-load-bench-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: work) }

let config = try GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": file]).config
let count = config.tunnels.count
let files = StrongSwanBackend().render(config, format: .swanctl)
let strongswanConf = files.first { $0.path == "strongswan.conf" }!.contents
let swanctlConf = work + "/swanctl.conf"
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
try files.first { $0.path == "swanctl.conf" }!.contents.write(toFile: swanctlConf, atomically: true, encoding: .utf8)
let logger = Logger(label: "load-bench", factory: { _ in SwiftLogNoOpLogHandler() })

var parse: [Double] = [], load: [Double] = [], secretsOnly: [Double] = [], swanctl: [Double] = [], swanctlFloor: [Double] = []
var listedByUs = "", listedBySwanctl = ""
// Where `run` spends its time before and around the load, in this process (no charon): the cross-tunnel
// rules (reading the file applies them, and Gateway.run applies them again in validate()), and rendering
// swanctl.conf (start() writes it for operators; load() renders each connection again for VICI).
var crossTunnel: [Double] = [], render: [Double] = []

/// vnf-ipsec: the file read and checked (what `run` does before charon starts), then `load`.
@MainActor func ours(_ round: Int) async throws {
    let charon = try Charon(strongswanConf: strongswanConf, folder: work + "/ours-\(round)")
    defer { charon.stop() }
    var loaded: GatewayConfig?
    parse.append(try await seconds { loaded = try GatewayConfig.load(environment: ["IPSEC_CONFIG_FILE": file]).config })
    var options = StrongSwanGatewayBackend.Options()
    options.viciSocket = charon.socket
    let backend = StrongSwanGatewayBackend(options: options, logger: logger)
    load.append(try await seconds { try await backend.load(loaded!) })
    let names = try VICIClient(socketPath: charon.socket).connectionNames()
    guard names.count == count else { throw Failure(description: "vnf-ipsec loaded \(names.count) connections, not \(count)") }
    if round == 0 { listedByUs = try charon.swanctl(["--list-conns"]).output }
}

/// The same secrets alone, as `load` sends them (one load-shared each): the breakdown of `load`.
@MainActor func oursSecretsOnly(_ round: Int) async throws {
    let charon = try Charon(strongswanConf: strongswanConf, folder: work + "/secrets-\(round)")
    defer { charon.stop() }
    let client = try VICIClient(socketPath: charon.socket)
    let renderer = StrongSwanBackend()
    secretsOnly.append(try await seconds {
        for tunnel in config.tunnels {
            try client.loadSharedKey(tunnel.psk!.secret, owners: renderer.sharedKeyOwners(tunnel).map(\.description),
                                     id: StrongSwanBackend.sharedKeyID(tunnel))
        }
    })
}

/// swanctl: one process that reads the rendered swanctl.conf and loads its secrets and connections.
@MainActor func theirs(_ round: Int) async throws {
    let charon = try Charon(strongswanConf: strongswanConf, folder: work + "/swanctl-\(round)")
    defer { charon.stop() }
    var result: (ok: Bool, output: String) = (false, "")
    swanctl.append(try await seconds { result = try charon.swanctl(["--load-all", "--noprompt", "--file", swanctlConf]) })
    guard result.ok, result.output.contains("successfully loaded \(count) connections") else {
        throw Failure(description: "swanctl --load-all: \(result.output.suffix(500))")
    }
    // swanctl's floor: the same process start, plugin loading and connect, with one small request.
    swanctlFloor.append(try await seconds { _ = try charon.swanctl(["--stats"]) })
    if round == 0 { listedBySwanctl = try charon.swanctl(["--list-conns"]).output }
}

print("loading \(count) connections and secrets into a fresh charon, \(rounds) rounds, order alternating")
for round in 0..<rounds {
    if round % 2 == 0 { try await ours(round); try await theirs(round) } else { try await theirs(round); try await ours(round) }
    try await oursSecretsOnly(round)
    crossTunnel.append(await seconds { precondition(config.crossTunnelProblems().isEmpty) })
    render.append(await seconds { precondition(StrongSwanBackend().render(config, format: .swanctl).count == 2) })
}
guard listedByUs == listedBySwanctl else { throw Failure(description: "the two charons list different connections") }
let ms = { (values: [Double]) in String(format: "%7.1f ms", median(values) * 1000) }
let rows = { (values: [Double]) in values.map { String(format: "%.0f", $0 * 1000) }.joined(separator: " ") }
print("  swanctl --list-conns identical on both charons: yes (\(count) connections)")
print("  vnf-ipsec load (VICI)             median \(ms(load))   rounds (ms): \(rows(load))")
print("  vnf-ipsec read file + load        median \(ms(zip(parse, load).map(+)))   (read and check \(ms(parse)))")
print("  swanctl --load-all --file         median \(ms(swanctl))   rounds (ms): \(rows(swanctl))")
print("  swanctl --stats (its floor)       median \(ms(swanctlFloor))")
print("  of load: \(count) load-shared alone  median \(ms(secretsOnly))")
// Each round's pair ran back to back, so the median of the rounds' ratios is the least disturbed by noise.
print("  of read and check: the cross-tunnel rules median \(ms(crossTunnel)); rendering swanctl.conf median \(ms(render))")
print(String(format: "  ratio (median of the rounds' ratios): load / swanctl %.2fx, read file + load / swanctl %.2fx",
             median(zip(load, swanctl).map(/)), median(zip(zip(parse, load).map(+), swanctl).map(/))))
