import IPsecCore
import Testing
@testable import GatewayRuntime
import VICI

/// What `load-conn` sends is swanctl.conf's tree, element for element.
@Suite struct VICIMessageSettingsTreeTests {
    @Test func settingsTreesBecomeTheSameVICITree() {
        var child = SettingsTree()
        child.set("esp_proposals", list: ["aes256gcm16-ecp384"])
        var conn = SettingsTree()
        conn.set("version", "2")
        conn.set("children", section: child)
        var expected = VICIMessage()
        expected.append("version", "2")
        var expectedChild = VICIMessage()
        expectedChild.append("esp_proposals", list: ["aes256gcm16-ecp384"])
        expected.append("children", section: expectedChild)
        #expect(VICIMessage(conn) == expected)
    }
}
