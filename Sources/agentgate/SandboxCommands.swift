import ArgumentParser
import Foundation
import GitReading
import Policy
import Sandbox

/// `agentgate sandbox run|check`.
struct SandboxCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sandbox", abstract: "Run commands in the hardened sandbox, or check what it guarantees here.",
    subcommands: [
      SandboxRunCommand.self, SandboxCheckCommand.self, SandboxForwardCommand.self, SandboxBenchCommand.self,
      SandboxExportTreeCommand.self,
    ])
}

/// The backend named on the command line (the machine configuration decides it later).
enum BackendOption: String, ExpressibleByArgument, CaseIterable {
  case bwrap, none
}

/// `agentgate sandbox run --dir DIR [--timeout S] ... -- CMD...`: exit status is the command's own,
/// 124 on timeout, 125 when the sandbox itself failed (outside the 0/1/2 contract).
struct SandboxRunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run CMD in the sandbox with DIR's contents as the writable work dir.",
    discussion: """
      Exit status: the command's own; 124 when the wall clock ended it; 125 when the sandbox \
      itself could not run (never an unsandboxed run).
      """)

  @Option(help: "The directory whose contents form the work dir the command starts in.")
  var dir: String

  @Option(help: "Wall-clock limit in seconds (the default is the ceiling).")
  var timeout: Double?

  @Option(help: "Memory limit in bytes.")
  var memory: Int?

  @Option(help: "Process limit.")
  var processes: Int?

  @Option(help: "Disk limit of the work dir in bytes.")
  var disk: Int?

  @Option(help: "Size of the /tmp and $HOME tmpfs in bytes.")
  var tmp: Int?

  @Flag(help: "Copy the work dir back into DIR afterwards (links copied as links, never followed).")
  var copyBack = false

  @Flag(
    help: ArgumentHelp(
      "Run even where a limit can only be enforced more weakly than asked (unprivileged: memory per "
        + "process, CPU time not rate, no inode cap). Without it such a run fails (exit 125)."))
  var allowWeakerLimits = false

  @Option(
    name: .customLong("allow-host"),
    help: ArgumentHelp(
      "Fetch phase: the command's only network is the gate's CONNECT proxy, open to this host "
        + "(host, host:port or *.domain; port 443 by default). Repeatable.",
      valueName: "HOST"))
  var allowHosts: [String] = []

  @Option(
    name: .customLong("pin-host"),
    help: ArgumentHelp("Fetch phase: resolve HOST to ADDRESS instead of asking DNS.", valueName: "HOST=ADDRESS"))
  var pinHosts: [String] = []

  @Option(help: "Sandbox backend: bwrap (default) or none (no isolation; said loudly).")
  var backend: BackendOption = .bwrap

  @Option(help: ArgumentHelp("Path of bwrap (default: PATH).", visibility: .hidden))
  var bwrap: String?

  @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
  var command: [String] = []

  func validate() throws {
    if command.isEmpty { throw ValidationError("give the command after --: sandbox run --dir DIR -- CMD...") }
  }

  func run() throws {
    let ceiling = SandboxLimits.defaults
    var want = ceiling
    if let timeout { want.wallClockSeconds = timeout }
    if let memory { want.memoryBytes = memory }
    if let processes { want.processes = processes }
    if let disk { want.diskBytes = disk }
    if let tmp { want.tmpBytes = tmp }
    let limits = want.clamped(to: ceiling)
    let policy = SandboxPolicy(
      backend: backend == .none ? .none : .bwrap, bwrapPath: bwrap, limits: limits,
      allowWeakerLimits: allowWeakerLimits)
    let runner = SandboxRunner(policy: policy)
    let path = URL(fileURLWithPath: dir).standardizedFileURL.path
    let stdout = FileHandle.standardOutput
    do {
      var egress: FetchEgress?
      if !allowHosts.isEmpty || !pinHosts.isEmpty {
        var pinned: [String: [String]] = [:]
        for pin in pinHosts {
          let parts = pin.split(separator: "=", maxSplits: 1).map(String.init)
          guard parts.count == 2 else {
            throw SandboxError.invalidRequest("--pin-host wants HOST=ADDRESS, not '\(pin)'")
          }
          pinned[parts[0].lowercased(), default: []].append(parts[1])
        }
        egress = FetchEgress(
          policy: EgressPolicy(allowedHosts: allowHosts, pinnedAddresses: pinned), forwarder: Self.ownExecutable())
      }
      let result = try runner.run(
        command: command, workDir: path, timeout: limits.wallClockSeconds, outputLimit: 4096,
        copyBack: copyBack, egress: egress, onOutput: { stdout.write(Data($0)) })
      for d in result.egress where !d.allowed {
        FileHandle.standardError.write(
          Data("agentgate: fetch proxy refused \(d.host):\(d.port): \(d.reason)\n".utf8))
      }
      for note in result.notes where backend == .none || note.hasPrefix("UNSANDBOXED") {
        FileHandle.standardError.write(Data("agentgate: WARNING: \(note)\n".utf8))
      }
      if let hit = result.limitHit {
        FileHandle.standardError.write(Data("agentgate: sandbox: limit hit: \(hit.rawValue)\n".utf8))
      }
      throw ExitCode(result.processExitCode)
    } catch let error as SandboxError {
      FileHandle.standardError.write(Data("agentgate: sandbox: \(error)\n".utf8))
      throw ExitCode(125)
    }
  }
}

