// The runner: one sandboxed command, supervised to the end.
//
// Launch chain (bwrap backend), every link exec'd in place so bwrap stays the gate's direct child
// (its --die-with-parent is bound to that parent):
//   /bin/sh launcher (joins the run's cgroups, lowers rlimits)
//     -> setpriv (root only: per-run uid, no groups, no capabilities, no_new_privs)
//       -> bwrap (empty environment, fds 0-4 only: /dev/null, output pipe, seccomp BPF, status)
//         -> the command, in fresh user/pid/net/ipc/uts/cgroup/mount namespaces.
// The wall clock kills bwrap and its PID-namespace init with SIGKILL (the namespace dies with
// its init: nothing survives) and then every process left in the run's cgroups.

import GateCore

#if canImport(Glibc)
  import Glibc
#endif

/// What one sandboxed command did.
public struct SandboxResult: Sendable, Equatable {
  /// The command's exit status (nil when it was killed by the gate).
  public var exitStatus: Int32?
  /// The signal that ended it, when the gate killed it.
  public var signal: Int32?
  public var durationSeconds: Double
  public var peakMemoryBytes: Int?
  public var limitHit: LimitHit?
  /// The last `outputLimit` bytes of stdout and stderr combined.
  public var outputTail: String
  public var outputBytes: Int
  /// Loud remarks (backend none, limits enforced by rlimits only...).
  public var notes: [String]
  /// The fetch phase: what the proxy decided (empty for runs without network).
  public var egress: [EgressDecision] = []
  /// Where the sandbox's own time went (set-up, the run, teardown), for `sandbox bench`.
  public var phases: [SandboxPhase] = []

  public var timedOut: Bool { limitHit == .wallClock }

  /// The `sandbox run` exit status: the command's own, 124 on timeout.
  public var processExitCode: Int32 {
    if timedOut { return 124 }
    if let exitStatus { return exitStatus }
    return 128 + (signal ?? 9)
  }

  public func replayStep(kind: ReplayStepKind, command: String, origin: String) -> ReplayStep {
    ReplayStep(
      kind: kind, command: command, origin: origin, exitStatus: exitStatus, signal: signal,
      durationSeconds: durationSeconds, peakMemoryBytes: peakMemoryBytes, limitHit: limitHit,
      outputTail: outputTail, outputBytes: outputBytes)
  }
}

/// One timed step of a sandboxed run.
public struct SandboxPhase: Sendable, Equatable {
  public var name: String
  public var seconds: Double
  public init(name: String, seconds: Double) {
    self.name = name
    self.seconds = seconds
  }
}

/// Records consecutive phases: each `mark` closes the phase that began at the previous mark.
struct PhaseClock {
  private var last = monotonicNow()
  private(set) var phases: [SandboxPhase] = []
  /// Closes a phase at `at` (a moment between the last mark and now).
  mutating func split(_ name: String, at: Double) {
    phases.append(SandboxPhase(name: name, seconds: at - last))
    last = at
  }

  mutating func mark(_ name: String) { split(name, at: monotonicNow()) }
}

/// The fetch phase's network: the gate's allowlisting proxy, reached through a forwarder inside
/// the sandbox.
public struct FetchEgress: Sendable, Equatable {
  public var policy: EgressPolicy
  /// A binary that implements `sandbox forward` (the agentgate executable itself).
  public var forwarder: String

  public init(policy: EgressPolicy, forwarder: String) {
    self.policy = policy
    self.forwarder = forwarder
  }

  /// This process's executable (/proc/self/exe): the forwarder when the gate is the agentgate
  /// binary itself. Not for test runners (their executable has no `sandbox forward`).
  public static func currentExecutable() -> String? {
    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    buf[n] = 0
    return cString(buf)
  }
}

public struct SandboxRunner: Sendable {
  public let policy: SandboxPolicy
  /// Built once, shared by every run of this runner (and its copies).
  private let seccompProgram = SeccompProgram()

  public init(policy: SandboxPolicy) {
    self.policy = policy
  }

