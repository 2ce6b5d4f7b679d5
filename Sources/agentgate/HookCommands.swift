// The hook entry points: pre-commit, commit-msg, pre-push (a developer's machine), pre-receive and
// post-receive (a Git server). Each is a thin command over the pipeline with its entry point's
// trusted policy; what they print goes to the pusher or committer's terminal.

import ArgumentParser
import Attribution
import Foundation
import Gate
import GateCore
import GitReading
import Policy
import Reporting

/// Options every hook shares.
struct HookOptions: ParsableArguments {
  @Option(
    name: .customLong("repo"), help: ArgumentHelp("The repository (default: as git runs the hook).", valueName: "DIR"))
  var repo: String?

  @OptionGroup var policy: PolicyOptions

  @Option(help: ArgumentHelp("Seconds the hook may take; at the deadline it stops and says so.", valueName: "S"))
  var deadline: Double?

  @Option(help: "on or off: override the policy's replay setting for this hook.")
  var replay: String?

  @Flag(name: .customLong("quiet"), help: "Print only when blocking or warning.")
  var quiet = false

  @Flag(name: .customLong("no-cache"), help: "Judge every commit afresh, ignoring the verdict cache in the git dir.")
  var noCache = false

  @Flag(name: .customLong("verbose"), help: "Also say how many commits came from the verdict cache.")
  var verbose = false

  var replayRequest: ReplayRequest { replay == "on" ? .on : replay == "off" ? .off : .policy }

  func validate() throws {
    if let replay, !["on", "off"].contains(replay) { throw ValidationError("--replay takes on or off") }
    if let deadline, deadline <= 0 { throw ValidationError("--deadline must be positive") }
  }
}

/// With `--verbose`: what the verdict cache did (hits, misses, entries stored), on stderr.
func reportCache(_ gate: Gate, verbose: Bool) {
  guard verbose, let cache = gate.cache else { return }
  Terminal.note("verdict cache: \(cache.stats)")
}

/// Prints a hook's verdict for people on stderr (git shows hook stderr to the user) and exits.
func finishHook(_ verdict: Verdict, quiet: Bool) throws -> Never {
  let color = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
  if !quiet || verdict.decision != .pass {
    let text = Reports.render(verdict, format: .text, options: RenderOptions(color: color))
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
  }
  throw JudgedExit(code: verdict.decision.exitCode)
}

struct PreCommitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pre-commit",
    abstract: "Hook: judge the staged change with the agent's environment, before the commit exists.")

  @OptionGroup var hook: HookOptions

  func run() async throws {
    let context = try GateContext(entryPoint: .preCommit, repositoryPath: hook.repo, policy: hook.policy)
    var options = context.judgeOptions(quiet: true, replay: hook.replayRequest, rangeLabel: "staged")
    options.processChain = ProcessChain.current()
    options.deadline = hook.deadline
    try finishHook(try context.gate.judge(.staged, options: options), quiet: hook.quiet)
  }
}

struct CommitMsgCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "commit-msg",
    abstract: "Hook: judge again once the message exists (an agent known only by the trailer it writes).")

  @Argument(help: "The message file git passes.")
  var messageFile: String

  @OptionGroup var hook: HookOptions

  func run() async throws {
    guard let data = FileManager.default.contents(atPath: messageFile) else {
      throw ValidationError("cannot read the commit message file \(messageFile)")
    }
    let message = cleanCommitMessage(MessageText.decode(Array(data), encoding: nil))
    let context = try GateContext(entryPoint: .commitMsg, repositoryPath: hook.repo, policy: hook.policy)
    var options = context.judgeOptions(quiet: true, replay: .off, rangeLabel: "staged")
    options.processChain = ProcessChain.current()
    options.message = message
    options.deadline = hook.deadline
    try finishHook(try context.gate.judge(.staged, options: options), quiet: hook.quiet)
  }
}

struct PrePushCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pre-push", abstract: "Hook: judge the commits a push sends (pre-push's four-field stdin).")

  @Argument(help: "The remote's name (git passes it).")
  var remote: String?

  @Argument(help: "The remote's URL (git passes it).")
  var url: String?

  @OptionGroup var hook: HookOptions

  func run() async throws {
    guard isatty(STDIN_FILENO) != 1 else {
      throw ValidationError(
        "pre-push reads 'LOCAL-REF LOCAL-SHA REMOTE-REF REMOTE-SHA' lines on stdin; stdin is a terminal")
    }
    let context = try GateContext(entryPoint: .prePush, repositoryPath: hook.repo, policy: hook.policy)
    let updates = try RefUpdates.parse(CommitSelectionOptions.readStandardInput(), remoteName: remote)
    var options = context.judgeOptions(quiet: true, replay: hook.replayRequest, rangeLabel: nil)
    options.deadline = hook.deadline
    options.rangeLabel = rangeLabel(.updates(updates))
    options.useCache = !hook.noCache
    let verdict = try context.gate.judge(.updates(updates), options: options)
    reportCache(context.gate, verbose: hook.verbose)
    try finishHook(verdict, quiet: hook.quiet)
  }
}
