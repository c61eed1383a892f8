// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "vnf-ipsec",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "IPAddresses", targets: ["IPAddresses"]),
        .library(name: "IPsecCore", targets: ["IPsecCore"]),
        .library(name: "VICI", targets: ["VICI"]),
        .library(name: "NetlinkKit", targets: ["NetlinkKit"]),
        .library(name: "GatewayRuntime", targets: ["GatewayRuntime"]),
        .library(name: "Observability", targets: ["Observability"]),
        .library(name: "CertificateChecks", targets: ["CertificateChecks"]),
        .executable(name: "vnf-ipsec", targets: ["vnf-ipsec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    ],
    targets: [
        // libmnl from Debian's libmnl-dev, plus static-inline shims for the kernel header macros
        // Swift cannot import (NLMSG_*, RTA_*, IFLA_* nesting helpers).
        .systemLibrary(
            name: "CLibmnl",
            pkgConfig: "libmnl",
            providers: [.apt(["libmnl-dev"])]
        ),
        // The one address type, shared by the model and netlink: a leaf that needs only the C library.
        .target(name: "IPAddresses"),
        .target(name: "NetlinkKit", dependencies: ["CLibmnl", "IPAddresses", .product(name: "SystemPackage", package: "swift-system")]),
        // The pure library: the typed gateway model and its rules (from the environment or a YAML file),
        // the backend protocol, strongSwan's rendering. No processes, no sockets, no netlink.
        // Files are read through swift-system's descriptors (any readable file, a pipe too).
        .target(name: "IPsecCore", dependencies: ["IPAddresses", .product(name: "Yams", package: "Yams"),
                                                  .product(name: "SystemPackage", package: "swift-system")]),
        // X.509 authentication checked before anything starts: the certificate files a tunnel names parsed,
        // matched with their key, chained to their CA and dated (swift-certificates); the local identity
        // taken from the certificate. Pure like IPsecCore: no processes, no sockets.
        .target(
            name: "CertificateChecks",
            dependencies: [
                "IPsecCore",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // charon's VICI protocol: a codec and a client over its unix socket. Knows nothing of the model.
        .target(name: "VICI", dependencies: [.product(name: "SystemPackage", package: "swift-system")]),
        // What runs: charon supervised as a child, configured over VICI, the kernel programmed through
        // NetlinkKit, all under swift-service-lifecycle.
        .target(
            name: "GatewayRuntime",
            dependencies: [
                "IPsecCore", "VICI", "NetlinkKit",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // What a running gateway tells the outside: Prometheus metrics (strongSwan's SAs with the exporter
        // names dashboards know, and the gateway's own), liveness and readiness over HTTP (SwiftNIO), and
        // JSON log lines. Reads the gateway; changes nothing.
        .target(
            name: "Observability",
            dependencies: [
                "GatewayRuntime", "IPsecCore", "VICI", "NetlinkKit", "CertificateChecks",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "vnf-ipsec",
            dependencies: [
                "IPsecCore",
                "CertificateChecks",
                "VICI",
                "GatewayRuntime",
                "Observability",
                "NetlinkKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            // Linked with lld, relative relocations packed (DT_RELR: 95,000 of them were 2.2 MB of
            // .rela.dyn, read at every start) and no dynamic symbol table of our own code (the static
            // stdlib's link arguments export every symbol; nothing looks them up): 6 MB less resident
            // memory for `run` (docs/benchmarks.md, 8.3).
            linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                                           "-Xlinker", "--no-export-dynamic"], .when(platforms: [.linux]))]
        ),
        // Shared by the test targets: namespaces, a real charon, a scripted UNIX socket (a stand-in charon),
        // running witnesses such as `ip -j`.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "NetlinkKitTests",
            dependencies: ["NetlinkKit", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
                           .product(name: "SystemPackage", package: "swift-system")]
        ),
        .testTarget(
            name: "IPsecCoreTests",
            dependencies: ["IPsecCore", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "CertificateChecksTests",
            dependencies: ["CertificateChecks", "IPsecCore",
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1"),
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "VICITests",
            dependencies: ["VICI", "TestSupport", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: ["GatewayRuntime", "IPsecCore", "VICI", "NetlinkKit", "TestSupport",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle")]
        ),
        .testTarget(
            name: "ObservabilityTests",
            dependencies: ["Observability", "GatewayRuntime", "IPsecCore", "VICI", "TestSupport",
                           .product(name: "Logging", package: "swift-log"),
                           // Not in the product: the reference the hand-written exposition is compared with.
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .testTarget(
            name: "DocsTests",
            dependencies: ["IPsecCore", "NetlinkKit", "TestSupport", "Observability", "GatewayRuntime", "VICI",
                           .product(name: "Yams", package: "Yams"), .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["TestSupport"]
        ),
    ]
)
