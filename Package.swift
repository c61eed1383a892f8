// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "vnf-ipsec",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "IPsecCore", targets: ["IPsecCore"]),
        .library(name: "NetlinkKit", targets: ["NetlinkKit"]),
        .executable(name: "vnf-ipsec", targets: ["vnf-ipsec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
    ],
    targets: [
        // libmnl from Debian's libmnl-dev, plus static-inline shims for the kernel header macros
        // Swift cannot import (NLMSG_*, RTA_*, IFLA_* nesting helpers).
        .systemLibrary(
            name: "CLibmnl",
            pkgConfig: "libmnl",
            providers: [.apt(["libmnl-dev"])]
        ),
        .target(name: "NetlinkKit", dependencies: ["CLibmnl"]),
        .target(
            name: "IPsecCore",
            dependencies: [
                "NetlinkKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "vnf-ipsec",
            dependencies: [
                "IPsecCore",
                "NetlinkKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // Shared by the test targets: namespaces, a real charon, running witnesses such as `ip -j`.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "NetlinkKitTests",
            dependencies: ["NetlinkKit", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "IPsecCoreTests",
            dependencies: ["IPsecCore", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "VICITests",
            dependencies: ["IPsecCore", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["IPsecCore", "NetlinkKit", "TestSupport"]
        ),
        .testTarget(
            name: "DocsTests",
            dependencies: ["IPsecCore", "NetlinkKit", "TestSupport", .product(name: "Yams", package: "Yams")]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["TestSupport"]
        ),
    ]
)
