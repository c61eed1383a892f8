import GatewayRuntime
import NetlinkKit
import Testing
import VICI

/// The gateway's list of charon's SAs, read later: durations as charon would give them at the moment of
/// reading, traffic counters the kernel's.
@Suite struct SASnapshotTests {
    /// An IKE_SA between 192.0.2.1 and 192.0.2.2 with one CHILD_SA (SPIs c0000001 in, c0000002 out) as
    /// charon listed it: 100 bytes / 2 packets each way, last packets 4 and 5 s before.
    static func listed() -> [IKESAStatus] {
        var child = VICIMessage()
        for (key, value) in [("name", "branch-a"), ("uniqueid", "7"), ("state", "INSTALLED"), ("spi-in", "c0000001"), ("spi-out", "c0000002"),
                             ("bytes-in", "100"), ("packets-in", "2"), ("bytes-out", "100"), ("packets-out", "2"),
                             ("use-in", "4"), ("use-out", "5"), ("install-time", "30"), ("rekey-time", "3000"), ("life-time", "1")] {
            child.append(key, value)
        }
        var children = VICIMessage()
        children.append("branch-a-7", section: child)
        var ike = VICIMessage()
        for (key, value) in [("uniqueid", "3"), ("state", "ESTABLISHED"), ("local-host", "192.0.2.1"), ("remote-host", "192.0.2.2"),
                             ("established", "40"), ("rekey-time", "9000"), ("reauth-time", "2")] {
            ike.append(key, value)
        }
        ike.append("child-sas", section: children)
        return [IKESAStatus(name: "branch-a", ike)]
    }

    static func state(spi: UInt32, from source: String, to destination: String, bytes: UInt64, packets: UInt64) -> XfrmState {
        var state = XfrmState(source: IPAddress(source)!, destination: IPAddress(destination)!, spi: spi, protocolID: 50)
        state.usage = XfrmState.Usage(bytes: bytes, packets: packets)
        return state
    }

    @Test func durationsMoveByTheWholeSecondsSinceTheList() throws {
        let taken = ContinuousClock.now
        let ike = try #require(SASnapshot(sas: Self.listed(), taken: taken).current(at: taken + .milliseconds(3_700), kernel: nil).first)
        #expect(ike.establishedSeconds == 43 && ike.rekeySeconds == 8997)
        #expect(ike.reauthSeconds == 0, "never below zero")
        let child = try #require(ike.children.first)
        #expect(child.installedSeconds == 33 && child.rekeySeconds == 2997 && child.lifetimeSeconds == 0)
        #expect(child.lastInSeconds == 7 && child.lastOutSeconds == 8)
        #expect(child.bytesIn == 100 && child.packetsOut == 2, "without the kernel's states, charon's counts")
    }

    @Test func countersAreTheKernelsFoundBySPIAndDestination() throws {
        let taken = ContinuousClock.now
        let kernel = [
            Self.state(spi: 0xC000_0001, from: "192.0.2.2", to: "192.0.2.1", bytes: 5_000, packets: 40),  // inbound
            // The outbound SPI is the peer's choice: another peer may use the same one towards us.
            Self.state(spi: 0xC000_0002, from: "192.0.2.9", to: "192.0.2.1", bytes: 1, packets: 1),
            Self.state(spi: 0xC000_0002, from: "192.0.2.1", to: "192.0.2.2", bytes: 100, packets: 2),  // outbound, unchanged
        ]
        let child = try #require(SASnapshot(sas: Self.listed(), taken: taken).current(at: taken + .seconds(1), kernel: kernel).first?.children.first)
        #expect(child.bytesIn == 5_000 && child.packetsIn == 40)
        #expect(child.lastInSeconds == 0, "the kernel counted packets since the list")
        #expect(child.bytesOut == 100 && child.packetsOut == 2)
        #expect(child.lastOutSeconds == 6, "no packet out since the list: charon's 5 s, one second later")
    }

    @Test func aChildSAWhoseStatesAreGoneKeepsCharonsCounts() throws {
        let taken = ContinuousClock.now
        let child = try #require(SASnapshot(sas: Self.listed(), taken: taken).current(at: taken, kernel: []).first?.children.first)
        #expect(child.bytesIn == 100 && child.bytesOut == 100 && child.lastInSeconds == 4)
    }
}
