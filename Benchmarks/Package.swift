// swift-tools-version:6.1
// On-demand benchmarks (not built by the test suite): `bash Benchmarks/run.sh`.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever the checkout was cloned as, so
// it is read from this file's location rather than written down.
let parent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "vnf-ipsec-benchmarks",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "route-bench", dependencies: [.product(name: "NetlinkKit", package: parent)]),
    ]
)
