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

    /// Reads `section` in one pass (a scrape decodes every SA: looking each key up in turn was quadratic).
    /// Where a key repeats (charon's do not), the last one counts.
    public init(name: String, _ section: VICIMessage) {
        self.name = name
        state = "UNKNOWN"
        natDetected = false
        natLocal = false
        natRemote = false
        natFake = false
        initiator = false
        children = []
        var encryptionKeySizeText: String?
        for (key, value) in section.entries {
            switch value {
            case .value(let bytes):
                let text = String(decoding: bytes, as: UTF8.self)
                switch key {
                case "uniqueid": uniqueID = text
                case "version": version = text
                case "state": state = text
                case "local-host": localHost = text
                case "local-id": localID = text
                case "remote-host": remoteHost = text
                case "remote-id": remoteID = text
                case "integ-alg": integrity = text; integrityAlgorithm = text
                case "prf-alg": pseudoRandomFunction = text
                case "encr-alg": encryptionAlgorithm = text
                case "encr-keysize": encryptionKeySizeText = text; encryptionKeySize = Int(text)
                case "integ-keysize": integrityKeySize = Int(text)
                case "dh-group": keyExchange = text
                case "nat-any": natDetected = text == "yes"
                case "nat-local": natLocal = text == "yes"
                case "nat-remote": natRemote = text == "yes"
                case "nat-fake": natFake = text == "yes"
                case "initiator": initiator = text == "yes"
                case "established": establishedSeconds = Int(text)
                case "rekey-time": rekeySeconds = Int(text)
                case "reauth-time": reauthSeconds = Int(text)
                default: continue
                }
            case .section(let childSAs) where key == "child-sas":
                children = childSAs.entries.compactMap { entry in
                    guard case .section(let child) = entry.value else { return nil }
                    return ChildSAStatus(child)
                }
            default: continue
            }
        }
        encryption = Self.algorithm(encryptionAlgorithm, keySize: encryptionKeySizeText)
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
    /// The SPIs of the inbound and outbound SA (charon gives them in hex): with the IKE_SA's hosts, the
    /// kernel's key for each XFRM state.
    public var spiIn: UInt32?
    public var spiOut: UInt32?

    /// Reads `section` in one pass, like ``IKESAStatus/init(name:_:)``.
    public init(_ section: VICIMessage) {
        name = "?"
        state = "UNKNOWN"
        udpEncapsulated = false
        bytesIn = 0
        packetsIn = 0
        bytesOut = 0
        packetsOut = 0
        localTrafficSelectors = []
        remoteTrafficSelectors = []
        var encryptionKeySizeText: String?
        for (key, value) in section.entries {
            switch value {
            case .value(let bytes):
                let text = String(decoding: bytes, as: UTF8.self)
                switch key {
                case "name": name = text
                case "uniqueid": uniqueID = text
                case "state": state = text
                case "mode": mode = text
                case "protocol": protocolName = text
                case "encap": udpEncapsulated = text == "yes"
                case "encr-alg": encryptionAlgorithm = text
                case "encr-keysize": encryptionKeySizeText = text; encryptionKeySize = Int(text)
                case "integ-alg": integrity = text; integrityAlgorithm = text
                case "integ-keysize": integrityKeySize = Int(text)
                case "dh-group": keyExchange = text
                case "bytes-in": bytesIn = UInt64(text) ?? 0
                case "packets-in": packetsIn = UInt64(text) ?? 0
                case "bytes-out": bytesOut = UInt64(text) ?? 0
                case "packets-out": packetsOut = UInt64(text) ?? 0
                case "install-time": installedSeconds = Int(text)
                case "rekey-time": rekeySeconds = Int(text)
                case "life-time": lifetimeSeconds = Int(text)
                case "use-in": lastInSeconds = Int(text)
                case "use-out": lastOutSeconds = Int(text)
                case "spi-in": spiIn = UInt32(text, radix: 16)
                case "spi-out": spiOut = UInt32(text, radix: 16)
                default: continue
                }
            case .list(let items) where key == "local-ts":
                localTrafficSelectors = items.map { String(decoding: $0, as: UTF8.self) }
            case .list(let items) where key == "remote-ts":
                remoteTrafficSelectors = items.map { String(decoding: $0, as: UTF8.self) }
            default: continue
            }
        }
        encryption = IKESAStatus.algorithm(encryptionAlgorithm, keySize: encryptionKeySizeText)
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