  /// Where bwrap is: the configured path, else PATH, else the usual places.
  public func bwrapExecutable() throws(SandboxError) -> String {
    if let configured = policy.bwrapPath {
      guard access(configured, X_OK) == 0 else { throw .bwrapMissing(searched: [configured]) }
      return configured
    }
    let path = getenv("PATH").map { String(cString: $0) } ?? ""
    let dirs = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/bin"]
    guard let found = findExecutable("bwrap", in: dirs) else { throw .bwrapMissing(searched: dirs) }
    return found
  }

  /// Runs `command` with `workDir`'s contents as the writable work dir: they are copied into a
  /// fresh quota'd dir, and (with `copyBack`) the result copied back without following links.
  public func run(
    command: [String], workDir: String, timeout: Double? = nil, outputLimit: Int = 64 << 10,
    copyBack: Bool = false, egress: FetchEgress? = nil, onOutput: ((UnsafeRawBufferPointer) -> Void)? = nil
  ) throws(SandboxError) -> SandboxResult {
    guard !command.isEmpty else { throw .invalidRequest("no command given") }
    let work = try QuotaWorkDir.create(policy: policy)
    defer { work.remove() }
    if copyBack && work.method == .sandboxTmpfs && policy.backend == .bwrap {
      throw QuotaWorkDir.copyBackUnsupported
    }
    try work.fill(from: workDir)
    let result = try run(
      command: command, in: work, timeout: timeout, outputLimit: outputLimit, egress: egress, onOutput: onOutput)
    if copyBack { try work.copyBack(to: workDir) }
    return result
  }

  /// Runs `command` in a prepared quota'd work dir (the replay path: the caller exported a tree
  /// into `work.path`). Several commands may run in the same work dir one after the other.
  /// With `egress` (the fetch phase) the command's only network is the gate's allowlisting proxy;
  /// without it there is no network at all.
  public func run(
    command: [String], in work: QuotaWorkDir, timeout: Double? = nil, outputLimit: Int = 64 << 10,
    egress: FetchEgress? = nil, onOutput: ((UnsafeRawBufferPointer) -> Void)? = nil
  ) throws(SandboxError) -> SandboxResult {
    guard !command.isEmpty else { throw .invalidRequest("no command given") }
    let wall = min(timeout ?? policy.limits.wallClockSeconds, policy.limits.wallClockSeconds)
    if egress != nil && policy.backend != .bwrap {
      throw .invalidRequest("the fetch phase (network through the gate's proxy) needs the bwrap backend")
    }
    switch policy.backend {
    case .bwrap:
      return try runBwrap(command, work, wall, outputLimit, egress, onOutput)
    case .none:
      return try runUnsandboxed(command, work, wall, outputLimit, onOutput)
    case .container:
      return try runContainer(command, work, wall, outputLimit, onOutput)
    }
  }

  // MARK: - bwrap

