import GatewayRuntime
import IPsecCore
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
        /// Per tunnel with fail-closed guards: whether all of them are in the kernel (read at the scrape).
        var guarded: [String: Bool] = [:]
        /// Per route-based tunnel: whether its VTI is up (absent: no such link).
        var vtiUp: [String: Bool] = [:]

        /// Each configured tunnel's state, in configuration order. The SAs are grouped by name once:
        /// looking through all of them for each tunnel made a scrape quadratic in the number of tunnels.
        var tunnelStates: [(name: String, state: TunnelState)] {
            let byName = Dictionary(grouping: sas ?? [], by: \.name)
            return configured.map { ($0, TunnelState(byName[$0] ?? [], connection: $0)) }
        }

        /// The configured tunnels that count as up for readiness.
        func readyTunnels(_ states: [(name: String, state: TunnelState)]) -> [String] {
            states.filter { name, state in
                state == .up && (!probeRequired.contains(name) || status?.probes[name]?.lastAnswered == true)
            }.map(\.name)
        }

        var readyTunnels: [String] { readyTunnels(tunnelStates) }
    }

    static func write(_ snapshot: Snapshot, into text: inout PrometheusText) {
        let states = snapshot.tunnelStates
        text.family("vnf_ipsec_charon_up", .gauge, help: "1 while charon answers over VICI")
        text.sample("vnf_ipsec_charon_up", snapshot.sas == nil ? 0 : 1)
        text.family("vnf_ipsec_build_info", .gauge, help: "The running vnf-ipsec and charon (value 1)")
        text.sample("vnf_ipsec_build_info", PrometheusText.Labels(["version": GatewayVersion.current, "charon": snapshot.charonVersion ?? ""]), 1)
        text.family("vnf_ipsec_tunnels_configured", .gauge, help: "Tunnels in the running configuration")
        text.sample("vnf_ipsec_tunnels_configured", Double(states.count))
        text.family("vnf_ipsec_tunnels", .gauge, help: "Configured tunnels by state: up (CHILD_SA installed), ike-only, down")
        for state in [TunnelState.up, .ikeOnly, .down] {
            text.sample("vnf_ipsec_tunnels", PrometheusText.Labels(["state": state.rawValue]), Double(states.filter { $0.1 == state }.count))
        }
        text.family("vnf_ipsec_tunnel_up", .gauge, help: "1 while the tunnel has an installed CHILD_SA")
        for (name, state) in states {
            text.sample("vnf_ipsec_tunnel_up", PrometheusText.Labels(["tunnel": name]), state == .up ? 1 : 0)
        }
        let minimum = snapshot.readyMinimum ?? states.count
        text.family("vnf_ipsec_ready", .gauge, help: "1 while enough tunnels are up for /readyz")
        text.sample("vnf_ipsec_ready", snapshot.sas != nil && !states.isEmpty && snapshot.readyTunnels(states).count >= minimum ? 1 : 0)

        text.family("vnf_ipsec_tunnel_guarded", .gauge, help: "1 while every fail-closed guard of the tunnel is in the kernel")
        for (name, guarded) in snapshot.guarded.sorted(by: { $0.key < $1.key }) {
            text.sample("vnf_ipsec_tunnel_guarded", PrometheusText.Labels(["tunnel": name]), guarded ? 1 : 0)
        }
        text.family("vnf_ipsec_tunnel_vti_up", .gauge, help: "1 while the tunnel's VTI is up (it follows the CHILD_SA)")
        for (name, up) in snapshot.vtiUp.sorted(by: { $0.key < $1.key }) {
            text.sample("vnf_ipsec_tunnel_vti_up", PrometheusText.Labels(["tunnel": name]), up ? 1 : 0)
        }

        let probes = (snapshot.status?.probes ?? [:]).sorted { $0.key < $1.key }
            .map { (statistics: $0.value, labels: PrometheusText.Labels(["tunnel": $0.key, "target": $0.value.target])) }
        text.family("vnf_ipsec_probe_sent_total", .counter, help: "Data-plane probes sent through the tunnel")
        for probe in probes { text.sample("vnf_ipsec_probe_sent_total", probe.labels, count: Int64(probe.statistics.sent)) }
        text.family("vnf_ipsec_probe_lost_total", .counter, help: "Data-plane probes that got no answer")
        for probe in probes { text.sample("vnf_ipsec_probe_lost_total", probe.labels, count: Int64(probe.statistics.lost)) }
        text.family("vnf_ipsec_probe_up", .gauge, help: "1 if the last data-plane probe was answered")
        for probe in probes { text.sample("vnf_ipsec_probe_up", probe.labels, probe.statistics.lastAnswered == true ? 1 : 0) }
        text.family("vnf_ipsec_probe_rtt_seconds", .gauge, help: "Round trip of the last answered data-plane probe")
        for probe in probes {
            if let roundTrip = probe.statistics.lastRoundTripSeconds { text.sample("vnf_ipsec_probe_rtt_seconds", probe.labels, roundTrip) }
        }

        if let status = snapshot.status {
            text.family("vnf_ipsec_config_reloads_total", .counter, help: "Configuration reloads since start, by result")
            text.sample("vnf_ipsec_config_reloads_total", PrometheusText.Labels(["result": "success"]), count: Int64(status.reloads))
            text.sample("vnf_ipsec_config_reloads_total", PrometheusText.Labels(["result": "failure"]), count: Int64(status.failedReloads))
            text.family("vnf_ipsec_config_last_reload_successful", .gauge, help: "0 after a refused or failed reload, else 1")
            text.sample("vnf_ipsec_config_last_reload_successful", status.lastReload?.succeeded == false ? 0 : 1)
        }
    }
}
