import Prometheus
import VICI

/// charon's SAs as Prometheus gauges with the names and labels of torilabs/ipsec-prometheus-exporter
/// (`strongswan_ike_*`, `strongswan_sa_*`), so dashboards and alerts written for that exporter work on a
/// gateway that needs no exporter beside it. Built from one `list-sas` at each scrape, so a series exists
/// exactly while its SA does, and byte and packet counters are the kernel's at that moment.
enum StrongSwanMetrics {
    /// The exporter's status values: 0 installed (traffic flows), 1 established, 2 down, 3 unknown.
    static func statusValue(_ state: String) -> Double {
        switch state {
        case "INSTALLED", "REKEYED", "REKEYING": 0
        case "ESTABLISHED": 1
        case "": 2
        default: 3
        }
    }

    static func emit(_ sas: [IKESAStatus], into registry: PrometheusCollectorRegistry) {
        registry.makeGauge(name: "strongswan_ike_count", help: "Number of known IKEs").set(Double(sas.count))
        for ike in sas {
            let ikeLabels = [("ike_name", ike.name), ("ike_id", ike.uniqueID ?? "")]
            func ikeGauge(_ name: String, _ help: String, _ value: Double?) {
                guard let value else { return }
                registry.makeGauge(name: "strongswan_" + name, labels: ikeLabels, help: help).set(value)
            }
            ikeGauge("ike_version", "Version of this IKE", ike.version.flatMap(Double.init))
            ikeGauge("ike_status", "Status of this IKE", statusValue(ike.state))
            ikeGauge("ike_initiator", "Flag if the server is the initiator for this connection", ike.initiator ? 1 : 0)
            ikeGauge("ike_nat_local", "Flag if the local endpoint is behind nat", ike.natLocal ? 1 : 0)
            ikeGauge("ike_nat_remote", "Flag if the remote server is behind nat", ike.natRemote ? 1 : 0)
            ikeGauge("ike_nat_fake", "Flag if NAT situation has been faked as responder", ike.natFake ? 1 : 0)
            ikeGauge("ike_nat_any", "Flag if any endpoint is behind a NAT (also if faked)", ike.natDetected ? 1 : 0)
            // The exporter emits both for every SA, 0 where there is no such algorithm (AEAD has no integrity).
            registry.makeGauge(name: "strongswan_ike_encryption_key_size", labels: ikeLabels + [("algorithm", ike.encryptionAlgorithm ?? ""), ("dh_group", ike.keyExchange ?? "")],
                               help: "Key size of the encryption algorithm").set(to: Double(ike.encryptionKeySize ?? 0))
            registry.makeGauge(name: "strongswan_ike_integrity_key_size", labels: ikeLabels + [("algorithm", ike.integrityAlgorithm ?? ""), ("dh_group", ike.keyExchange ?? "")],
                               help: "Key size of the integrity algorithm").set(to: Double(ike.integrityKeySize ?? 0))
            ikeGauge("ike_established_seconds", "Seconds since the IKE was established", ike.establishedSeconds.map(Double.init))
            ikeGauge("ike_rekey_seconds", "Seconds until the IKE will be rekeyed", ike.rekeySeconds.map(Double.init))
            ikeGauge("ike_reauth_seconds", "Seconds until the IKE will be reauthed", ike.reauthSeconds.map(Double.init))
            ikeGauge("ike_children_size", "Count of children of this IKE", Double(ike.children.count))
            for child in ike.children {
                let childLabels = ikeLabels + [("child_name", child.name), ("child_id", child.uniqueID ?? "")]
                // Selectors joined by `;`, as the exporter does.
                let trafficLabels = childLabels + [("local_ts", child.localTrafficSelectors.joined(separator: ";")),
                                                   ("remote_ts", child.remoteTrafficSelectors.joined(separator: ";"))]
                func childGauge(_ name: String, _ help: String, _ labels: [(String, String)], _ value: Double?) {
                    guard let value else { return }
                    registry.makeGauge(name: "strongswan_" + name, labels: labels, help: help).set(value)
                }
                childGauge("sa_status", "Status of this child sa", trafficLabels, statusValue(child.state))
                childGauge("sa_encap", "Forced Encapsulation in UDP Packets", childLabels, child.udpEncapsulated ? 1 : 0)
                childGauge("sa_encryption_key_size", "Key size of the encryption algorithm",
                           childLabels + [("algorithm", child.encryptionAlgorithm ?? ""), ("dh_group", child.keyExchange ?? "")], Double(child.encryptionKeySize ?? 0))
                childGauge("sa_integrity_key_size", "Key size of the integrity algorithm",
                           childLabels + [("algorithm", child.integrityAlgorithm ?? ""), ("dh_group", child.keyExchange ?? "")], Double(child.integrityKeySize ?? 0))
                childGauge("sa_inbound_bytes", "Number of input bytes processed", trafficLabels, Double(child.bytesIn))
                childGauge("sa_inbound_packets", "Number of input packets processed", trafficLabels, Double(child.packetsIn))
                childGauge("sa_last_inbound_seconds", "Number of seconds since the last inbound packet was received", trafficLabels, child.lastInSeconds.map(Double.init))
                childGauge("sa_outbound_bytes", "Number of output bytes processed", trafficLabels, Double(child.bytesOut))
                childGauge("sa_outbound_packets", "Number of output packets processed", trafficLabels, Double(child.packetsOut))
                childGauge("sa_last_outbound_seconds", "Number of seconds since the last outbound packet was sent", trafficLabels, child.lastOutSeconds.map(Double.init))
                childGauge("sa_established_seconds", "Seconds since the child SA was established", childLabels, child.installedSeconds.map(Double.init))
                childGauge("sa_rekey_seconds", "Seconds until the child SA will be rekeyed", childLabels, child.rekeySeconds.map(Double.init))
                childGauge("sa_lifetime_seconds", "Seconds until the lifetime expires", childLabels, child.lifetimeSeconds.map(Double.init))
            }
        }
    }
}
