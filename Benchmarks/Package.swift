// swift-tools-version:6.1
// On-demand benchmarks (not built by the test suite): `bash Benchmarks/run.sh`.
import PackageDescription

let package = Package(
    name: "vnf-ipsec-benchmarks",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "route-bench", dependencies: [.product(name: "NetlinkKit", package: "main")]),
    ]
)
