// swift-tools-version:6.1
// On-demand benchmarks (not built by the test suite): `bash Benchmarks/run.sh`.
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which is whatever the checkout was cloned as, so
// it is read from this file's location rather than written down.
let parent = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "vnf-ipsec-benchmarks",
    dependencies: [.package(path: ".."), .package(url: "https://github.com/apple/swift-log", from: "1.6.0")],
    targets: [
        .executableTarget(name: "route-bench", dependencies: [.product(name: "NetlinkKit", package: parent)]),
        .executableTarget(name: "load-bench", dependencies: [
            .product(name: "GatewayRuntime", package: parent), .product(name: "IPsecCore", package: parent),
            .product(name: "VICI", package: parent), .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