extension SandboxRunCommand {
  /// This executable, which is also the fetch phase's in-sandbox forwarder.
  static func ownExecutable() -> String {
    FetchEgress.currentExecutable() ?? CommandLine.arguments[0]
  }
}

/// `agentgate sandbox forward`: runs inside the fetch-phase sandbox (started by its prelude) and
/// carries connections from the sandbox's loopback to the gate's proxy socket.
struct SandboxForwardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forward", abstract: "Inside the sandbox: forward loopback connections to the gate's proxy.",
    shouldDisplay: false)

  @Option(help: "Loopback port to listen on.")
  var port: UInt16 = 3128

  @Option(help: "The proxy's unix socket.")
  var socket: String

  func run() throws {
    do {
      try EgressForwarder.run(port: port, socketPath: socket)
    } catch {
      FileHandle.standardError.write(Data("agentgate: sandbox forward: \(error)\n".utf8))
      throw ExitCode(125)
    }
  }
}

/// `agentgate sandbox check [--format text|json]`: which guarantees hold on this machine.
struct SandboxCheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check", abstract: "Say which sandbox guarantees hold on this machine, and why not.")

  enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

  @Option(help: "Output format: text or json.")
  var format: Format = .text

  @Option(help: ArgumentHelp("Path of bwrap (default: PATH).", visibility: .hidden))
  var bwrap: String?

  @Flag(help: "Check as if weaker limits were allowed (see sandbox run --allow-weaker-limits).")
  var allowWeakerLimits = false

  @Option(name: .customLong("config"), help: ArgumentHelp("A machine configuration file read last.", valueName: "FILE"))
  var configFile: String?

  func run() throws {
    // The machine configuration may allow weaker limits for every replay (`[sandbox] allow_weaker_limits`).
    let machine = try loadMachineConfig(configFile: configFile, environment: ProcessInfo.processInfo.environment)
    let policy = SandboxPolicy(
      bwrapPath: bwrap ?? (machine.origins["sandbox.bwrap"] == nil ? nil : machine.bwrapPath),
      allowWeakerLimits: allowWeakerLimits || machine.allowWeakerLimits)
    let report = SandboxRunner(policy: policy).check(forwarder: SandboxRunCommand.ownExecutable())
    switch format {
    case .json:
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      let data = try encoder.encode(report)
      FileHandle.standardOutput.write(data + Data("\n".utf8))
    case .text:
      print(report.text)
    }
    if !report.usable { throw ExitCode(2) }
  }
}

