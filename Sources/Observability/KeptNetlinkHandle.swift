import GatewayRuntime
import NetlinkKit
import Synchronization

/// The endpoints' one netlink socket in their network namespace, kept from scrape to scrape (opening one
/// per scrape cost a socket, a bind and buffer settings each time), as ``CharonConnection`` keeps its VICI
/// connection. Reads take turns; a socket that failed is replaced, once, by a new one.
final class KeptNetlinkHandle: Sendable {
    private let handle = Mutex<NetlinkHandle?>(nil)

    /// One ``KernelSnapshot``; nil when the kernel cannot be read (no NET_ADMIN: the series are left out).
    func read(xfrmStates: Bool) -> KernelSnapshot? {
        handle.withLock { kept -> KernelSnapshot? in
            for _ in 1 ... 2 {
                guard let current = kept ?? (try? NetlinkHandle()) else { return nil }
                if let snapshot = try? KernelSnapshot.read(current, xfrmStates: xfrmStates) {
                    kept = current
                    return snapshot
                }
                kept = nil
            }
            return nil
        }
    }
}