  private func runBwrap(
    _ command: [String], _ work: QuotaWorkDir, _ wall: Double, _ outputLimit: Int, _ egress: FetchEgress?,
    _ onOutput: ((UnsafeRawBufferPointer) -> Void)?
  ) throws(SandboxError) -> SandboxResult {
    var clock = PhaseClock()
    let bwrap = try bwrapExecutable()
    let isRoot = geteuid() == 0
    var notes: [String] = []
    var setpriv: [String] = []
    let binding: WorkDirBinding
    if isRoot {
      guard let lease = work.lease, work.method == .tmpfsMount else {
        throw .invalidRequest("as root the work dir must be the gate's quota mount (QuotaWorkDir.create)")
      }
      try work.adoptForSandbox()
      guard let tool = findExecutable("setpriv", in: ["/usr/bin", "/bin", "/usr/sbin"]) else {
        throw .sandboxStartFailed("setpriv (util-linux) is missing: cannot drop root before bwrap")
      }
      setpriv = [
        tool, "--reuid=\(lease.uid)", "--regid=\(lease.uid)", "--clear-groups", "--inh-caps=-all",
        "--bounding-set=-all", "--no-new-privs", "--",
      ]
      binding = .bind(work.path)
    } else if let holder = work.holder {
      // Enter the holder's namespaces (where the quota tmpfs is mounted) before bwrap.
      guard let nsenter = findExecutable("nsenter", in: ["/usr/bin", "/bin"]) else {
        throw .sandboxStartFailed("nsenter (util-linux) is missing: cannot reach the quota'd work dir")
      }
      setpriv = [nsenter, "--target", String(holder.pid), "--user", "--mount", "--preserve-credentials", "--"]
      binding = .bind(work.mountPoint)
    } else {
      binding = .seed(work.path)
    }
    clock.mark("adopt work dir")
    let etc = try EtcDir(runDir: work.runDir, owner: work.owner)
    clock.mark("etc files")
    var cgroups: RunCgroups?
    if isRoot, let lease = work.lease {
      do {
        cgroups = try RunCgroups.create(uid: lease.uid, limits: policy.limits)
      } catch {
        notes.append("cgroups unavailable (\(error))")
      }
    }
    defer { cgroups?.release() }
    let enforcement = limitEnforcement(cgroups: cgroups?.version, quota: work.method)
    try requireLimits(enforcement)
    for w in enforcement where w.strength == .weaker {
      notes.append("weaker limit (allowed by the machine configuration): \(w.kind.rawValue): \(w.mechanism)")
    }
    clock.mark("cgroups set-up")
    var proxy: EgressProxy?
    var egressBinding: EgressBinding?
    if let egress {
      // As root the run is a per-run uid: the forwarder must be readable and executable by others.
      if isRoot && !isReachableByOthers(egress.forwarder, executable: true) {
        throw .sandboxStartFailed(
          "the fetch-phase forwarder \(egress.forwarder) is not reachable by the per-run sandbox uid; install "
            + "agentgate where every user may run it (e.g. /usr/local/bin)")
      }
      let started = try EgressProxy(socketPath: "\(etc.path)/proxy.sock", policy: egress.policy)
      proxy = started
      if isRoot, let lease = work.lease { try started.handSocket(to: lease.uid) }
      egressBinding = EgressBinding(
        socket: started.socketPath, forwarder: egress.forwarder,
        libraryDirs: SandboxRunner.loadedLibraryDirs(outside: ["/usr"] + policy.readOnlyBinds))
    }
    defer { proxy?.stop() }
    clock.mark("proxy")
    var seccompFD: FileDescriptor?
    if policy.seccomp { seccompFD = try seccompProgram.memfd() }
    clock.mark("seccomp filter")
    let args = SandboxRunner.bwrapArguments(
      policy: policy, workDir: binding, etcDir: etc.path, command: command,
      seccompFD: seccompFD == nil ? nil : 3, statusFD: 4, egress: egressBinding, scratch: work.scratch)
    let launch = launcher(cgroups: cgroups, wall: wall) + setpriv + [bwrap] + args
    let (outR, outW) = try makePipe()
    let (stR, stW) = try makePipe()
    var fds: [(source: Int32, target: Int32)] = [(outW.raw, 1), (outW.raw, 2), (stW.raw, 4)]
    if let seccompFD { fds.append((seccompFD.raw, 3)) }
    let started = monotonicNow()
    let pid = try spawn(path: launch[0], argv: launch, env: [], fds: fds, cwd: "/")
    outW.closeNow()
    stW.closeNow()
    seccompFD?.closeNow()
    clock.mark("spawn")
    let watcher = try DeathWatcher(
      sweepUID: isRoot ? work.lease?.uid : nil, setpriv: setpriv.first, holding: isRoot ? work.lease : nil)
    defer { watcher.stop() }
    clock.mark("watcher start")
    let sup = supervise(
      pid: pid, output: outR, status: stR, deadline: started + wall, outputLimit: outputLimit,
      onOutput: onOutput, onChildPid: watcher.watch
    ) { child in
      kill(pid, SIGKILL)
      if let child { kill(child, SIGKILL) }
      cgroups?.killAll()
    }
    let duration = monotonicNow() - started
    if let at = sup.childStartedAt { clock.split("sh, setpriv, bwrap clone (child pid reported)", at: at) }
    clock.mark("namespaces + mounts, command, teardown")
    guard sup.childPid != nil || sup.timedOut else {
      // bwrap never started the command: a set-up failure, never a verdict on the command.
      let why = sup.tail.trimmingCharacters(in: " \n")
      throw .sandboxStartFailed(why.isEmpty ? "bwrap exited \(sup.status.exitCode ?? -1)" : why)
    }
    if sup.status.exitCode == 125, sup.tail.contains(SandboxRunner.seedFailureMarker) {
      throw .workDir("the tree does not fit in the work dir quota (\(policy.limits.diskBytes) bytes)")
    }
    if sup.status.exitCode == 125, sup.tail.contains(SandboxRunner.forwarderFailureMarker) {
      throw .sandboxStartFailed(
        "the fetch-phase forwarder (\(egress?.forwarder ?? "?") sandbox forward) did not start inside the sandbox")
    }
    watcher.stop()
    clock.mark("watcher stop")
    // bwrap may exit a moment before its PID-namespace init has torn the namespace down; once the
    // init is gone, so is everything it held, and the cgroups are empty without a kill loop.
    if let child = sup.childPid { waitForExit(of: child, timeout: 2) }
    cgroups?.killAll()
    var result = SandboxResult(
      exitStatus: sup.timedOut ? nil : sup.status.exitCode, signal: sup.timedOut ? SIGKILL : sup.status.signal,
      durationSeconds: duration, peakMemoryBytes: cgroups?.peakMemoryBytes ?? sup.maxRSS,
      limitHit: nil, outputTail: sup.tail, outputBytes: sup.bytes, notes: notes)
    result.limitHit = classify(sup, cgroups: cgroups, work: work)
    cgroups?.release()
    clock.mark("cgroups teardown")
    proxy?.stop()
    result.egress = proxy?.decisions ?? []
    result.phases = clock.phases
    return result
  }

