import NetlinkKit
import VICI

/// charon's SAs as `run` last saw them: listed at start, again after each SA event (up, down, rekey) and
/// every ``Gateway/saRefreshInterval`` in between, so a reader (metrics, readiness) never has to ask charon
/// itself. charon's durations are relative to the moment it answered; ``current(at:kernel:)`` makes them
/// relative to the moment of reading, and takes each CHILD_SA's traffic from the kernel's XFRM states, so
/// counters are the kernel's now rather than at the last list.
public struct SASnapshot: Sendable {
    public var sas: [IKESAStatus]
    /// When charon's answer was complete.
    public var taken: ContinuousClock.Instant

    public init(sas: [IKESAStatus], taken: ContinuousClock.Instant) {
        self.sas = sas
        self.taken = taken
    }

    /// The SAs as charon would list them at `now`: each duration moved by the whole seconds since `taken`
    /// (charon's own resolution), and each CHILD_SA's bytes and packets the kernel's where `kernel` holds
    /// its XFRM state (found by SPI and destination; charon's counts where it does not, as with a
    /// userspace IPsec stack, or in the moment between a rekey and the next list). A CHILD_SA that the
    /// kernel counted packets for since the list last used its SA less than those seconds ago: its "last
    /// packet" is then 0 seconds ago, which is within charon's own one-second resolution of the truth only
    /// when the list is recent — hence the short refresh interval.
    public func current(at now: ContinuousClock.Instant, kernel: [XfrmState]?) -> [IKESAStatus] {
        let elapsed = max(0, Int((now - taken).components.seconds))
        let byKey = kernel.map { states in
            Dictionary(states.map { (KernelKey(spi: $0.spi, destination: $0.destination), $0.usage) }) { first, _ in first }
        }
        return sas.map { ike in
            var ike = ike
            ike.establishedSeconds = ike.establishedSeconds.map { $0 + elapsed }
            ike.rekeySeconds = ike.rekeySeconds.map { max(0, $0 - elapsed) }
            ike.reauthSeconds = ike.reauthSeconds.map { max(0, $0 - elapsed) }
            let local = ike.localHost.flatMap { IPAddress($0) }, remote = ike.remoteHost.flatMap { IPAddress($0) }
            ike.children = ike.children.map { child in
                var child = child
                child.installedSeconds = child.installedSeconds.map { $0 + elapsed }
                child.rekeySeconds = child.rekeySeconds.map { max(0, $0 - elapsed) }
                child.lifetimeSeconds = child.lifetimeSeconds.map { max(0, $0 - elapsed) }
                child.lastInSeconds = child.lastInSeconds.map { $0 + elapsed }
                child.lastOutSeconds = child.lastOutSeconds.map { $0 + elapsed }
                if let byKey {
                    if let spi = child.spiIn, let local, let usage = byKey[KernelKey(spi: spi, destination: local)] {
                        if usage.packets > child.packetsIn { child.lastInSeconds = 0 }
                        (child.bytesIn, child.packetsIn) = (usage.bytes, usage.packets)
                    }
                    if let spi = child.spiOut, let remote, let usage = byKey[KernelKey(spi: spi, destination: remote)] {
                        if usage.packets > child.packetsOut { child.lastOutSeconds = 0 }
                        (child.bytesOut, child.packetsOut) = (usage.bytes, usage.packets)
                    }
                }
                return child
            }
            return ike
        }
    }

    /// How the kernel finds an SA (with the protocol, always ESP here).
    private struct KernelKey: Hashable {
        var spi: UInt32
        var destination: IPAddress
    }
}
