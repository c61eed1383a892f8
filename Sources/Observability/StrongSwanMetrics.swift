import VICI

/// charon's SAs as Prometheus gauges with the names and labels of torilabs/ipsec-prometheus-exporter
/// (`strongswan_ike_*`, `strongswan_sa_*`), so dashboards and alerts written for that exporter work on a
/// gateway that needs no exporter beside it. Written from one `list-sas` at each scrape, so a series exists
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

    /// One family after the other, each a pass over the SAs (the format wants a family's samples
    /// together); each SA's labels are rendered once and shared by its families.
    static func write(_ sas: [IKESAStatus], into text: inout PrometheusText) {
        text.family("strongswan_ike_count", .gauge, help: "Number of known IKEs")
        text.sample("strongswan_ike_count", Double(sas.count))

        let ikeLabels = sas.map { PrometheusText.Labels(["ike_name": $0.name, "ike_id": $0.uniqueID ?? ""]) }
        /// `name` without the `strongswan_` every family has.
        func ikeGauge(_ shortName: String, _ help: String, _ value: (IKESAStatus) -> Double?) {
            let name = "strongswan_" + shortName
            text.family(name, .gauge, help: help)
            for (ike, labels) in zip(sas, ikeLabels) {
                if let value = value(ike) { text.sample(name, labels, value) }
            }
        }
        func flag(_ set: Bool) -> Double { set ? 1 : 0 }
        ikeGauge("ike_version", "Version of this IKE") { $0.version.flatMap(Double.init) }
        ikeGauge("ike_status", "Status of this IKE") { statusValue($0.state) }
        ikeGauge("ike_initiator", "Flag if the server is the initiator for this connection") { flag($0.initiator) }
        ikeGauge("ike_nat_local", "Flag if the local endpoint is behind nat") { flag($0.natLocal) }
        ikeGauge("ike_nat_remote", "Flag if the remote server is behind nat") { flag($0.natRemote) }
        ikeGauge("ike_nat_fake", "Flag if NAT situation has been faked as responder") { flag($0.natFake) }
        ikeGauge("ike_nat_any", "Flag if any endpoint is behind a NAT (also if faked)") { flag($0.natDetected) }
        // The exporter emits both for every SA, 0 where there is no such algorithm (AEAD has no integrity).
        text.family("strongswan_ike_encryption_key_size", .gauge, help: "Key size of the encryption algorithm")
        for (ike, labels) in zip(sas, ikeLabels) {
            text.sample("strongswan_ike_encryption_key_size",
                        labels.appending("algorithm", ike.encryptionAlgorithm ?? "").appending("dh_group", ike.keyExchange ?? ""),
                        Double(ike.encryptionKeySize ?? 0))
        }
        text.family("strongswan_ike_integrity_key_size", .gauge, help: "Key size of the integrity algorithm")
        for (ike, labels) in zip(sas, ikeLabels) {
            text.sample("strongswan_ike_integrity_key_size",
                        labels.appending("algorithm", ike.integrityAlgorithm ?? "").appending("dh_group", ike.keyExchange ?? ""),
                        Double(ike.integrityKeySize ?? 0))
        }
        ikeGauge("ike_established_seconds", "Seconds since the IKE was established") { $0.establishedSeconds.map(Double.init) }
        ikeGauge("ike_rekey_seconds", "Seconds until the IKE will be rekeyed") { $0.rekeySeconds.map(Double.init) }
        ikeGauge("ike_reauth_seconds", "Seconds until the IKE will be reauthed") { $0.reauthSeconds.map(Double.init) }
        ikeGauge("ike_children_size", "Count of children of this IKE") { Double($0.children.count) }

        // Each CHILD_SA's two label sets: the SA's own, and with its traffic selectors (joined by `;`, as the
        // exporter does) for the status and traffic series.
        var children: [(child: ChildSAStatus, labels: PrometheusText.Labels, traffic: PrometheusText.Labels)] = []
        for (ike, labels) in zip(sas, ikeLabels) {
            for child in ike.children {
                let own = labels.appending("child_name", child.name).appending("child_id", child.uniqueID ?? "")
                let traffic = own.appending("local_ts", child.localTrafficSelectors.joined(separator: ";"))
                    .appending("remote_ts", child.remoteTrafficSelectors.joined(separator: ";"))
                children.append((child, own, traffic))
            }
        }
        func childGauge(_ shortName: String, _ help: String, traffic: Bool = false, _ value: (ChildSAStatus) -> Double?) {
            let name = "strongswan_" + shortName
            text.family(name, .gauge, help: help)
            for entry in children {
                if let value = value(entry.child) { text.sample(name, traffic ? entry.traffic : entry.labels, value) }
            }
        }
        childGauge("sa_status", "Status of this child sa", traffic: true) { statusValue($0.state) }
        childGauge("sa_encap", "Forced Encapsulation in UDP Packets") { flag($0.udpEncapsulated) }
        text.family("strongswan_sa_encryption_key_size", .gauge, help: "Key size of the encryption algorithm")
        for entry in children {
            text.sample("strongswan_sa_encryption_key_size",
                        entry.labels.appending("algorithm", entry.child.encryptionAlgorithm ?? "").appending("dh_group", entry.child.keyExchange ?? ""),
                        Double(entry.child.encryptionKeySize ?? 0))
        }
        text.family("strongswan_sa_integrity_key_size", .gauge, help: "Key size of the integrity algorithm")
        for entry in children {
            text.sample("strongswan_sa_integrity_key_size",
                        entry.labels.appending("algorithm", entry.child.integrityAlgorithm ?? "").appending("dh_group", entry.child.keyExchange ?? ""),
                        Double(entry.child.integrityKeySize ?? 0))
        }
        childGauge("sa_inbound_bytes", "Number of input bytes processed", traffic: true) { Double($0.bytesIn) }
        childGauge("sa_inbound_packets", "Number of input packets processed", traffic: true) { Double($0.packetsIn) }
        childGauge("sa_last_inbound_seconds", "Number of seconds since the last inbound packet was received", traffic: true) {
            $0.lastInSeconds.map(Double.init)
        }
        childGauge("sa_outbound_bytes", "Number of output bytes processed", traffic: true) { Double($0.bytesOut) }
        childGauge("sa_outbound_packets", "Number of output packets processed", traffic: true) { Double($0.packetsOut) }
        childGauge("sa_last_outbound_seconds", "Number of seconds since the last outbound packet was sent", traffic: true) {
            $0.lastOutSeconds.map(Double.init)
        }
        childGauge("sa_established_seconds", "Seconds since the child SA was established") { $0.installedSeconds.map(Double.init) }
        childGauge("sa_rekey_seconds", "Seconds until the child SA will be rekeyed") { $0.rekeySeconds.map(Double.init) }
        childGauge("sa_lifetime_seconds", "Seconds until the lifetime expires") { $0.lifetimeSeconds.map(Double.init) }
    }
}
