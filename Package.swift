// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "AgentGate",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "agentgate", targets: ["agentgate"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // System libraries: each imported by exactly one Swift module.
    .systemLibrary(
      name: "CGit2", path: "Sources/CGit2", pkgConfig: "libgit2",
      providers: [.apt(["libgit2-dev"])]),
    .systemLibrary(
      name: "CDeflate", path: "Sources/CDeflate", pkgConfig: "libdeflate",
      providers: [.apt(["libdeflate-dev"])]),
    .systemLibrary(
      name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8",
      providers: [.apt(["libpcre2-dev"])]),
    .systemLibrary(
      name: "CSeccomp", path: "Sources/CSeccomp", pkgConfig: "libseccomp",
      providers: [.apt(["libseccomp-dev"])]),
    .target(
      name: "CCurlShims", path: "Sources/CCurlShims",
      linkerSettings: [.linkedLibrary("curl")]),

    // Swift modules, arrows one way (see DESIGN.md).
    .target(name: "GateCore"),
    .target(name: "TOML"),
    .target(name: "GitReading", dependencies: ["GateCore", "CGit2", "CDeflate"]),
    .target(name: "Attribution", dependencies: ["GateCore"]),
    .target(name: "Scanning", dependencies: ["GateCore", "CPCRE2", "TOML"]),
    .target(name: "Sandbox", dependencies: ["GateCore", "CSeccomp"]),
    .target(name: "Reporting", dependencies: ["GateCore"]),
    .target(name: "CurlTransport", dependencies: ["Reporting", "CCurlShims"]),
    .target(name: "Policy", dependencies: ["GateCore", "TOML"]),
    .target(
      name: "Gate",
      dependencies: [
        "GateCore", "GitReading", "Attribution", "Scanning", "Sandbox", "Reporting",
        "CurlTransport", "Policy",
      ]),
    .executableTarget(
      name: "agentgate",
      dependencies: ["Gate", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

    // Tests: one target per module, plus end-to-end tests of the shipped binary.
    .target(name: "TestSupport", dependencies: ["GateCore"], path: "Tests/TestSupport"),
    .testTarget(name: "GateCoreTests", dependencies: ["GateCore", "TestSupport"]),
    .testTarget(name: "TOMLTests", dependencies: ["TOML"]),
    .testTarget(name: "GitReadingTests", dependencies: ["GitReading", "TestSupport"]),
    .testTarget(name: "AttributionTests", dependencies: ["Attribution", "TestSupport"]),
    .testTarget(name: "ScanningTests", dependencies: ["Scanning", "TestSupport"]),
    .testTarget(name: "SandboxTests", dependencies: ["Sandbox", "TestSupport"]),
    .testTarget(name: "ReportingTests", dependencies: ["Reporting", "CurlTransport", "TestSupport"]),
    .testTarget(name: "PolicyTests", dependencies: ["Policy", "TestSupport"]),
    .testTarget(name: "GateTests", dependencies: ["Gate", "TestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["TestSupport"]),
  ],
  swiftLanguageModes: [.v6]
)
