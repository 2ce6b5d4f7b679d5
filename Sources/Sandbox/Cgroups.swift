// Per-run cgroups (root only): memory, pids, cpu and (v1) freezer, created under the gate's own
// cgroup so the gate's own limits still hold. cgroup v1 (and hybrid, as on this machine kind) and
// v2 are both handled. A run's cgroups are named after its sandbox uid, whose lock is the owner
// lock: a dead run's leftovers are swept by whoever next takes that uid's lock.
//
// A pool, on v1: creating and removing four v1 cgroups costs milliseconds per run, so a run's
// cgroups stay after it (emptied: every process killed) and the next holder of the same uid reuses
// them. The uid allocator hands out the lowest free uid, so a machine keeps as many cgroups as it
// ever ran sandboxes at once. Counters the kernel never resets (OOM kills, pids max events) are read
// once at the start and reported as differences; the peak memory counter is reset by writing 0.
// On v2 (where `memory.peak` cannot be reset on older kernels) each run's cgroup is removed.

#if canImport(Glibc)
  import Glibc
#endif

public enum CgroupVersion: String, Sendable, Codable {
  case v1, v2
}

final class RunCgroups {
  let version: CgroupVersion
  /// controller -> directory of this run's cgroup.
  let dirs: [String: String]
  private var removed = false
  /// Kernel counters at the start of the run (a reused cgroup keeps its history).
  private var oomBase = 0
  private var pidsBase = 0

  static let v1Controllers = ["memory", "pids", "cpu", "freezer"]
  static let root = "/sys/fs/cgroup"
  static func name(uid: UInt32) -> String { "agentgate-sbx-\(uid)" }

