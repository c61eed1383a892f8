import Testing
@testable import VICI

/// charon's up/down events override a `list-sas --noblock` answer that missed the IKE_SA they are about.
@Suite struct UpdownEventTests {
    static func child(_ id: String, _ state: String = "INSTALLED") -> VICIMessage {
        var child = VICIMessage()
        child.append("uniqueid", id)
        child.append("state", state)
        return child
    }

    static func ike(_ id: String, state: String = "ESTABLISHED", children: [String: VICIMessage]) -> VICIMessage {
        var ike = VICIMessage()
        ike.append("uniqueid", id)
        ike.append("state", state)
        var list = VICIMessage()
        for (key, child) in children.sorted(by: { $0.key < $1.key }) { list.append(key, section: child) }
        ike.append("child-sas", section: list)
        return ike
    }

    static func event(_ name: String, up: Bool, _ ike: VICIMessage, connection: String = "tunA") -> VICIPacket {
        var message = VICIMessage()
        if up { message.append("up", "yes") }
        message.append(connection, section: ike)
        return VICIPacket(kind: .event, name: name, message: message)
    }

    static func listed(_ ike: VICIMessage, connection: String = "tunA") -> IKESAStatus { IKESAStatus(name: connection, ike) }

    @Test func aChildUpMissingFromANoblockListMakesTheTunnelUp() throws {
        let event = try #require(UpdownEvent(Self.event("child-updown", up: true, Self.ike("3", children: ["tunA-7": Self.child("7")]))))
        #expect(TunnelState([], connection: "tunA") == .down)
        #expect(TunnelState(event.apply(to: []), connection: "tunA") == .up, "the IKE_SA was checked out: the event says it")
        let listedWithout = Self.listed(Self.ike("3", children: [:]))
        let merged = event.apply(to: [listedWithout])
        #expect(merged.count == 1 && TunnelState(merged, connection: "tunA") == .up)
    }

    @Test func aChildDownLeavesTheIKESAAndItsOtherChildren() throws {
        let event = try #require(UpdownEvent(Self.event("child-updown", up: false, Self.ike("3", children: ["tunA-7": Self.child("7")]))))
        let listed = Self.listed(Self.ike("3", children: ["a": Self.child("7"), "b": Self.child("8")]))
        #expect(event.apply(to: [listed]).first?.children.compactMap(\.uniqueID) == ["8"])
        #expect(TunnelState(event.apply(to: [listed]), connection: "tunA") == .up)
        #expect(TunnelState(event.apply(to: []), connection: "tunA") == .ikeOnly, "missed by the list: present, without the CHILD_SA")
    }

    @Test func anIKESAGoingDownMakesTheTunnelAbsent() throws {
        let event = try #require(UpdownEvent(Self.event("ike-updown", up: false, Self.ike("3", state: "DELETING", children: [:]))))
        let listed = Self.listed(Self.ike("3", children: ["a": Self.child("7")]))
        #expect(event.apply(to: [listed, Self.listed(Self.ike("4", children: [:]), connection: "tunB")]).map(\.name) == ["tunB"])
    }

    @Test func otherPacketsAreNoEvents() {
        #expect(UpdownEvent(VICIPacket(kind: .event, name: "list-sa")) == nil)
        #expect(UpdownEvent(VICIPacket(kind: .commandResponse)) == nil)
        #expect(UpdownEvent(VICIPacket(kind: .event, name: "child-updown")) == nil, "no IKE_SA section")
    }
}