  private func classify(_ sup: Supervision, cgroups: RunCgroups?, work: QuotaWorkDir) -> LimitHit? {
    if sup.timedOut { return .wallClock }
    if let cgroups, cgroups.oomKills > 0 { return .memory }
    guard sup.status.exitCode != 0 else { return nil }
    if let cgroups, cgroups.pidsLimitHits > 0 { return .processes }
    if work.method != .sandboxTmpfs && work.isFull { return .disk }
    return nil
  }

  /// `/bin/sh -c SCRIPT` that joins the cgroups and lowers the rlimits, then execs the rest.
  /// Values travel as positional parameters, never inside the script text.
  func launcher(cgroups: RunCgroups?, wall: Double) -> [String] {
    let l = policy.limits
    let procsFiles = cgroups?.procsFiles ?? []
    // Lower only: a limit above the current hard limit would fail (CAP_SYS_RESOURCE may be gone).
    func capped(_ resource: UInt32, _ want: Int) -> Int {
      var r = rlimit()
      guard getrlimit(__rlimit_resource_t(resource), &r) == 0, r.rlim_max != rlim_t.max else {
        return want
      }
      return min(want, Int(r.rlim_max))
    }
    let cpuSeconds = Int((wall * max(l.cpus, 1)).rounded(.up)) + 5
    // RLIMIT_DATA bounds each process's heap when no memory cgroup bounds them all.
    let dataKiB = cgroups == nil ? String(l.memoryBytes / 1024) : "unlimited"
    let script = """
      n=$1; shift
      while [ "$n" -gt 0 ]; do echo $$ > "$1" || { echo 'agentgate-sandbox: joining cgroup failed' >&2; exit 125; }; shift; n=$((n-1)); done
      ulimit -p "$1" && ulimit -f "$2" && ulimit -t "$3" && ulimit -n "$4" && ulimit -d "$5" && ulimit -c 0 || { echo 'agentgate-sandbox: setting rlimits failed' >&2; exit 125; }
      shift 5
      unset PWD OLDPWD
      exec "$@"
      """
    return ["/bin/sh", "-c", script, "agentgate-launch", String(procsFiles.count)] + procsFiles + [
      // With a pids cgroup, RLIMIT_NPROC stays a little above it so the cgroup trips first and
      // the run is reported as having hit the process limit.
      String(capped(6, cgroups == nil ? l.processes : l.processes + 16)),
      String(capped(1, l.diskBytes) / 512),
      String(capped(0, cpuSeconds)),
      String(capped(7, 4096)),
      dataKiB,
    ]
  }

  // MARK: - none and container

