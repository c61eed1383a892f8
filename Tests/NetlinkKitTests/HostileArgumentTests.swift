import Foundation
import PropertyBased
import Testing
import TestSupport
@testable import NetlinkKit

/// NetlinkKit is a public library: any argument, however long or odd, is refused with a typed error or
/// handled, never written past a buffer. (CI runs these under AddressSanitizer too.)
@Suite struct HostileArgumentTests {
    @Test(arguments: ["", ".", "..", "a/b", "a:b", "a b", "a\tb", "a\u{0}b", String(repeating: "x", count: 16), String(repeating: "x", count: 6_000)])
    func invalidInterfaceNamesAreNamedAsSuch(name: String) {
        #expect(InterfaceName.problem(name) != nil, "\(name.debugDescription)")
    }

    @Test(arguments: ["eth0", "vti42", "wan-a_1.100", String(repeating: "x", count: 15)])
    func validInterfaceNamesPass(name: String) {
        #expect(InterfaceName.problem(name) == nil)
    }

    @Test func requestsThatDoNotFitAreMarkedNotOverrun() {
        let request = NetlinkRequest(type: 16, flags: 1, familyHeader: RequestEncoding.ifinfomsg(), operation: "test", capacity: 64)
        request.put(3, string: String(repeating: "x", count: 6_000))
        #expect(request.overflowed)
        #expect(request.bytes.isEmpty)
        let nested = NetlinkRequest(type: 16, flags: 1, familyHeader: RequestEncoding.ifinfomsg(), operation: "test", capacity: 40)
        nested.nest(18) { nested.put(1, bytes: [UInt8](repeating: 7, count: 100)) }
        #expect(nested.overflowed)
        let raw = NetlinkRequest(type: 16, flags: 1, familyHeader: [UInt8](repeating: 0, count: 5_000), operation: "test")
        #expect(raw.overflowed)
        let empty = NetlinkRequest(type: 16, flags: 1, familyHeader: [], operation: "test")
        #expect(!empty.overflowed && empty.bytes.count == 16, "an empty family header is fine")
    }

    @Test func anyAttributeSizeIsBoundsChecked() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0 ... 9_000), Gen.int(in: 24 ... 4_096)) { size, capacity in
            let request = NetlinkRequest(type: 16, flags: 1, familyHeader: RequestEncoding.ifinfomsg(), operation: "test", capacity: capacity)
            request.put(1, bytes: [UInt8](repeating: 1, count: size))
            let fits = 16 + 16 + ((4 + size + 3) & ~3) <= capacity
            #expect(request.overflowed == !fits, "size \(size) capacity \(capacity)")
            if fits { #expect(request.bytes.count == 32 + ((4 + size + 3) & ~3)) }
        }
    }

    @Test(.enabled(if: Privileges.canUseNamespaces, "needs root to open a netlink socket in a namespace"))
    func aSixThousandByteNameIsRefusedBeforeAnythingIsSent() throws {
        let namespace = try NetworkNamespace("nlh")
        defer { namespace.delete() }
        let handle = try NetlinkHandle(namespace: .named(namespace.name))
        let long = String(repeating: "x", count: 6_000)
        for attempt in [{ _ = try handle.link(named: long) }, { _ = try handle.linkIfPresent(named: long) },
                        { try handle.linkDelete(named: long) }, { try handle.setSysctl(.disablePolicy(true), interface: "../../../../x") }] {
            #expect {
                try attempt()
            } throws: { error in
                (error as? NetlinkError)?.kind == .invalidArgument
            }
        }
        #expect(handle.sysctl(.disablePolicy(true), interface: "../all") == nil)
    }
}
