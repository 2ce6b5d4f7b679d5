// Which limit holds how, on this machine and for this caller: the one place that says it, read
// by the runner (to fail closed) and by `sandbox check` (to tell the operator).
//
// As root with cgroups, every limit is enforced for the run as a whole. Unprivileged (no cgroup
// the user may create on cgroup v1, as on this machine kind), memory is bounded per process
// (RLIMIT_DATA), CPU by time rather than rate (RLIMIT_CPU), and the work dir's tmpfs caps bytes but
// not inodes: weaker guarantees. A run whose limits would be weaker than asked fails with
// `limitNotEnforceable` unless the policy says `allowWeakerLimits` (the machine configuration's
// explicit choice); the result then carries a note per weaker limit.

#if canImport(Glibc)
  import Glibc
#endif

public enum LimitKind: String, Sendable, Codable, CaseIterable {
  case wallClock = "wall-clock", memory, processes, cpu, disk, tmp
}

public enum LimitStrength: String, Sendable, Codable {
  /// Holds for the run as a whole.
  case enforced
  /// Something holds, but less than asked (per process, time not rate, bytes not inodes).
  case weaker
}

public struct LimitEnforcement: Sendable, Codable, Equatable {
  public var kind: LimitKind
  public var strength: LimitStrength
  /// How: the mechanism and, when weaker, what it does not cover.
  public var mechanism: String

  public init(kind: LimitKind, strength: LimitStrength, mechanism: String) {
    self.kind = kind
    self.strength = strength
    self.mechanism = mechanism
  }
}

extension SandboxRunner {
  /// How each limit is enforced for a bwrap run started now by this process (root: with the
  /// cgroup layout this machine has).
  public func limitEnforcement() -> [LimitEnforcement] {
    let isRoot = geteuid() == 0
    var quota = QuotaMethod.tmpfsMount
    if !isRoot {
      // Probe: can this user hold a quota mount in a user namespace?
      let probe = try? QuotaWorkDir.create(policy: policy)
      quota = probe?.method ?? .sandboxTmpfs
      probe?.remove()
    }
    return limitEnforcement(cgroups: isRoot ? RunCgroups.parents()?.0 : nil, quota: quota)
  }

  /// The same for a run that got cgroups of `version` (nil: none) and a work dir quota'd by `quota`.
  func limitEnforcement(cgroups version: CgroupVersion?, quota: QuotaMethod) -> [LimitEnforcement] {
    let isRoot = geteuid() == 0
    let l = policy.limits
    func e(_ k: LimitKind, _ s: LimitStrength, _ m: String) -> LimitEnforcement {
      LimitEnforcement(kind: k, strength: s, mechanism: m)
    }
    var out = [
      e(
        .wallClock, .enforced,
        "the gate kills bwrap and its PID-namespace init at \(Int(l.wallClockSeconds)) s (nothing survives)")
    ]
    if let version {
      let v = version.rawValue
      out += [
        e(.memory, .enforced, "memory cgroup (\(v)), \(l.memoryBytes) bytes for the whole run, swap included"),
        e(
          .processes, .enforced, "pids cgroup (\(v)), \(l.processes) tasks; RLIMIT_NPROC of the run's own uid above it"),
        e(.cpu, .enforced, "cpu cgroup (\(v)) quota of \(l.cpus) CPU"),
      ]
    } else {
      let why = isRoot ? "no usable cgroup layout" : "not root: no cgroup this user may create"
      out += [
        e(.memory, .weaker, "RLIMIT_DATA \(l.memoryBytes) bytes per process, not for the run as a whole (\(why))"),
        SandboxRunner.nprocEnforcement(l.processes, why: why),
        e(.cpu, .weaker, "RLIMIT_CPU: CPU seconds, not a rate (\(why))"),
      ]
    }
    let inodes = QuotaWorkDir.inodeCap(forBytes: l.diskBytes)
    switch quota {
    case .tmpfsMount:
      out.append(e(.disk, .enforced, "tmpfs mounted by the gate: size=\(l.diskBytes), nr_inodes=\(inodes)"))
    case .userNamespaceMount:
      out.append(
        e(
          .disk, .enforced,
          "tmpfs size=\(l.diskBytes), nr_inodes=\(inodes) mounted in a user namespace the gate holds for the replay"
        ))
    case .sandboxTmpfs:
      out.append(
        e(
          .disk, .weaker,
          "tmpfs inside the sandbox (bwrap --size \(l.diskBytes)): bytes capped, inodes not; RLIMIT_FSIZE per file"))
    }
    let sizes = "/tmp, $HOME (\(l.tmpBytes)) and /dev/shm (\(l.shmBytes))"
    if quota == .userNamespaceMount {
      out.append(
        e(.tmp, .enforced, "tmpfs with size= and nr_inodes= for \(sizes), in the gate's user namespace"))
    } else {
      out.append(
        e(
          .tmp, version == nil ? .weaker : .enforced,
          "bwrap --size tmpfs for \(sizes): bytes capped"
            + (version == nil ? "; inodes not" : "; inodes charged to the memory cgroup")))
    }
    return out
  }

  /// RLIMIT_NPROC is counted per user namespace since Linux 5.14 (ucounts): inside bwrap's fresh
  /// namespace it counts the sandbox's own processes. Before, it counts every process of the uid.
  static func nprocEnforcement(_ processes: Int, why: String) -> LimitEnforcement {
    if let (major, minor) = kernelVersion(), major > 5 || (major == 5 && minor >= 14) {
      return LimitEnforcement(
        kind: .processes, strength: .enforced,
        mechanism: "RLIMIT_NPROC \(processes), counted in the sandbox's own user namespace (Linux >= 5.14)")
    }
    return LimitEnforcement(
      kind: .processes, strength: .weaker,
      mechanism: "RLIMIT_NPROC \(processes) counts every process of the uid, not the run's (\(why))")
  }

  static func kernelVersion() -> (Int, Int)? {
    var u = utsname()
    guard uname(&u) == 0 else { return nil }
    let release = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
    return parts.count == 2 ? (parts[0], parts[1]) : nil
  }

  /// Throws when a limit would hold more weakly than asked and the policy does not allow it.
  func requireLimits(_ enforcement: [LimitEnforcement]) throws(SandboxError) {
    let weaker = enforcement.filter { $0.strength == .weaker }
    guard !weaker.isEmpty, !policy.allowWeakerLimits else { return }
    throw .limitNotEnforceable(weaker.map { "\($0.kind.rawValue): \($0.mechanism)" })
  }
}
