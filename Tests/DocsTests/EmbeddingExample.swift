// The embedding example of docs/architecture.md, compiled as part of the test suite; DocsTests checks
// the page shows exactly this code.
import NetlinkKit

func addSite(namespace: String) throws {
    let handle = try NetlinkHandle(namespace: .named(namespace))
    let vti = VTILink(name: "vti42", local: IPAddress("192.0.2.1")!, remote: IPAddress("192.0.2.2")!, key: 42)
    try handle.ensureLink(vti)
    try handle.setSysctl(.disablePolicy(true), interface: "vti42")
    let index = try handle.link(named: "vti42").index
    try handle.ensureAddress(InterfaceAddress(interfaceIndex: index, local: IPNetwork("169.254.42.1/30")!,
                                              peer: IPAddress("169.254.42.2")))
    try handle.linkSetUp(named: "vti42")
    try handle.routeReplace(Route(destination: IPNetwork("203.0.113.0/24")!, outputInterface: index, table: 220))
}
