import Foundation
import IPsecCore

/// The data-plane probes: each probed tunnel's target is tried every interval, all due probes of a round
/// at once; results go into the status (`status`, the metrics, /readyz).
extension Gateway {
    func runProbes() async {
        var due: [String: ContinuousClock.Instant] = [:]
        while !Task.isCancelled {
            let now = ContinuousClock.now
            let probed = config.tunnels.filter { $0.probe != nil && (due[$0.name] ?? now) <= now }
            if !probed.isEmpty {
                await withTaskGroup(of: Void.self) { group in
                    for tunnel in probed {
                        guard let probe = tunnel.probe else { continue }
                        due[tunnel.name] = now + .seconds(probe.interval.seconds)
                        group.addTask { [self] in record(await Self.probeOnce(tunnel, probe), of: tunnel, probe) }
                    }
                }
                writeStatusFile()
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The attempt blocks in poll(2): it runs on a Dispatch thread, never on the cooperative pool.
    static func probeOnce(_ tunnel: TunnelConfig, _ probe: DataPlaneProbe) async -> TunnelProbe.Attempt {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let source = TunnelProbe.source(for: tunnel, family: probe.target.address.isIPv6)
                continuation.resume(returning: TunnelProbe.attempt(to: probe.target, from: source, timeout: probe.timeout))
            }
        }
    }

    private func record(_ attempt: TunnelProbe.Attempt, of tunnel: TunnelConfig, _ probe: DataPlaneProbe) {
        state.withLock { state in
            var statistics = state.status.probes[tunnel.name].flatMap { $0.target == probe.target.description ? $0 : nil }
                ?? ProbeStatistics(target: probe.target.description)
            statistics.sent += 1
            switch attempt {
            case .answered(let roundTrip):
                statistics.lastAnswered = true
                statistics.lastError = nil
                statistics.lastRoundTripSeconds = Double(roundTrip.components.seconds) + Double(roundTrip.components.attoseconds) / 1e18
            case .lost(let why):
                statistics.lost += 1
                statistics.lastAnswered = false
                statistics.lastError = why
            }
            state.status.probes[tunnel.name] = statistics
        }
    }
}
