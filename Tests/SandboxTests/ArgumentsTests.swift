import Foundation
import GateCore
import TestSupport
import Testing

@testable import Sandbox

@Suite struct BwrapArgumentsTests {
  let policy = SandboxPolicy(readOnlyBinds: ["/opt/swift"], cacheBinds: ["/var/cache/swiftpm"])

  func args(_ binding: WorkDirBinding = .bind("/run/agentgate/runs/200001/work")) -> [String] {
    SandboxRunner.bwrapArguments(policy: policy, workDir: binding, etcDir: "/E", command: ["make", "test"])
  }

  /// The value after `flag` at each occurrence.
  func values(_ a: [String], _ flag: String, width: Int = 1) -> [[String]] {
    a.indices.filter { a[$0] == flag }.map { Array(a[($0 + 1)...($0 + width)]) }
  }

  @Test(arguments: [
    "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session", "--clearenv",
  ])
  func hardeningFlagIsPresent(flag: String) {
    #expect(args().contains(flag))
  }

  @Test func capabilitiesDroppedAndNetworkNotShared() {
    #expect(values(args(), "--cap-drop") == [["ALL"]])
    #expect(!args().contains("--share-net"))
    var open = policy
    open.network = true
    #expect(
      SandboxRunner.bwrapArguments(policy: open, workDir: .bind("/w"), etcDir: "/E", command: ["x"])
        .contains("--share-net"))
  }

  @Test func onlyUsrToolchainsCachesAndEtcComeFromTheHost() {
    let a = args()
    var sources = values(a, "--ro-bind", width: 2).map { $0[0] }
    sources += values(a, "--bind", width: 2).map { $0[0] }
    for s in sources {
      let allowed =
        s == "/usr" || s == "/opt/swift" || s == "/var/cache/swiftpm" || s.hasPrefix("/E/")
        || s == "/run/agentgate/runs/200001/work"
      #expect(allowed, "unexpected host path bound: \(s)")
    }
    for forbidden in ["/sys", "/run", "/var", "/home", "/root", "/"] {
      #expect(!values(a, "--bind", width: 2).contains { $0[1] == forbidden })
      #expect(!values(a, "--ro-bind", width: 2).contains { $0[1] == forbidden })
    }
    // The writable work dir is the only --bind, mounted at /work.
    #expect(values(a, "--bind", width: 2) == [["/run/agentgate/runs/200001/work", "/work"]])
    #expect(values(a, "--ro-bind-try", width: 2).allSatisfy { $0[0].hasPrefix("/etc/") && $0[0] == $0[1] })
    #expect(!values(a, "--ro-bind-try", width: 2).contains { ["/etc/passwd", "/etc/shadow"].contains($0[0]) })
  }

  @Test func synthesizedEtcFilesAreBoundReadOnly() {
    let binds = values(args(), "--ro-bind", width: 2)
    for name in ["passwd", "group", "hosts", "resolv.conf", "nsswitch.conf"] {
      #expect(binds.contains(["/E/\(name)", "/etc/\(name)"]))
    }
  }

  @Test func tmpfsMountsAreSizeCapped() {
    let a = args()
    for (path, size) in [
      ("/tmp", policy.limits.tmpBytes), ("/dev/shm", policy.limits.shmBytes), ("/home/sandbox", policy.limits.tmpBytes),
    ] {
      let i = a.indices.first { a[$0] == path && a[$0 - 1] == "--tmpfs" }
      #expect(i != nil)
      if let i { #expect(Array(a[(i - 3)...(i - 2)]) == ["--size", String(size)]) }
    }
  }

  @Test func environmentIsExactlyTheAllowlistInOrder() {
    let env = values(args(), "--setenv", width: 2)
    #expect(env.map { $0[0] } == policy.environment.keys.sorted())
    #expect(env.contains(["HOME", "/home/sandbox"]))
    #expect(env.contains(["TERM", "dumb"]))
  }

  @Test func commandComesLastAfterSeccompAndStatusFDs() {
    let a = args()
    #expect(Array(a.suffix(3)) == ["--", "make", "test"])
    #expect(values(a, "--seccomp") == [["3"]])
    #expect(values(a, "--json-status-fd") == [["4"]])
    var off = policy
    off.seccomp = false
    #expect(
      !SandboxRunner.bwrapArguments(policy: off, workDir: .bind("/w"), etcDir: "/E", command: ["x"])
        .contains("--seccomp"))
  }

  @Test func seedModeCopiesIntoASizedTmpfsAndKeepsTheSourceReadOnly() {
    let a = args(.seed("/tmp/agentgate-work.abc"))
    #expect(!a.contains("--bind"))
    #expect(values(a, "--ro-bind", width: 2).contains(["/tmp/agentgate-work.abc", SandboxRunner.seedMount]))
    let i = a.indices.first { a[$0] == "/work" && a[$0 - 1] == "--tmpfs" }!
    #expect(Array(a[(i - 3)...(i - 2)]) == ["--size", String(policy.limits.diskBytes)])
    let dash = a.firstIndex(of: "--")!
    #expect(Array(a[(dash + 1)...(dash + 2)]) == ["/bin/sh", "-c"])
    #expect(Array(a.suffix(3)) == ["agentgate-prelude", "make", "test"])
  }

  @Test func fetchPhaseBindsTheSocketAndForwarderSetsTheProxyAndWaitsForReady() {
    let egress = EgressBinding(
      socket: "/run/agentgate/runs/1/etc/proxy.sock", forwarder: "/usr/local/bin/agentgate",
      libraryDirs: ["/opt/swift/usr/lib/swift/linux"])
    let a = SandboxRunner.bwrapArguments(
      policy: policy, workDir: .bind("/w"), etcDir: "/e", command: ["pip", "download", "six"], egress: egress)
    #expect(values(a, "--bind", width: 2).contains([egress.socket, EgressForwarder.socketMount]))
    #expect(values(a, "--ro-bind", width: 2).contains([egress.forwarder, EgressForwarder.binaryMount]))
    #expect(values(a, "--ro-bind", width: 2).contains([egress.libraryDirs[0], egress.libraryDirs[0]]))
    #expect(values(a, "--setenv", width: 2).contains(["HTTPS_PROXY", "http://127.0.0.1:3128"]))
    #expect(a.contains("--unshare-all") && !a.contains("--share-net"))
    let dash = a.firstIndex(of: "--")!
    let script = a[dash + 3]
    #expect(script.contains("\(EgressForwarder.binaryMount) sandbox forward --port 3128"))
    #expect(script.contains("[ \"$r\" = ready ]"))
    #expect(Array(a.suffix(3)) == ["pip", "download", "six"])
    // Without egress: no proxy, no socket, no forwarder.
    let offline = args(.bind("/w"))
    #expect(!offline.contains { $0.contains("PROXY") || $0.hasPrefix("/.agentgate") })
  }

  @Test func reachabilityByOthersFollowsEveryDirectory() throws {
    let dir = TempDir(prefix: "agentgate-reach")
    try dir.write("bin/tool", "#!/bin/sh\n", executable: true)
    chmod(dir.path, 0o700)
    #expect(!isReachableByOthers(dir.file("bin/tool"), executable: true))
    chmod(dir.path, 0o755)
    chmod(dir.file("bin"), 0o755)
    #expect(isReachableByOthers(dir.file("bin/tool"), executable: true))
    chmod(dir.file("bin/tool"), 0o744)
    #expect(!isReachableByOthers(dir.file("bin/tool"), executable: true))
    #expect(isReachableByOthers("/usr/bin/env", executable: true))
  }
}

