// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ferry", targets: ["ferry"])
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
    ],
    targets: [
        // The signer, client and uploader know nothing about profiles, so Ferry's
        // S3 code can be read and tested on its own.
        .target(
            name: "S3",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "Segmentation"),
        .target(
            name: "Workspace",
            dependencies: [
                "Segmentation",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // PostgreSQL implementation of the store protocols; the only other code
        // besides Workspace that writes SQL.
        .target(
            name: "PostgresStore",
            dependencies: [
                "Workspace", "Segmentation",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // For ConnectionPoolError: the pool's circuit breaker is a transient failure.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Writers for file formats with no dependency on the rest of Ferry, so
        // they can be tested against their specifications alone.
        .target(name: "Parquet"),
        .target(
            name: "OpenPGP",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "BigInt", package: "BigInt"),
            ]
        ),
        .target(
            name: "Export",
            dependencies: [
                "S3", "Workspace", "Segmentation", "Parquet", "OpenPGP",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "Scheduling",
            dependencies: ["Export", "Workspace", .product(name: "Logging", package: "swift-log")]
        ),
        // The use cases; the CLI and the HTTP server are thin front ends over it.
        .target(
            name: "FerryApp",
            dependencies: [
                "S3", "Workspace", "PostgresStore", "Segmentation", "Export", "Scheduling",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "FerryHTTP",
            dependencies: [
                "FerryApp",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "ferry",
            dependencies: [
                "S3", "Workspace", "Segmentation", "Export", "Scheduling", "FerryApp", "FerryHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
        ),
        // Waiting for child processes without holding a thread of Swift's
        // cooperative pool, for every test target that starts one.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "S3Tests", dependencies: ["S3"], resources: [.copy("Vectors")]),
        .testTarget(name: "SegmentationTests", dependencies: ["Segmentation"]),
        .testTarget(
            name: "WorkspaceTests",
            dependencies: [
                "Workspace", "Segmentation", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(name: "ExportTests", dependencies: ["Export", "TestSupport"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling"]),
        .testTarget(name: "ParquetTests", dependencies: ["Parquet", "TestSupport"]),
        .testTarget(name: "OpenPGPTests", dependencies: ["OpenPGP"]),
        .testTarget(
            name: "PostgresStoreTests",
            dependencies: [
                "PostgresStore", "Workspace", "Segmentation", .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        .testTarget(
            name: "FerryHTTPTests",
            dependencies: [
                "FerryHTTP", "FerryApp", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "S3", "Export", "Workspace", "PostgresStore", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
