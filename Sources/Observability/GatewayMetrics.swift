import GatewayRuntime
import IPsecCore
import Prometheus
import VICI

/// The gateway's own series (`vnf_ipsec_*`): what the exporter cannot know, because it is the gateway's
/// configuration and history rather than charon's SAs.
enum GatewayMetrics {
    /// What one scrape reads.
    struct Snapshot: Sendable {
        var configured: [String]
        var sas: [IKESAStatus]?
        var charonVersion: String?
        var status: ConfigurationStatus?
        var readyMinimum: Int?
        /// Tunnels with a probe, when /readyz needs their last probe answered (IPSEC_READY_REQUIRES_PROBE).
        var probeRequired: Set<String> = []

        /// The configured tunnels that count as up for readiness.
        var readyTunnels: [String] {
            let sas = sas ?? []
            return configured.filter { name in
                TunnelState(sas, connection: name) == .up
                    && (!probeRequired.contains(name) || status?.probes[name]?.lastAnswered == true)
            }
        }
    }

    static func emit(_ snapshot: Snapshot, into registry: PrometheusCollectorRegistry) {
        let sas = snapshot.sas ?? []
        let states = snapshot.configured.map { ($0, TunnelState(sas, connection: $0)) }
        registry.makeGauge(name: "vnf_ipsec_charon_up", help: "1 while charon answers over VICI").set(to: snapshot.sas == nil ? 0.0 : 1.0)
        registry.makeGauge(name: "vnf_ipsec_build_info", labels: [("version", GatewayVersion.current), ("charon", snapshot.charonVersion ?? "")],
                           help: "The running vnf-ipsec and charon (value 1)").set(to: 1.0)
        registry.makeGauge(name: "vnf_ipsec_tunnels_configured", help: "Tunnels in the running configuration").set(to: Double(states.count))
        for state in [TunnelState.up, .ikeOnly, .down] {
            registry.makeGauge(name: "vnf_ipsec_tunnels", labels: [("state", state.rawValue)],
                               help: "Configured tunnels by state: up (CHILD_SA installed), ike-only, down")
                .set(to: Double(states.filter { $0.1 == state }.count))
        }
        for (name, state) in states {
            registry.makeGauge(name: "vnf_ipsec_tunnel_up", labels: [("tunnel", name)],
                               help: "1 while the tunnel has an installed CHILD_SA").set(to: state == .up ? 1.0 : 0.0)
        }
        let minimum = snapshot.readyMinimum ?? states.count
        registry.makeGauge(name: "vnf_ipsec_ready", help: "1 while enough tunnels are up for /readyz")
            .set(to: snapshot.sas != nil && !states.isEmpty && snapshot.readyTunnels.count >= minimum ? 1.0 : 0.0)
        for (name, probe) in (snapshot.status?.probes ?? [:]).sorted(by: { $0.key < $1.key }) {
            let labels = [("tunnel", name), ("target", probe.target)]
            registry.makeCounter(name: "vnf_ipsec_probe_sent_total", labels: labels, help: "Data-plane probes sent through the tunnel")
                .increment(by: Int64(probe.sent))
            registry.makeCounter(name: "vnf_ipsec_probe_lost_total", labels: labels, help: "Data-plane probes that got no answer")
                .increment(by: Int64(probe.lost))
            registry.makeGauge(name: "vnf_ipsec_probe_up", labels: labels, help: "1 if the last data-plane probe was answered")
                .set(to: probe.lastAnswered == true ? 1.0 : 0.0)
            if let roundTrip = probe.lastRoundTripSeconds {
                registry.makeGauge(name: "vnf_ipsec_probe_rtt_seconds", labels: labels, help: "Round trip of the last answered data-plane probe")
                    .set(to: roundTrip)
            }
        }
        if let status = snapshot.status {
            registry.makeCounter(name: "vnf_ipsec_config_reloads_total", labels: [("result", "success")],
                                 help: "Configuration reloads since start, by result").increment(by: Int64(status.reloads))
            registry.makeCounter(name: "vnf_ipsec_config_reloads_total", labels: [("result", "failure")],
                                 help: "Configuration reloads since start, by result").increment(by: Int64(status.failedReloads))
            registry.makeGauge(name: "vnf_ipsec_config_last_reload_successful", help: "0 after a refused or failed reload, else 1")
                .set(to: status.lastReload?.succeeded == false ? 0.0 : 1.0)
        }
    }
}
