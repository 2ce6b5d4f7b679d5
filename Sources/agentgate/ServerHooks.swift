// The push gate: pre-receive judges every new commit of every update and refuses the push when the
// policy blocks (or when it cannot decide); post-receive runs the replay that pre-receive left
// `async` in a background job that outlives the hook, posts `pending`, then the final verdict.

import ArgumentParser
import Foundation
import Gate
import GateCore
import GitReading
import Policy
import Reporting

#if canImport(Glibc)
  import Glibc
#endif

/// Reads hook input from stdin, refusing a terminal (nothing would ever arrive).
func readHookInput(_ hook: String, shape: String) throws -> String {
  guard isatty(STDIN_FILENO) != 1 else {
    throw ValidationError("\(hook) reads '\(shape)' lines on stdin, as git gives them; stdin is a terminal")
  }
  return CommitSelectionOptions.readStandardInput()
}

struct PreReceiveCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pre-receive",
    abstract: "Server hook: judge every new commit of every update; refuse the push when the policy blocks.",
    discussion: """
      Reads 'OLD NEW REF' lines on stdin. Replay is off, sync (within the policy's budget) or async \
      (the default: post-receive replays in the background). An allowed pusher may override with \
      `git push -o agentgate.override="reason"`; every verdict and override is appended to the audit log.
      """)

  @OptionGroup var hook: HookOptions

  func run() async throws {
    let input = try readHookInput("pre-receive", shape: "OLD NEW REF")
    let updates = try RefUpdates.parse(input)
    let context = try GateContext(entryPoint: .preReceive, repositoryPath: hook.repo, policy: hook.policy)
    var options = context.judgeOptions(
      quiet: true, replay: hook.replayRequest, rangeLabel: rangeLabel(.updates(updates)))
    options.deadline = hook.deadline
    options.useCache = !hook.noCache
    let verdict = try context.gate.judge(.updates(updates), options: options)
    reportCache(context.gate, verbose: hook.verbose)

    let env = context.environment.values
    let pusher = pusherName(env, variables: context.machine.pusherVariables)
    let override = OverrideDecision.decide(
      reason: PushOptions.overrideReason(PushOptions.parse(env)), pusher: pusher,
      allowed: context.machine.overrideUsers)
    let refs = updates.map(\.ref)
    audit(context: context, event: "pre-receive", verdict: verdict, refs: refs, pusher: pusher, override: override)

    let blocked = verdict.decision == .fail || verdict.decision == .error
    if !blocked {
      if !hook.quiet || verdict.decision == .warn {
        FileHandle.standardError.write(Data(Reports.render(verdict, format: .text, options: RenderOptions()).utf8))
        FileHandle.standardError.write(Data("\n".utf8))
      }
      throw JudgedExit(code: 0)
    }
    if case .honoured(let who, let reason) = override {
      Terminal.note("override by \(who) honoured (\(reason)): \(verdict.summary); this is recorded in the audit log")
      throw JudgedExit(code: 0)
    }
    var message = PushMessage.render(verdict, overrideHint: !context.machine.overrideUsers.isEmpty)
    if case .refused(let why) = override { message += "\n  Override refused: \(why)." }
    FileHandle.standardError.write(Data((message + "\n").utf8))
    throw JudgedExit(code: verdict.decision.exitCode)
  }
}

/// Appends to the server's audit log when one is configured (machine configuration, else the git dir).
func audit(
  context: GateContext, event: String, verdict: Verdict, refs: [String], pusher: String?, override: OverrideDecision
) {
  let path = context.machine.auditLog ?? "\(context.repository.gitDirectory)/agentgate/audit.jsonl"
  do {
    try AuditLog(path: path).append(event: event, verdict: verdict, refs: refs, pusher: pusher, override: override)
  } catch {
    Terminal.warn("could not append to the audit log \(path): \(error)")
  }
}

