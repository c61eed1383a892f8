import IPsecCore
import VICI

extension VICIMessage {
    /// The same tree as strongSwan's config syntax holds it: swanctl.conf's `connections.<name>` is exactly
    /// what `load-conn` takes. Secrets are passed as their raw value.
    init(_ tree: SettingsTree) {
        self.init()
        for (key, value) in tree.entries {
            switch value {
            case .text(let text): append(key, text)
            case .list(let items): append(key, list: items)
            case .section(let child): append(key, section: VICIMessage(child))
            case .secret(let literal): append(key, literal)
            }
        }
    }
}
