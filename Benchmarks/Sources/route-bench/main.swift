// Route programming in a throwaway namespace: NetlinkKit against `ip -batch` (one process, one socket) and
// against one `ip route add` process per route (what upstream's shell did), all in the same run.
import Foundation
import NetlinkKit

func shell(_ command: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    try! process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// 10,000 distinct destinations need a large space: /64s inside the documentation prefix 2001:db8::/32.
func destinations(_ count: Int) -> [String] { (0..<count).map { "2001:db8:\(String($0 / 256, radix: 16)):\(String($0 % 256, radix: 16))::/64" } }

let namespace = "vnf-bench-\(getpid())"
precondition(shell("ip netns add \(namespace) && ip -n \(namespace) link set lo up && ip -n \(namespace) link add dummy0 type veth peer name dummy1 && ip -n \(namespace) link set dummy0 up && ip -n \(namespace) link set dummy1 up") == 0)
defer { _ = shell("ip netns del \(namespace)") }
let handle = try NetlinkHandle(namespace: .named(namespace))
let index = try handle.link(named: "dummy0").index

print("route programming (one device, namespace \(namespace))")
for count in [1_000, 10_000] {
    let routes = destinations(count).map { Route(destination: IPNetwork($0)!, outputInterface: index, table: 1000) }
    let add = try seconds { try handle.routeAdd(routes) }
    let dump = try seconds { let listed = try handle.routes(table: 1000).count; precondition(listed == count) }
    let delete = try seconds { try handle.routeDelete(routes) }

    let batchFile = NSTemporaryDirectory() + "routes-\(count).batch"
    try destinations(count).map { "route add \($0) dev dummy0 table 1000" }.joined(separator: "\n").write(toFile: batchFile, atomically: true, encoding: .utf8)
    let deleteFile = NSTemporaryDirectory() + "routes-del-\(count).batch"
    try destinations(count).map { "route del \($0) dev dummy0 table 1000" }.joined(separator: "\n").write(toFile: deleteFile, atomically: true, encoding: .utf8)
    let batchAdd = seconds { precondition(shell("ip -n \(namespace) -batch \(batchFile)") == 0) }
    let batchDump = seconds { precondition(shell("ip -n \(namespace) -6 route show table 1000 > /dev/null") == 0) }
    let batchDelete = seconds { precondition(shell("ip -n \(namespace) -batch \(deleteFile)") == 0) }

    print(String(format: "  %6d routes  add: NetlinkKit %.3fs, ip -batch %.3fs  (%.2fx of ip -batch)", count, add, batchAdd, add / batchAdd))
    print(String(format: "  %6d routes  delete: NetlinkKit %.3fs, ip -batch %.3fs  (%.2fx)", count, delete, batchDelete, delete / batchDelete))
    print(String(format: "  %6d routes  dump: NetlinkKit %.3fs (decoded), ip route show %.3fs (printed)  (%.2fx)", count, dump, batchDump, dump / batchDump))
    if count == 1_000 {
        let script = destinations(count).map { "ip -n \(namespace) route add \($0) dev dummy0 table 1001" }.joined(separator: "\n")
        let scriptFile = NSTemporaryDirectory() + "routes-per-process.sh"
        try script.write(toFile: scriptFile, atomically: true, encoding: .utf8)
        let perProcess = seconds { precondition(shell("sh \(scriptFile)") == 0) }
        print(String(format: "  %6d routes  add: one ip process per route %.3fs  (NetlinkKit %.0fx faster)", count, perProcess, perProcess / add))
    }
}