/// `agentgate sandbox bench [--runs N]`: N sandboxed `/bin/true` runs inside this one process (as a
/// replay does them), so the binary's own start-up is not counted; prints the mean per phase.
struct SandboxBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Time the sandbox's own set-up and teardown, in-process.", shouldDisplay: false)

  @Option(help: "Runs to average.")
  var runs = 20

  @Option(help: "Warm-up runs first (not counted).")
  var warmups = 3

  @Option(help: "Directory whose contents form the work dir (default: a one-file tree).")
  var dir: String?

  @Flag(help: "Without seccomp (to see its share).")
  var noSeccomp = false

  @Flag(help: "Accept weaker limits (unprivileged runs).")
  var allowWeakerLimits = false

  func run() throws {
    var policy = SandboxPolicy(allowWeakerLimits: allowWeakerLimits)
    policy.seccomp = !noSeccomp
    let runner = SandboxRunner(policy: policy)
    let tree = try dir ?? Self.oneFileTree()
    var sums: [String: Double] = [:]
    var order: [String] = []
    var total = 0.0
    func add(_ name: String, _ seconds: Double) {
      if sums[name] == nil { order.append(name) }
      sums[name, default: 0] += seconds
    }
    for i in 0..<(runs + warmups) {
      let t0 = Date()
      let work = try QuotaWorkDir.create(policy: policy)
      let t1 = Date()
      try work.fill(from: tree)
      let t2 = Date()
      let r = try runner.run(command: ["/bin/true"], in: work, timeout: 30, outputLimit: 1024)
      let t3 = Date()
      work.remove()
      let t4 = Date()
      guard r.exitStatus == 0 else { throw SandboxError.sandboxStartFailed("/bin/true exited \(r.processExitCode)") }
      guard i >= warmups else { continue }
      add(Self.quotaCreate, t1.timeIntervalSince(t0))
      add("fill work dir", t2.timeIntervalSince(t1))
      for p in r.phases { add(p.name, p.seconds) }
      add(Self.quotaRemove, t4.timeIntervalSince(t3))
      total += t4.timeIntervalSince(t0)
    }
    func line(_ name: String, _ seconds: Double) {
      print("  " + name.padding(toLength: 56, withPad: " ", startingAt: 0), String(format: "%7.2f ms", seconds * 1000))
    }
    let n = Double(runs)
    for name in order { line(name, sums[name]! / n) }
    let quota = (sums[Self.quotaCreate, default: 0] + sums[Self.quotaRemove, default: 0]) / n
    line("whole in-process run (/bin/true)", total / n)
    line("SANDBOX without the quota (set-up, run, teardown)", total / n - quota)
    line("QUOTA disk-quota set-up (tmpfs mount + umount)", quota)
  }

  static let quotaCreate = "quota work dir create (mount)"
  static let quotaRemove = "quota work dir remove (umount)"

  static func oneFileTree() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agentgate-bench-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Data("tree\n".utf8).write(to: dir.appendingPathComponent("README"))
    return dir.path
  }
}

/// `agentgate sandbox export-tree --repo R --commit C --into D`: writes a commit's tree into D as a
/// replay does (the tree-export benchmark against `git archive | tar -x`).
struct SandboxExportTreeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-tree", abstract: "Write a commit's tree into a directory, as a replay does.",
    shouldDisplay: false)

  @Option(help: "The repository.")
  var repo: String

  @Option(help: "The commit whose tree is written.")
  var commit = "HEAD"

  @Option(help: "The directory to write into (created if missing, else must be empty).")
  var into: String

  func run() throws {
    let repository = try Repository(path: repo, environment: ProcessInfo.processInfo.environment)
    try repository.exportTree(commit: commit, into: into)
  }
}
