/// charon's `child-updown` and `ike-updown` events: the SA that went up or down, as charon saw it at that
/// moment. A `list-sas` with `noblock` asked right after such an event misses the very IKE_SA the event is
/// about (charon still holds it checked out), so the tunnel would look absent: ``apply(to:)`` puts the
/// event's view in its place.
public struct UpdownEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case child = "child-updown", ike = "ike-updown"
    }

    public var kind: Kind
    public var up: Bool
    /// The IKE_SA (with only the CHILD_SA the event is about, for `child-updown`).
    public var ikeSA: IKESAStatus

    /// nil for any other packet, or an event without an IKE_SA section.
    public init?(_ packet: VICIPacket) {
        guard packet.kind == .event, let name = packet.name, let kind = Kind(rawValue: name) else { return nil }
        let sections = packet.message.entries.compactMap { entry -> IKESAStatus? in
            guard case .section(let section) = entry.value else { return nil }
            return IKESAStatus(name: entry.key, section)
        }
        guard let ikeSA = sections.first else { return nil }
        self.kind = kind
        up = packet.message.string("up") == "yes"
        self.ikeSA = ikeSA
    }

    /// `sas` (a `list-sas` answer) as they are once the event has happened.
    public func apply(to sas: [IKESAStatus]) -> [IKESAStatus] {
        var result = sas
        let index = result.firstIndex { $0.uniqueID != nil && $0.uniqueID == ikeSA.uniqueID && $0.name == ikeSA.name }
        switch (kind, up) {
        case (.child, true):
            // The CHILD_SA is installed: the IKE_SA as listed, with this CHILD_SA in it.
            guard let index else { return result + [ikeSA] }
            result[index].children.removeAll { $0.uniqueID == ikeSA.children.first?.uniqueID }
            result[index].children += ikeSA.children
        case (.child, false):
            // Gone: the IKE_SA stays (it may keep other CHILD_SAs), without it.
            let gone = Set(ikeSA.children.compactMap(\.uniqueID))
            if let index {
                result[index].children.removeAll { $0.uniqueID.map(gone.contains) == true }
            } else {
                var ike = ikeSA
                ike.children.removeAll { $0.uniqueID.map(gone.contains) == true }
                result.append(ike)
            }
        case (.ike, true):
            if index == nil { result.append(ikeSA) }
        case (.ike, false):
            if let index { result.remove(at: index) }
        }
        return result
    }
}