@Suite struct ContainerArgumentsTests {
  let pinned = "registry.example/toolchain@sha256:" + String(repeating: "a", count: 64)

  @Test func hardenedRunWithLimitsAndPinnedImage() throws {
    var p = SandboxPolicy(backend: .container, containerEngine: "podman", containerImage: pinned)
    p.limits = SandboxLimits(memoryBytes: 256 << 20, processes: 64)
    let a = try SandboxRunner.containerArguments(policy: p, workDir: "/q/work", command: ["make"], name: "n1")
    #expect(Array(a.prefix(2)) == ["podman", "run"])
    let joined = a.joined(separator: " ")
    for part in [
      "--network none", "--read-only", "--cap-drop ALL", "--security-opt no-new-privileges", "--pids-limit 64",
      "--memory \(256 << 20)", "--user 1000:1000", "--name n1",
      "--mount type=bind,source=/q/work,target=/work",
    ] {
      #expect(joined.contains(part), "missing \(part)")
    }
    #expect(Array(a.suffix(2)) == [pinned, "make"])
  }

  @Test(arguments: [nil, "ubuntu:latest", "ubuntu"])
  func unpinnedImageIsRefused(image: String?) {
    let p = SandboxPolicy(backend: .container, containerImage: image)
    #expect(throws: SandboxError.self) {
      try SandboxRunner.containerArguments(policy: p, workDir: "/w", command: ["x"], name: "n")
    }
  }
}

@Suite struct LimitsTests {
  @Test func clampNeverLoosens() {
    let ceiling = SandboxLimits.defaults
    let asked = SandboxLimits(
      wallClockSeconds: 10_000, memoryBytes: 1 << 40, processes: 100_000, cpus: 64, diskBytes: 1 << 40,
      tmpBytes: 1 << 40, shmBytes: 1 << 40)
    #expect(asked.clamped(to: ceiling) == ceiling)
    let tight = SandboxLimits(
      wallClockSeconds: 5, memoryBytes: 256 << 20, processes: 64, cpus: 0.5, diskBytes: 64 << 20, tmpBytes: 8 << 20,
      shmBytes: 4 << 20)
    #expect(tight.clamped(to: ceiling) == tight)
  }

