// The sandbox policy value: which backend, what is visible, what may be used. It comes from the
// machine configuration (never from the judged repository) and may only be tightened by policy.

#if canImport(Glibc)
  import Glibc
#endif

/// Resource limits of one sandboxed run.
public struct SandboxLimits: Sendable, Equatable, Codable {
  public var wallClockSeconds: Double
  public var memoryBytes: Int
  public var processes: Int
  public var cpus: Double
  /// Everything written in the work dir.
  public var diskBytes: Int
  public var tmpBytes: Int
  public var shmBytes: Int

  public init(
    wallClockSeconds: Double = 900, memoryBytes: Int = 2 << 30, processes: Int = 512, cpus: Double = 1,
    diskBytes: Int = 1 << 30, tmpBytes: Int = 512 << 20, shmBytes: Int = 64 << 20
  ) {
    self.wallClockSeconds = wallClockSeconds
    self.memoryBytes = memoryBytes
    self.processes = processes
    self.cpus = cpus
    self.diskBytes = diskBytes
    self.tmpBytes = tmpBytes
    self.shmBytes = shmBytes
  }

  public static let defaults = SandboxLimits()

  /// Each limit no larger than the ceiling's (a request can tighten, never loosen), and positive.
  public func clamped(to ceiling: SandboxLimits) -> SandboxLimits {
    SandboxLimits(
      wallClockSeconds: Swift.max(1, Swift.min(wallClockSeconds, ceiling.wallClockSeconds)),
      memoryBytes: Swift.max(16 << 20, Swift.min(memoryBytes, ceiling.memoryBytes)),
      processes: Swift.max(4, Swift.min(processes, ceiling.processes)),
      cpus: Swift.max(0.1, Swift.min(cpus, ceiling.cpus)),
      diskBytes: Swift.max(1 << 20, Swift.min(diskBytes, ceiling.diskBytes)),
      tmpBytes: Swift.max(1 << 20, Swift.min(tmpBytes, ceiling.tmpBytes)),
      shmBytes: Swift.max(1 << 20, Swift.min(shmBytes, ceiling.shmBytes)))
  }
}

public enum SandboxBackendKind: String, Sendable, Codable, CaseIterable {
  case bwrap, container, none
}

/// What the sandbox shows and allows. Defaults deny: no network, no host paths but /usr and the
/// toolchain, a cleared environment with an allowlist.
public struct SandboxPolicy: Sendable, Equatable {
  public var backend: SandboxBackendKind
  /// bwrap's path from the machine configuration; nil: search PATH and the usual places.
  public var bwrapPath: String?
  /// Toolchains, bound read-only at the same path.
  public var readOnlyBinds: [String]
  /// Read-only dependency caches (SwiftPM, cargo, npm, pip), bound at the same path.
  public var cacheBinds: [String]
  public var network: Bool
  /// The only environment the command sees.
  public var environment: [String: String]
  public var limits: SandboxLimits
  public var seccomp: Bool
  /// Container backend: engine binary (docker or podman) and image pinned by digest.
  public var containerEngine: String
  public var containerImage: String?
  /// Where the uid locks, the run dirs and the quota mounts live when running as root.
  public var stateDir: String
  /// Per-run sandbox uids (root only) are taken from this range under a lock.
  public var uidRange: ClosedRange<UInt32>
  /// Run even when a limit holds more weakly than asked (unprivileged: memory per process, CPU
  /// time not rate, no inode cap). Off: such a run fails with `limitNotEnforceable` (fail closed).
  /// Only the machine configuration may turn it on.
  public var allowWeakerLimits: Bool

  public static let sandboxHome = "/home/sandbox"
  public static let workMount = "/work"

  public init(
    backend: SandboxBackendKind = .bwrap, bwrapPath: String? = nil, readOnlyBinds: [String]? = nil,
    cacheBinds: [String] = [], network: Bool = false, environment: [String: String]? = nil,
    limits: SandboxLimits = .defaults, seccomp: Bool = true, containerEngine: String = "docker",
    containerImage: String? = nil, stateDir: String = "/run/agentgate",
    uidRange: ClosedRange<UInt32> = 200_000...200_999, allowWeakerLimits: Bool = false
  ) {
    let toolchains = readOnlyBinds ?? SandboxPolicy.defaultToolchains()
    self.backend = backend
    self.bwrapPath = bwrapPath
    self.readOnlyBinds = toolchains
    self.cacheBinds = cacheBinds
    self.network = network
    self.environment = environment ?? SandboxPolicy.defaultEnvironment(toolchains: toolchains)
    self.limits = limits
    self.seccomp = seccomp
    self.containerEngine = containerEngine
    self.containerImage = containerImage
    self.stateDir = stateDir
    self.uidRange = uidRange
    self.allowWeakerLimits = allowWeakerLimits
  }

  /// The Swift toolchain at /opt/swift when present.
  public static func defaultToolchains() -> [String] {
    var st = stat()
    return stat("/opt/swift", &st) == 0 ? ["/opt/swift"] : []
  }

  public static func defaultEnvironment(toolchains: [String]) -> [String: String] {
    let bins = toolchains.map { "\($0)/usr/bin" } + ["/usr/local/bin", "/usr/bin", "/bin"]
    return [
      "PATH": bins.joined(separator: ":"), "HOME": sandboxHome, "LANG": "C.UTF-8", "TERM": "dumb",
      "TMPDIR": "/tmp", "USER": "sandbox", "LOGNAME": "sandbox", "SHELL": "/bin/sh",
    ]
  }
}