  private func runUnsandboxed(
    _ command: [String], _ work: QuotaWorkDir, _ wall: Double, _ outputLimit: Int,
    _ onOutput: ((UnsafeRawBufferPointer) -> Void)?
  ) throws(SandboxError) -> SandboxResult {
    let notes = ["UNSANDBOXED: backend 'none' ran the command directly on this machine (machine configuration)"]
    var env = policy.environment
    env["HOME"] = work.path
    let launch = launcher(cgroups: nil, wall: wall) + command
    let (outR, outW) = try makePipe()
    let started = monotonicNow()
    let envList = env.keys.sorted().map { "\($0)=\(env[$0]!)" }
    let pid = try spawn(
      path: launch[0], argv: launch, env: envList, fds: [(outW.raw, 1), (outW.raw, 2)], cwd: work.path)
    outW.closeNow()
    let sup = supervise(
      pid: pid, output: outR, status: nil, deadline: started + wall, outputLimit: outputLimit, onOutput: onOutput
    ) { _ in kill(pid, SIGKILL) }
    return SandboxResult(
      exitStatus: sup.timedOut ? nil : sup.status.exitCode, signal: sup.timedOut ? SIGKILL : sup.status.signal,
      durationSeconds: monotonicNow() - started, peakMemoryBytes: sup.maxRSS,
      limitHit: sup.timedOut ? .wallClock : nil, outputTail: sup.tail, outputBytes: sup.bytes, notes: notes)
  }

  /// Whether the container engine answers (`ENGINE info`), with its complaint when not.
  public func containerEngineAnswers() -> (Bool, String) {
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    guard
      let engine = findExecutable(
        policy.containerEngine, in: path.split(separator: ":").map(String.init) + ["/usr/bin"])
    else { return (false, "\(policy.containerEngine) not found") }
    let (status, out) = runHelper(engine, ["info"], env: ["PATH=/usr/bin:/bin"], timeout: 15)
    if status == 0 { return (true, "\(engine) info answered") }
    let first = out.split(separator: "\n").first.map(String.init) ?? "no answer"
    return (false, "\(engine) info failed: \(first)")
  }

  private func runContainer(
    _ command: [String], _ work: QuotaWorkDir, _ wall: Double, _ outputLimit: Int,
    _ onOutput: ((UnsafeRawBufferPointer) -> Void)?
  ) throws(SandboxError) -> SandboxResult {
    let (answers, why) = containerEngineAnswers()
    guard answers else { throw .containerEngineUnavailable(why) }
    let name = "agentgate-\(getpid())-\(Int(monotonicNow() * 1000) % 1_000_000)"
    let argv = try SandboxRunner.containerArguments(
      policy: policy, workDir: work.path, command: command, name: name)
    let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
    guard let engine = findExecutable(argv[0], in: path.split(separator: ":").map(String.init)) else {
      throw .containerEngineUnavailable("\(argv[0]) not found")
    }
    try work.adoptForSandbox()
    let (outR, outW) = try makePipe()
    let started = monotonicNow()
    let pid = try spawn(
      path: engine, argv: [engine] + argv.dropFirst(), env: ["PATH=/usr/bin:/bin"], fds: [(outW.raw, 1), (outW.raw, 2)])
    outW.closeNow()
    let sup = supervise(
      pid: pid, output: outR, status: nil, deadline: started + wall, outputLimit: outputLimit, onOutput: onOutput
    ) { _ in
      // Killing the client leaves the container running: remove the container itself.
      _ = runHelper(engine, ["rm", "-f", name], env: ["PATH=/usr/bin:/bin"], timeout: 30)
      kill(pid, SIGKILL)
    }
    return SandboxResult(
      exitStatus: sup.timedOut ? nil : sup.status.exitCode, signal: sup.timedOut ? SIGKILL : sup.status.signal,
      durationSeconds: monotonicNow() - started, peakMemoryBytes: nil,
      limitHit: sup.timedOut ? .wallClock : nil, outputTail: sup.tail, outputBytes: sup.bytes, notes: [])
  }

  // MARK: - supervision

  struct Supervision {
    var status: WaitStatus
    var maxRSS: Int
    var tail: String
    var bytes: Int
    var timedOut: Bool
    var childPid: pid_t?
    /// When bwrap reported the command started.
    var childStartedAt: Double?
  }

