/// An IKE_SA as charon's `list-sa` event describes it.
public struct IKESAStatus: Sendable, Hashable, Codable {
    public var name: String
    public var uniqueID: String?
    public var version: String?
    /// CREATED, CONNECTING, ESTABLISHED, PASSIVE, REKEYING, REKEYED, DELETING, DESTROYING.
    public var state: String
    public var localHost: String?
    public var localID: String?
    public var remoteHost: String?
    public var remoteID: String?
    public var encryption: String?
    public var integrity: String?
    public var pseudoRandomFunction: String?
    /// The parts of `encryption` and `integrity` as charon gives them (`encr-alg`, `encr-keysize`, …).
    public var encryptionAlgorithm: String?
    public var encryptionKeySize: Int?
    public var integrityAlgorithm: String?
    public var integrityKeySize: Int?
    public var keyExchange: String?
    public var natDetected: Bool
    /// Which NAT situation charon saw (`nat-local`, `nat-remote`, `nat-fake`); `natDetected` is any of them.
    public var natLocal: Bool
    public var natRemote: Bool
    public var natFake: Bool
    /// This side started the IKE_SA.
    public var initiator: Bool
    public var establishedSeconds: Int?
    /// Seconds until charon rekeys or reauthenticates the IKE_SA.
    public var rekeySeconds: Int?
    public var reauthSeconds: Int?
    public var children: [ChildSAStatus]

    public init(name: String, _ section: VICIMessage) {
        self.name = name
        uniqueID = section.string("uniqueid")
        version = section.string("version")
        state = section.string("state") ?? "UNKNOWN"
        localHost = section.string("local-host")
        localID = section.string("local-id")
        remoteHost = section.string("remote-host")
        remoteID = section.string("remote-id")
        encryption = Self.algorithm(section.string("encr-alg"), keySize: section.string("encr-keysize"))
        integrity = section.string("integ-alg")
        pseudoRandomFunction = section.string("prf-alg")
        encryptionAlgorithm = section.string("encr-alg")
        encryptionKeySize = section.string("encr-keysize").flatMap { Int($0) }
        integrityAlgorithm = section.string("integ-alg")
        integrityKeySize = section.string("integ-keysize").flatMap { Int($0) }
        keyExchange = section.string("dh-group")
        natDetected = section.string("nat-any") == "yes"
        natLocal = section.string("nat-local") == "yes"
        natRemote = section.string("nat-remote") == "yes"
        natFake = section.string("nat-fake") == "yes"
        initiator = section.string("initiator") == "yes"
        establishedSeconds = section.string("established").flatMap { Int($0) }
        rekeySeconds = section.string("rekey-time").flatMap { Int($0) }
        reauthSeconds = section.string("reauth-time").flatMap { Int($0) }
        children = section.section("child-sas")?.entries.compactMap { entry in
            guard case .section(let child) = entry.value else { return nil }
            return ChildSAStatus(child)
        } ?? []
    }

    static func algorithm(_ name: String?, keySize: String?) -> String? {
        guard let name else { return nil }
        return keySize.map { "\(name)-\($0)" } ?? name
    }
}

/// A CHILD_SA (the ESP SA pair) as `list-sa` describes it.
public struct ChildSAStatus: Sendable, Hashable, Codable {
    public var name: String
    public var uniqueID: String?
    /// INSTALLED, REKEYING, REKEYED, DELETING, … — only INSTALLED carries traffic.
    public var state: String
    public var mode: String?
    public var protocolName: String?
    public var udpEncapsulated: Bool
    public var encryption: String?
    public var integrity: String?
    public var keyExchange: String?
    public var encryptionAlgorithm: String?
    public var encryptionKeySize: Int?
    public var integrityAlgorithm: String?
    public var integrityKeySize: Int?
    public var bytesIn: UInt64
    public var packetsIn: UInt64
    public var bytesOut: UInt64
    public var packetsOut: UInt64
    public var installedSeconds: Int?
    /// Seconds until rekeying and until the hard lifetime ends.
    public var rekeySeconds: Int?
    public var lifetimeSeconds: Int?
    /// Seconds since the last packet in and out (absent before the first).
    public var lastInSeconds: Int?
    public var lastOutSeconds: Int?
    public var localTrafficSelectors: [String]
    public var remoteTrafficSelectors: [String]

    public init(_ section: VICIMessage) {
        name = section.string("name") ?? "?"
        uniqueID = section.string("uniqueid")
        state = section.string("state") ?? "UNKNOWN"
        mode = section.string("mode")
        protocolName = section.string("protocol")
        udpEncapsulated = section.string("encap") == "yes"
        encryption = IKESAStatus.algorithm(section.string("encr-alg"), keySize: section.string("encr-keysize"))
        integrity = section.string("integ-alg")
        keyExchange = section.string("dh-group")
        encryptionAlgorithm = section.string("encr-alg")
        encryptionKeySize = section.string("encr-keysize").flatMap { Int($0) }
        integrityAlgorithm = section.string("integ-alg")
        integrityKeySize = section.string("integ-keysize").flatMap { Int($0) }
        bytesIn = section.string("bytes-in").flatMap { UInt64($0) } ?? 0
        packetsIn = section.string("packets-in").flatMap { UInt64($0) } ?? 0
        bytesOut = section.string("bytes-out").flatMap { UInt64($0) } ?? 0
        packetsOut = section.string("packets-out").flatMap { UInt64($0) } ?? 0
        installedSeconds = section.string("install-time").flatMap { Int($0) }
        rekeySeconds = section.string("rekey-time").flatMap { Int($0) }
        lifetimeSeconds = section.string("life-time").flatMap { Int($0) }
        lastInSeconds = section.string("use-in").flatMap { Int($0) }
        lastOutSeconds = section.string("use-out").flatMap { Int($0) }
        localTrafficSelectors = section.list("local-ts")
        remoteTrafficSelectors = section.list("remote-ts")
    }
}

/// The tunnel's state in one word, for `status` and for readiness probes.
public enum TunnelState: String, Sendable, Codable {
    /// A CHILD_SA is installed: traffic flows.
    case up
    /// The IKE_SA is established but no CHILD_SA is installed.
    case ikeOnly = "ike-only"
    /// Nothing is established.
    case down

    public init(_ sas: [IKESAStatus], connection: String) {
        let ours = sas.filter { $0.name == connection }
        if ours.contains(where: { $0.children.contains { $0.state == "INSTALLED" } }) {
            self = .up
        } else if ours.contains(where: { $0.state == "ESTABLISHED" }) {
            self = .ikeOnly
        } else {
            self = .down
        }
    }
}
