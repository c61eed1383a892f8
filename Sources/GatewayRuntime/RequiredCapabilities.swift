import IPsecCore
import VICI
import Foundation

/// The Linux capabilities charon cannot work without, checked before it starts. charon does not fail when
/// one is missing: without CAP_NET_BIND_SERVICE its socket-default plugin silently refuses to load
/// ("no socket implementation registered") and the gateway sits there, alive and useless. Containers started
/// with `--cap-drop ALL --cap-add NET_ADMIN` hit exactly that.
enum RequiredCapabilities {
    /// Capability numbers from linux/capability.h, with why charon needs each.
    static let required: [(bit: Int, name: String, why: String)] = [
        (10, "CAP_NET_BIND_SERVICE", "IKE binds UDP ports 500 and 4500"),
        (12, "CAP_NET_ADMIN", "SAs, policies and routes are kernel state"),
    ]

    /// The capabilities from `required` that the effective set in `status` (the text of /proc/self/status)
    /// lacks; empty when the set cannot be read (not Linux: nothing to check).
    static func missing(procStatus status: String) -> [(bit: Int, name: String, why: String)] {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let effective = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return [] }
        return required.filter { effective & (1 << UInt64($0.bit)) == 0 }
    }

    /// Throws ``GatewayError/notStarted(_:)`` naming each missing capability and how to grant it.
    static func check(procStatusPath: String = "/proc/self/status") throws {
        guard let status = try? String(contentsOfFile: procStatusPath, encoding: .utf8) else { return }
        let missing = missing(procStatus: status)
        guard !missing.isEmpty else { return }
        let grants = missing.map { "--cap-add " + $0.name.dropFirst("CAP_".count) }.joined(separator: " ")
        throw GatewayError.notStarted(
            "charon needs " + missing.map { "\($0.name) (\($0.why))" }.joined(separator: " and ")
            + ", which this process lacks. Grant it to the container: \(grants) (Docker, podman) or "
            + "securityContext.capabilities.add (Kubernetes). NET_BIND_SERVICE is in their default set unless "
            + "all capabilities are dropped.")
    }
}