  /// Reads output (tail kept, bytes counted) and bwrap's JSON status until both pipes close
  /// (everything in the sandbox is gone), killing through `onTimeout` at the deadline.
  private func supervise(
    pid: pid_t, output: FileDescriptor, status: FileDescriptor?, deadline: Double, outputLimit: Int,
    onOutput: ((UnsafeRawBufferPointer) -> Void)?, onChildPid: (pid_t) -> Void = { _ in },
    onTimeout: (pid_t?) -> Void
  ) -> Supervision {
    var tail = OutputTail(limit: outputLimit)
    var statusText: [UInt8] = []
    var childPid: pid_t?
    var childStartedAt: Double?
    var timedOut = false
    var openOut = true
    var openStatus = status != nil
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    // After a kill, give the pipes a bounded time to close.
    var drainDeadline = Double.infinity
    while openOut || openStatus {
      let now = monotonicNow()
      if !timedOut && now >= deadline {
        timedOut = true
        onTimeout(childPid)
        drainDeadline = now + 5
      }
      if now >= drainDeadline { break }
      let wait = (timedOut ? drainDeadline : deadline) - now
      var pfds: [pollfd] = []
      if openOut { pfds.append(pollfd(fd: output.raw, events: Int16(POLLIN), revents: 0)) }
      if openStatus, let status { pfds.append(pollfd(fd: status.raw, events: Int16(POLLIN), revents: 0)) }
      let n = poll(&pfds, nfds_t(pfds.count), Int32(min(max(wait, 0) * 1000, 60_000).rounded(.up)))
      if n < 0 && errno != EINTR { break }
      guard n > 0 else { continue }
      for p in pfds where p.revents != 0 {
        let got = read(p.fd, &buf, buf.count)
        if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
        if got <= 0 {
          if p.fd == output.raw { openOut = false } else { openStatus = false }
          continue
        }
        if p.fd == output.raw {
          buf.withUnsafeBytes { all in
            let chunk = UnsafeRawBufferPointer(rebasing: all[0..<got])
            tail.append(chunk)
            onOutput?(chunk)
          }
        } else if statusText.count < 1 << 16 {
          statusText += buf[0..<got]
          if childPid == nil, let found = SandboxRunner.childPid(inStatus: statusText) {
            childPid = found
            childStartedAt = monotonicNow()
            onChildPid(found)
          }
        }
      }
    }
    if timedOut || openOut || openStatus { kill(pid, SIGKILL) }
    let (st, rss) = waitFor(pid)
    return Supervision(
      status: st, maxRSS: rss, tail: tail.text, bytes: tail.total, timedOut: timedOut, childPid: childPid,
      childStartedAt: childStartedAt)
  }

  /// The `"child-pid": N` bwrap writes on --json-status-fd once the command is started.
  static func childPid(inStatus bytes: [UInt8]) -> pid_t? {
    let key = Array("\"child-pid\":".utf8)
    guard bytes.count > key.count else { return nil }
    for i in 0...(bytes.count - key.count) where bytes[i..<(i + key.count)].elementsEqual(key) {
      let digits = bytes[(i + key.count)...].drop(while: { $0 == 0x20 }).prefix(while: { $0 >= 0x30 && $0 <= 0x39 })
      return pid_t(String(decoding: digits, as: UTF8.self))
    }
    return nil
  }
}

/// The last `limit` bytes of a stream, and how many bytes it had.
struct OutputTail {
  let limit: Int
  private(set) var total = 0
  private var bytes: [UInt8] = []

  init(limit: Int) { self.limit = max(0, limit) }

  mutating func append(_ chunk: UnsafeRawBufferPointer) {
    total += chunk.count
    guard limit > 0 else { return }
    bytes.append(contentsOf: chunk.suffix(limit))
    if bytes.count > 2 * limit { bytes.removeFirst(bytes.count - limit) }
  }

  var text: String { String(decoding: bytes.suffix(limit), as: UTF8.self) }
}

/// The synthesized /etc files of one run, in a dir the sandbox uid can read.
final class EtcDir {
  let path: String
  private let temporary: Bool