  @Test func defaultsMatchTheIssue() {
    let d = SandboxLimits.defaults
    #expect(d.wallClockSeconds == 900)
    #expect(d.memoryBytes == 2 << 30)
    #expect(d.processes == 512)
    #expect(d.diskBytes == 1 << 30)
    #expect(d.tmpBytes == 512 << 20)
    #expect(d.shmBytes == 64 << 20)
  }

  @Test func nonsenseIsRaisedToAWorkableMinimum() {
    let c = SandboxLimits(wallClockSeconds: -1, memoryBytes: 0, processes: 0, cpus: 0, diskBytes: 0)
      .clamped(to: .defaults)
    #expect(c.wallClockSeconds >= 1 && c.memoryBytes > 0 && c.processes > 0 && c.cpus > 0 && c.diskBytes > 0)
  }
}

@Suite struct ReplayDetectionTests {
  @Test(arguments: [
    ("Package.swift", ["swift build", "swift test"]),
    ("Cargo.toml", ["cargo build --offline", "cargo test --offline"]),
    ("go.mod", ["go build ./...", "go test ./..."]),
    ("package.json", ["npm test"]),
    ("setup.py", ["python3 -m unittest"]),
  ])
  func markerFileSelectsCommands(file: String, commands: [String]) throws {
    let dir = TempDir()
    try dir.write(file, "x\n")
    let found = ReplayRunner.detectCommands(in: dir.path)
    #expect(found.map(\.command) == commands)
    #expect(found.allSatisfy { $0.origin == "detected:\(file)" })
    #expect(found.last?.kind == .test)
  }

  @Test func pytestWhenTheProjectSaysSo() throws {
    let dir = TempDir()
    try dir.write("pyproject.toml", "[tool.pytest.ini_options]\n")
    #expect(ReplayRunner.detectCommands(in: dir.path).map(\.command) == ["python3 -m pytest"])
  }

  @Test func npmCiOnlyWithALockFile() throws {
    let dir = TempDir()
    try dir.write("package.json", "{}")
    try dir.write("package-lock.json", "{}")
    #expect(ReplayRunner.detectCommands(in: dir.path).first?.command.hasPrefix("npm ci --offline") == true)
  }

  @Test func makefileWithAndWithoutTestTarget() throws {
    let dir = TempDir()
    try dir.write("Makefile", "all:\n\ttrue\ntest:\n\ttrue\n")
    #expect(ReplayRunner.detectCommands(in: dir.path).map(\.command) == ["make", "make test"])
    let bare = TempDir()
    try bare.write("Makefile", "all:\n\ttrue\n")
    #expect(ReplayRunner.detectCommands(in: bare.path).map(\.command) == ["make"])
  }

  @Test func swiftWinsOverMakefileAndSymlinkedMarkersDoNotCount() throws {
    let dir = TempDir()
    try dir.write("Makefile", "test:\n")
    try dir.write("Package.swift", "// swift-tools-version: 6.0\n")
    #expect(ReplayRunner.detectCommands(in: dir.path).first?.command == "swift build")
    let linked = TempDir()
    try linked.write("real.toml", "")
    symlink("real.toml", linked.file("Cargo.toml"))
    #expect(ReplayRunner.detectCommands(in: linked.path).isEmpty)
  }
}

@Suite struct SupportTests {
  @Test func outputTailKeepsTheEndAndCountsEverything() {
    var t = OutputTail(limit: 8)
    for chunk in ["hello ", "world, ", "this is the end"] {
      Array(chunk.utf8).withUnsafeBytes { t.append($0) }
    }
    #expect(t.text == " the end")
    #expect(t.total == 28)
  }

  @Test func childPidParsedFromBwrapStatus() {
    let s = Array("{ \"child-pid\": 4242, \"cgroup-namespace\": 1 }\n".utf8)
    #expect(SandboxRunner.childPid(inStatus: s) == 4242)
    #expect(SandboxRunner.childPid(inStatus: Array("{ \"exit-code\": 1 }".utf8)) == nil)
  }

  @Test func seccompFilterBuildsAndExports() throws {
    let fd = try SeccompFilter().exportBPF()
    var st = stat()
    #expect(fstat(fd.raw, &st) == 0)
    // BPF instructions are 8 bytes each.
    #expect(st.st_size > 0 && st.st_size % 8 == 0)
  }

  @Test func errorsSayWhatToDo() {
    let cases: [SandboxError] = [
      .bwrapMissing(searched: ["/usr/bin"]), .sandboxStartFailed("x"), .noFreeUID(range: 1...2),
      .containerEngineUnavailable("x"), .imageNotPinned("x"),
    ]
    for e in cases { #expect(e.description.count > 30) }
  }
}