struct PostReceiveCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "post-receive",
    abstract: "Server hook: start the async replay of a push in a background job, and post its verdict.",
    discussion: """
      Returns at once: the job (a folder with the input, a pidfile and a log) survives the hook, \
      posts a `pending` status, replays in the sandbox, then posts the final verdict and writes it \
      as verdict.json in the job folder.
      """)

  @OptionGroup var hook: HookOptions
  @OptionGroup var forge: ForgeOptions

  @Option(name: .customLong("run-job"), help: ArgumentHelp("Run the job in this folder (internal).", valueName: "DIR"))
  var runJob: String?

  func run() async throws {
    if let runJob { try runBackgroundJob(runJob) }
    let input = try readHookInput("post-receive", shape: "OLD NEW REF")
    let updates = try RefUpdates.parse(input)
    // Only the policy is needed to start the job (the push is in already): no rules are loaded
    // here, so the hook adds little to the push; the job builds the whole gate.
    let env = Environment()
    let machine = try loadMachineConfig(configFile: hook.policy.configFile, environment: env.values)
    let repository = try Repository(path: hook.repo, environment: env.values)
    let resolved = try PolicyResolver(reader: RepositoryRefReader(repository), machine: machine).resolve(
      entryPoint: .postReceive, policyFile: hook.policy.policyFile, policyRef: hook.policy.policyRef,
      ciEnvironment: env.values)
    for warning in resolved.warnings { Terminal.warn(warning) }
    let timing: ReplayTiming =
      switch hook.replayRequest {
      case .on: .sync
      case .off: .off
      case .policy: resolved.replayTiming
      }
    guard timing == .async, updates.contains(where: { !$0.isDeletion }) else { throw JudgedExit(code: 0) }
    let root = machine.asyncJobDir.isEmpty ? "\(repository.gitDirectory)/agentgate/jobs" : machine.asyncJobDir
    let job = try JobFolder.create(root: root, input: input)
    var args = ["post-receive", "--run-job", job.path, "--repo", repository.gitDirectory]
    args += forwardedFlags()
    let pid = try spawnDetached(arguments: args, log: job.logPath)
    try job.writePID(pid)
    Terminal.note("replay runs in the background (job \(job.name), pid \(pid)); its verdict is posted when done")
    throw JudgedExit(code: 0)
  }

  /// The flags the background job needs again.
  private func forwardedFlags() -> [String] {
    var a: [String] = []
    if let f = hook.policy.policyFile { a += ["--policy", absolutePath(f)] }
    if let c = hook.policy.configFile { a += ["--config", absolutePath(c)] }
    for r in hook.policy.rulesFiles { a += ["--rules", absolutePath(r)] }
    if let f = forge.forge { a += ["--forge", f] }
    if let u = forge.apiURL { a += ["--api-url", u] }
    if let r = forge.forgeRepo { a += ["--forge-repo", r] }
    if let c = forge.context { a += ["--context", c] }
    if let c = forge.cacert { a += ["--cacert", absolutePath(c)] }
    if forge.each { a.append("--each") }
    if hook.noCache { a.append("--no-cache") }
    return a
  }

  /// The background job: pending status, replay, final verdict.
  private func runBackgroundJob(_ dir: String) throws -> Never {
    let job = JobFolder(path: dir)
    defer { job.finish() }
    try job.writePID(getpid())
    let updates = try RefUpdates.parse(try job.input())
    let context = try GateContext(entryPoint: .postReceive, repositoryPath: hook.repo, policy: hook.policy)
    let target = try forge.target(environment: context.environment)
    let outbox = outboxDirectory(
      flag: nil, machine: context.machine, environment: context.environment.values,
      gitDir: context.repository.gitDirectory)
    let label = rangeLabel(.updates(updates))

    // First the scans with replay pending, so the forge shows a pending status at once.
    var options = JudgeOptions(replay: .policy, environment: context.environment.values, rangeLabel: label)
    options.useCache = !hook.noCache
    let pending = try context.gate.judge(.updates(updates), options: options)
    if let target {
      _ = postVerdict(
        pending, target: target, cacert: forge.cacert, environment: context.environment, machine: context.machine,
        outboxDirectory: outbox)
    }

    options.replay = .on
    let verdict = try context.gate.judge(.updates(updates), options: options)
    try Data(VerdictJSON.encode(verdict).utf8).write(to: URL(fileURLWithPath: job.verdictPath))
    audit(
      context: context, event: "post-receive", verdict: verdict, refs: updates.map(\.ref), pusher: nil, override: .none)
    if let target {
      _ = postVerdict(
        verdict, target: target, cacert: forge.cacert, environment: context.environment, machine: context.machine,
        outboxDirectory: outbox)
    }
    if let cache = context.gate.cache { print("agentgate: verdict cache: \(cache.stats)") }
    print("agentgate: job done: \(verdict.summary)")
    throw JudgedExit(code: verdict.decision.exitCode)
  }
}

func absolutePath(_ p: String) -> String {
  p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
}

/// A background job's folder: `input` (the hook's stdin), `pid`, `log`, and `verdict.json` when done.
struct JobFolder {
  let path: String
  var name: String { (path as NSString).lastPathComponent }
  var logPath: String { "\(path)/log" }
  var verdictPath: String { "\(path)/verdict.json" }
  var pidPath: String { "\(path)/pid" }

  static func create(root: String, input: String) throws -> JobFolder {
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let stamp = Int(Date().timeIntervalSince1970)
    let name = "\(stamp)-\(getpid())-\(String(SHA256.hex(input).prefix(8)))"
    let job = JobFolder(path: "\(root)/\(name)")
    try FileManager.default.createDirectory(atPath: job.path, withIntermediateDirectories: false)
    try Data(input.utf8).write(to: URL(fileURLWithPath: "\(job.path)/input"))
    return job
  }

  func input() throws -> String {
    guard let data = FileManager.default.contents(atPath: "\(path)/input") else {
      throw GateError.unreadable(path: "\(path)/input", what: "job input", reason: "missing")
    }
    return String(decoding: data, as: UTF8.self)
  }

  func writePID(_ pid: Int32) throws {
    try Data("\(pid)\n".utf8).write(to: URL(fileURLWithPath: pidPath))
  }

  /// The job is over: its pidfile goes, the rest stays for inspection.
  func finish() { try? FileManager.default.removeItem(atPath: pidPath) }
}

/// Starts this binary with `arguments` in a new session, stdin from /dev/null and output to `log`,
/// so it survives the hook and git does not wait for it.
func spawnDetached(arguments: [String], log: String) throws -> Int32 {
  let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
  posix_spawn_file_actions_adddup2(&actions, 1, 2)
  var attr = posix_spawnattr_t()
  posix_spawnattr_init(&attr)
  defer { posix_spawnattr_destroy(&attr) }
  // glibc's POSIX_SPAWN_SETSID (0x80; a macro Swift does not import): the job leads a new session.
  posix_spawnattr_setflags(&attr, 0x80)
  let argv = ([exe] + arguments).map { strdup($0) } + [nil]
  defer { for p in argv { free(p) } }
  var pid: pid_t = 0
  let rc = posix_spawn(&pid, exe, &actions, &attr, argv, environ)
  guard rc == 0 else {
    throw GateError.invalid("could not start the background job: \(String(cString: strerror(rc)))")
  }
  return pid
}