  init(runDir: String?, owner: (uid: UInt32, gid: UInt32)?) throws(SandboxError) {
    if let runDir {
      path = "\(runDir)/etc"
      temporary = false
      if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .systemCall("mkdir(\(path))", errno: errno) }
    } else {
      var template = Array("\(temporaryDirectory())/agentgate-etc.XXXXXX".utf8CString)
      guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
        throw .systemCall("mkdtemp", errno: errno)
      }
      path = cString(template)
      temporary = true
      chmod(path, 0o755)
    }
    for (name, text) in EtcDir.files {
      try writeFile("\(path)/\(name)", text, create: 0o644)
    }
  }

  static let files: [(String, String)] = [
    ("passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh\n"),
    ("group", "root:x:0:\nsandbox:x:1000:\n"),
    ("hosts", "127.0.0.1 localhost sandbox\n::1 localhost ip6-localhost ip6-loopback\n"),
    ("resolv.conf", ""),
    ("nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\nnetworks: files\n"),
  ]

  deinit { if temporary { FileTree.removeTree(path) } }
}

extension QuotaWorkDir {
  static let copyBackUnsupported = SandboxError.invalidRequest(
    "--copy-back needs a quota'd work dir the gate can reach (root, or a user namespace for the quota "
      + "mount); here the work dir exists only inside the sandbox")
}

/// Kills the sandbox's PID-namespace init if the gate dies (even by SIGKILL): a host-side shell,
/// out of the sandbox's sight, blocks on a pipe only the gate holds; EOF means the gate is gone.
/// bwrap's own --die-with-parent on that init is not reliable (it is lost when bwrap changes
/// credentials inside the namespace; measured: the sandbox outlived a killed gate).
final class DeathWatcher {
  private let pid: pid_t
  private let feed: FileDescriptor
  private var stopped = false

  /// `sweepUID`: as root, the run's own (locked, exclusive) uid: on the gate's death every process
  /// of that uid is killed too, so a death before the init's pid was known still leaves nothing.
  /// `holding`: the watcher keeps a copy of that uid's lock until it is done, so no new run can
  /// take the uid while the watcher may still sweep it.
  init(sweepUID: UInt32?, setpriv: String?, holding lease: SandboxUIDLease? = nil) throws(SandboxError) {
    let (r, w) = try makePipe()
    var script = "read pid; read ignored; [ -n \"$pid\" ] && kill -KILL \"$pid\" 2>/dev/null"
    var args: [String] = []
    if let sweepUID, let setpriv {
      script += "; exec \"$1\" --reuid=\"$2\" --regid=\"$2\" --clear-groups -- /bin/sh -c 'kill -KILL -1'"
      args = [setpriv, String(sweepUID)]
    }
    var fds: [(source: Int32, target: Int32)] = [(r.raw, 0)]
    if let lease { fds.append((lease.lockFD, 3)) }
    pid = try spawn(
      path: "/bin/sh", argv: ["/bin/sh", "-c", script, "agentgate-watch"] + args, env: [], fds: fds, cwd: "/")
    feed = w
  }

  /// Arms the watcher with the init's (host) pid.
  func watch(_ child: pid_t) {
    let line = Array("\(child)\n".utf8)
    _ = line.withUnsafeBytes { write(feed.raw, $0.baseAddress, $0.count) }
  }

  /// The run is over: end the watcher without letting it fire.
  func stop() {
    guard !stopped else { return }
    stopped = true
    kill(pid, SIGKILL)
    _ = waitFor(pid)
    feed.closeNow()
  }

  deinit { stop() }
}

extension SandboxRunner {
  /// Directories of the shared libraries this process has loaded that lie outside `covered`
  /// (the Swift runtime under a toolchain dir, say): the forwarder, the same executable, needs
  /// them inside the sandbox.
  static func loadedLibraryDirs(outside covered: [String]) -> [String] {
    guard let maps = readSmallFile("/proc/self/maps", limit: 4 << 20) else { return [] }
    var dirs: Set<String> = []
    for line in maps.split(separator: "\n") {
      guard let slash = line.firstIndex(of: "/") else { continue }
      let path = String(line[slash...])
      guard path.contains(".so"), let last = path.lastIndex(of: "/") else { continue }
      let dir = String(path[..<last])
      if covered.contains(where: { dir == $0 || dir.hasPrefix($0 + "/") }) { continue }
      dirs.insert(dir)
    }
    return dirs.sorted()
  }
}