  /// Which layout this machine has, and the parent dir per controller (the gate's own cgroup).
  static func parents() -> (CgroupVersion, [String: String])? {
    guard let text = readSmallFile("/proc/self/cgroup") else { return nil }
    var own: [String: String] = [:]
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count == 3 else { continue }
      for ctrl in parts[1].split(separator: ",") { own[String(ctrl)] = String(parts[2]) }
      if parts[1].isEmpty { own[""] = String(parts[2]) }
    }
    if access("\(root)/cgroup.controllers", F_OK) == 0 {
      let path = own[""] ?? "/"
      return (.v2, ["unified": root + (path == "/" ? "" : path)])
    }
    var result: [String: String] = [:]
    for ctrl in v1Controllers {
      guard access("\(root)/\(ctrl)", F_OK) == 0 else { return nil }
      let path = own[ctrl] ?? "/"
      result[ctrl] = "\(root)/\(ctrl)" + (path == "/" ? "" : path)
    }
    return (.v1, result)
  }

  /// Removes a stale run's cgroups (killing what is left in them).
  static func sweep(uid: UInt32) {
    guard let (version, parents) = parents() else { return }
    var dirs: [String: String] = [:]
    for (ctrl, parent) in parents {
      let d = "\(parent)/\(name(uid: uid))"
      if access(d, F_OK) == 0 { dirs[ctrl] = d }
    }
    guard !dirs.isEmpty else { return }
    let stale = RunCgroups(version: version, dirs: dirs)
    stale.killAll()
    stale.remove()
  }

  private init(version: CgroupVersion, dirs: [String: String]) {
    self.version = version
    self.dirs = dirs
  }

  /// Creates (or, on v1, reuses) the run's cgroups and sets the limits. The caller holds the
  /// uid's lock. Throws when the layout is unknown or the gate may not create cgroups here.
  static func create(uid: UInt32, limits: SandboxLimits) throws(SandboxError) -> RunCgroups {
    guard let (version, parents) = parents() else {
      throw .workDir("no usable cgroup layout under \(root)")
    }
    if version == .v1 {
      var dirs: [String: String] = [:]
      for (ctrl, parent) in parents {
        let d = "\(parent)/\(name(uid: uid))"
        if access("\(d)/cgroup.procs", F_OK) == 0 { dirs[ctrl] = d }
      }
      if dirs.count == parents.count {
        let pooled = RunCgroups(version: version, dirs: dirs)
        pooled.killAll()
        if (try? pooled.apply(limits)) != nil {
          pooled.startCounters()
          return pooled
        }
        // A limit the kernel refused on the reused cgroup (usage above a lowered limit): start over.
        pooled.remove()
      }
    }
    sweep(uid: uid)
    var dirs: [String: String] = [:]
    for (ctrl, parent) in parents {
      let d = "\(parent)/\(name(uid: uid))"
      if mkdir(d, 0o755) != 0 && errno != EEXIST {
        let e = errno
        RunCgroups(version: version, dirs: dirs).remove()
        throw .systemCall("mkdir(\(d))", errno: e)
      }
      dirs[ctrl] = d
    }
    let run = RunCgroups(version: version, dirs: dirs)
    do {
      try run.apply(limits)
    } catch {
      run.remove()
      throw error
    }
    run.startCounters()
    return run
  }

  /// Resets the peak and notes where the never-reset counters stand.
  private func startCounters() {
    if version == .v1, let mem = dirs["memory"] {
      try? writeFile("\(mem)/memory.max_usage_in_bytes", "0")
    }
    oomBase = oomKills
    pidsBase = pidsLimitHits
  }

  /// The run is over: on v1 the (emptied) cgroups stay for the uid's next run; on v2 they go.
  func release() {
    killAll()
    if version == .v2 { remove() }
  }

  private func apply(_ l: SandboxLimits) throws(SandboxError) {
    let period = 100_000
    let quota = Int(l.cpus * Double(period))
    switch version {
    case .v1:
      let mem = dirs["memory"]!
      try writeFile("\(mem)/memory.limit_in_bytes", String(l.memoryBytes))
      // Without memsw the run could swap past its limit.
      if access("\(mem)/memory.memsw.limit_in_bytes", F_OK) == 0 {
        try writeFile("\(mem)/memory.memsw.limit_in_bytes", String(l.memoryBytes))
      }
      try writeFile("\(dirs["pids"]!)/pids.max", String(l.processes))
      try writeFile("\(dirs["cpu"]!)/cpu.cfs_period_us", String(period))
      try writeFile("\(dirs["cpu"]!)/cpu.cfs_quota_us", String(quota))
    case .v2:
      let d = dirs["unified"]!
      try writeFile("\(d)/memory.max", String(l.memoryBytes))
      if access("\(d)/memory.swap.max", F_OK) == 0 { try writeFile("\(d)/memory.swap.max", "0") }
      try writeFile("\(d)/pids.max", String(l.processes))
      try writeFile("\(d)/cpu.max", "\(quota) \(period)")
    }
  }

  /// The cgroup.procs files a new process must join.
  var procsFiles: [String] { dirs.keys.sorted().map { "\(dirs[$0]!)/cgroup.procs" } }

  var peakMemoryBytes: Int? {
    let file =
      version == .v1 ? "\(dirs["memory"] ?? "")/memory.max_usage_in_bytes" : "\(dirs["unified"] ?? "")/memory.peak"
    return readSmallFile(file).flatMap { Int($0.trimmingCharacters(in: " \n")) }
  }

  private func counter(_ file: String, _ key: String) -> Int {
    guard let text = readSmallFile(file) else { return 0 }
    for line in text.split(separator: "\n") {
      let f = line.split(separator: " ")
      if f.count == 2, f[0] == key { return Int(f[1]) ?? 0 }
    }
    return 0
  }

  /// The memory limit killed something (since this run started).
  var oomKills: Int {
    let total =
      version == .v1
      ? counter("\(dirs["memory"] ?? "")/memory.oom_control", "oom_kill")
      : counter("\(dirs["unified"] ?? "")/memory.events", "oom_kill")
    return total - oomBase
  }

  /// A fork failed at the process limit (since this run started).
  var pidsLimitHits: Int {
    let total =
      version == .v1
      ? counter("\(dirs["pids"] ?? "")/pids.events", "max")
      : counter("\(dirs["unified"] ?? "")/pids.events", "max")
    return total - pidsBase
  }

  private func pids() -> [pid_t] {
    var all: Set<pid_t> = []
    for f in procsFiles {
      for line in (readSmallFile(f, limit: 1 << 20) ?? "").split(separator: "\n") {
        if let p = pid_t(line) { all.insert(p) }
      }
    }
    return Array(all)
  }

  /// Kills every process in the run's cgroups (freezing first on v1 so none can fork away).
  func killAll() {
    switch version {
    case .v2:
      if let d = dirs["unified"] { try? writeFile("\(d)/cgroup.kill", "1") }
    case .v1:
      let freezer = dirs["freezer"].map { "\($0)/freezer.state" }
      let deadline = monotonicNow() + 5
      while monotonicNow() < deadline {
        let list = pids()
        if list.isEmpty { break }
        if let freezer { try? writeFile(freezer, "FROZEN") }
        for p in list { kill(p, SIGKILL) }
        if let freezer { try? writeFile(freezer, "THAWED") }
        // Killed processes leave the list once the kernel has reaped them.
        var ts = timespec(tv_sec: 0, tv_nsec: 500_000)
        nanosleep(&ts, nil)
      }
    }
  }

  /// Removes the (empty) cgroups; retries briefly while the kernel finishes reaping.
  func remove() {
    guard !removed else { return }
    removed = true
    for d in dirs.values {
      let deadline = monotonicNow() + 2
      while rmdir(d) != 0 && errno == EBUSY && monotonicNow() < deadline {
        var ts = timespec(tv_sec: 0, tv_nsec: 2_000_000)
        nanosleep(&ts, nil)
      }
    }
  }

  deinit { if version == .v2 { remove() } }
}

extension String {
  func trimmingCharacters(in set: String) -> String {
    var s = Substring(self)
    while let f = s.first, set.contains(f) { s = s.dropFirst() }
    while let l = s.last, set.contains(l) { s = s.dropLast() }
    return String(s)
  }
}
