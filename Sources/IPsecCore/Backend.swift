/// A file a backend produces: where it goes, what it holds, and who may read it.
public struct RenderedFile: Sendable, Hashable {
    /// Path relative to the output folder (e.g. `swanctl.conf`).
    public var path: String
    /// The contents, secrets included.
    public var contents: String
    /// The same text with every secret replaced by `<redacted>`: what may be shown on a terminal or in logs.
    public var redactedContents: String
    /// POSIX mode: 0o600 for anything holding a secret, 0o644 otherwise.
    public var mode: UInt16

    public init(path: String, contents: String, redactedContents: String? = nil, mode: UInt16) {
        self.path = path
        self.contents = contents
        self.redactedContents = redactedContents ?? contents
        self.mode = mode
    }
}

/// Which of strongSwan's configuration front ends to render.
public enum ConfigFormat: String, Sendable, CaseIterable, Codable {
    /// swanctl.conf plus a strongswan.conf with the vici plugin: what `run` uses.
    case swanctl
    /// The legacy ipsec.conf/ipsec.secrets plus a strongswan.conf with the stroke plugin: what upstream used.
    case ipsec
}

/// An IKE daemon that can carry a ``GatewayConfig``. Rendering is pure: the same configuration always gives
/// the same bytes, and nothing on the system is touched.
public protocol Backend: Sendable {
    /// The files that configure the daemon for `config`.
    func render(_ config: GatewayConfig, format: ConfigFormat) -> [RenderedFile]
}
