// `agentgate post`, `agentgate report` and `agentgate outbox`: render saved verdicts, post them
// to CI systems, and deliver what could not be posted. The process environment is read once per
// command and passed down; tokens are never printed.

import ArgumentParser
import CurlTransport
import Foundation
import GateCore
import Policy
import Reporting

/// Reads a saved `agentgate.verdict/1` file; errors say what to do.
func readVerdict(_ path: String) throws -> Verdict {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw ValidationError("cannot read the verdict file \(path); give a file written by `--format json`")
  }
  do {
    return try VerdictJSON.decode(Array(data))
  } catch {
    throw ValidationError("\(path): \(error.description)")
  }
}

/// The repository's git dir for the outbox location: GIT_DIR, else the nearest `.git` upwards.
func discoverGitDir(environment: [String: String]) -> String? {
  if let g = environment["GIT_DIR"], !g.isEmpty { return g }
  var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  while true {
    let candidate = dir.appendingPathComponent(".git").path
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir) {
      if isDir.boolValue { return candidate }
      // A worktree or submodule: `.git` is a file naming the real git dir.
      if let text = try? String(contentsOfFile: candidate, encoding: .utf8), text.hasPrefix("gitdir:") {
        let path = text.dropFirst(7).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.hasPrefix("/") ? path : dir.appendingPathComponent(path).path
      }
    }
    let parent = dir.deletingLastPathComponent()
    if parent.path == dir.path { return nil }
    dir = parent
  }
}

/// The forge's token: the variable the machine configuration names for it first, then the
/// forge's own variables. The value is handed to the publisher and never printed.
func token(for forge: Forge, environment: [String: String], machine: MachineConfig?) -> String? {
  var names = forge.tokenVariables
  if let named = machine?.tokenVariables[forge.rawValue], !named.isEmpty {
    names.removeAll { $0 == named }
    names.insert(named, at: 0)
  }
  for name in names {
    if let v = environment[name], !v.isEmpty { return v }
  }
  return nil
}

/// Where undelivered verdicts wait: `--outbox`/`--dir`, else AGENTGATE_OUTBOX, else the machine
/// configuration's `[outbox] dir`, else the repository's git dir, else the XDG state directory.
func outboxDirectory(
  flag: String?, machine: MachineConfig?, environment: [String: String], gitDir: String?
) -> String {
  if let flag, !flag.isEmpty { return flag }
  return Outbox.defaultDirectory(
    configured: machine?.configuredOutboxDir, environment: environment, gitDir: gitDir)
}

func printError(_ line: String) {
  FileHandle.standardError.write(Data("agentgate: \(line)\n".utf8))
}

/// `agentgate post`.
struct PostCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "post", abstract: "Post a saved verdict to a CI system or webhook.",
    discussion: """
      Posts one status for the range on its head commit (--sha chooses the commit, --each posts one \
      per commit). Tokens come from GITHUB_TOKEN, GITLAB_TOKEN, GITEA_TOKEN (forgejo: FORGEJO_TOKEN \
      or GITEA_TOKEN), BITBUCKET_TOKEN, AZURE_DEVOPS_TOKEN; the webhook is signed with \
      AGENTGATE_WEBHOOK_SECRET when set. A verdict that cannot be delivered is kept in the outbox \
      (exit 2); `agentgate outbox flush` delivers it later.
      """)

  @Option(
    help:
      "github, gitlab, gitea, forgejo, bitbucket, bitbucket-dc, azure or webhook (default: the CI system it runs in)."
  )
  var forge: String?

  @Option(
    name: .customLong("api-url"),
    help: "The forge's API base (the webhook's URL for webhook; default: from the CI's variables).")
  var apiURL: String?

  @Option(
    name: .customLong("forge-repo"), help: "The repository as the forge names it (default: from the CI's variables).")
  var forgeRepo: String?

  @Option(help: "The commit to post on (default: the range's head commit).")
  var sha: String?

  @Flag(help: "Post one status per commit instead of one for the range.")
  var each = false

  @Option(help: "The status context (default: agentgate, with the shard when sharded).")
  var context: String?

  @Option(name: .customLong("target-url"), help: "The link shown with the status (default: the CI job's URL).")
  var targetURL: String?

  @Flag(name: .customLong("check-runs"), help: "GitHub: also create a check run with annotations (App tokens).")
  var checkRuns = false

  @Option(help: "A PEM file of CA certificates for a forge with a private CA.")
  var cacert: String?

  @Option(
    help:
      "The outbox directory (default: AGENTGATE_OUTBOX, else the machine configuration's, else <gitdir>/agentgate/outbox, else XDG state)."
  )
  var outbox: String?

  @Option(name: .customLong("config"), help: ArgumentHelp("A machine configuration file read last.", valueName: "FILE"))
  var configFile: String?

  @Option(help: "Seconds to keep trying before the verdict goes to the outbox.")
  var timeout: Double = 60

  @Argument(help: "The verdict file written by `--format json`.")
  var verdict: String

  func validate() throws {
    if let forge, Forge(rawValue: forge) == nil {
      throw ValidationError(
        "unknown forge \(forge); use one of \(Forge.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
  }

  func run() async throws {
    let environment = ProcessInfo.processInfo.environment
    let env = Environment(values: environment)
    guard let forgeValue = forge.flatMap(Forge.init(rawValue:)) ?? ForgeDefaults.detect(env) else {
      throw ValidationError("--forge is needed outside a CI job that agentgate recognises")
    }
    let defaults = ForgeDefaults(forge: forgeValue, environment: env)
    guard let api = apiURL ?? defaults.apiURL else {
      throw ValidationError("--forge \(forgeValue.rawValue) needs --api-url")
    }
    guard let repo = forgeRepo ?? defaults.repo else {
      throw ValidationError("--forge \(forgeValue.rawValue) needs --forge-repo")
    }
    let machine = try loadMachineConfig(configFile: configFile, environment: environment)
    let target = PostTarget(
      forge: forgeValue, apiURL: api, repo: repo, sha: sha, context: context, each: each,
      targetURL: targetURL ?? defaults.targetURL, checkRuns: checkRuns ? true : nil)
    do { try target.validate() } catch { throw ValidationError(error.description) }
    let verdictValue = try readVerdict(verdict)
    let transport: CurlTransport
    do {
      transport = try CurlTransport(
        options: CurlOptions(totalTimeout: min(30, timeout), caBundle: cacert))
    } catch {
      throw ValidationError(error.description)
    }
    let box = Outbox(
      directory: outboxDirectory(
        flag: outbox, machine: machine, environment: environment, gitDir: discoverGitDir(environment: environment)))
    let secret = token(for: forgeValue, environment: environment, machine: machine)
    let outcome = Reporting.post(
      verdict: verdictValue, target: target, transport: transport, tokens: { _ in secret }, outbox: box,
      policy: RetryPolicy(totalSeconds: timeout))
    for w in outcome.warnings { printError("warning: \(w)") }
    switch outcome.status {
    case .delivered:
      print("agentgate: \(outcome.message)")
    case .queued, .failed:
      printError(outcome.message)
      if outcome.tokenRefused {
        printError(
          "the token cannot post here; use the token-free outputs instead "
            + "(`agentgate report --format github-annotations`, sarif, junit, gitlab-codequality)")
      }
      throw JudgedExit(code: 2)
    }
  }
}

/// `agentgate report`.
struct ReportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report", abstract: "Render a saved verdict in another format, or merge shards.",
    discussion: """
      Exits as the verdict decides: 0 pass or warn, 1 fail, 2 error. With --format github-annotations \
      and GITHUB_STEP_SUMMARY set, the Markdown summary is appended to that file too.
      """)

  @Option(help: "The verdict file written by `--format json`.")
  var from: String

  @Option(help: "text, json, sarif, junit, github-annotations, gitlab-codequality or gitlab-secret-detection.")
  var format: String = "text"

  @Option(parsing: .upToNextOption, help: "Verdicts of further shards to merge with --from.")
  var merge: [String] = []

  @Option(help: "Write to this file instead of standard output.")
  var output: String?

  func validate() throws {
    guard ReportFormat(rawValue: format) != nil else {
      throw ValidationError(
        "unknown format \(format); use one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
    }
  }

  func run() async throws {
    let environment = ProcessInfo.processInfo.environment
    let formatValue = ReportFormat(rawValue: format)!
    var verdicts = [try readVerdict(from)]
    for m in merge { verdicts.append(try readVerdict(m)) }
    let verdict = verdicts.count == 1 ? verdicts[0] : Reports.merge(verdicts)
    let color = output == nil && isatty(1) == 1 && environment["NO_COLOR"] == nil && formatValue == .text
    let text = Reports.render(verdict, format: formatValue, options: RenderOptions(color: color))
    if let output {
      do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: output))
      } catch {
        throw ValidationError("cannot write \(output): \(error.localizedDescription)")
      }
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }
    if formatValue == .githubAnnotations, let summary = environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty {
      do { try Reports.appendStepSummary(verdict, path: summary) } catch { printError("warning: \(error.description)") }
    }
    if verdict.decision.exitCode != 0 { throw JudgedExit(code: verdict.decision.exitCode) }
  }
}

/// `agentgate outbox list|flush|drop`.
struct OutboxCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "outbox", abstract: "Verdicts that could not be delivered: list, flush, drop.",
    subcommands: [OutboxList.self, OutboxFlush.self, OutboxDrop.self])
}

struct OutboxLocation: ParsableArguments {
  @Option(
    help:
      "The outbox directory (default: AGENTGATE_OUTBOX, else the machine configuration's, else <gitdir>/agentgate/outbox, else XDG state)."
  )
  var dir: String?

  @Option(name: .customLong("config"), help: ArgumentHelp("A machine configuration file read last.", valueName: "FILE"))
  var configFile: String?

  /// The machine configuration (tokens' variable names, the outbox) and the outbox it names.
  func resolve(environment: [String: String]) throws -> (MachineConfig, Outbox) {
    let machine = try loadMachineConfig(configFile: configFile, environment: environment)
    let box = Outbox(
      directory: outboxDirectory(
        flag: dir, machine: machine, environment: environment, gitDir: discoverGitDir(environment: environment)))
    return (machine, box)
  }
}

struct OutboxList: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "list", abstract: "List undelivered verdicts.")
  @OptionGroup var location: OutboxLocation
  @Option(help: "text or json.") var format: String = "text"

  func validate() throws {
    guard ["text", "json"].contains(format) else { throw ValidationError("--format is text or json") }
  }

  func run() async throws {
    let (_, box) = try location.resolve(environment: ProcessInfo.processInfo.environment)
    let (items, errors) = try box.list()
    if format == "json" {
      let values: [JSONValue] = items.map { i in
        .object([
          ("id", .string(i.id)), ("state", .string(i.dead ? "dead" : "pending")),
          ("forge", .string(i.target.forge.rawValue)),
          ("api_url", .string(i.target.apiURL)), ("repo", .string(i.target.repo)),
          ("sha", i.target.sha.map(JSONValue.string) ?? .null), ("decision", .string(i.verdict.decision.rawValue)),
          ("attempts", .int(Int64(i.attempts))), ("reason", .string(i.reason)),
        ])
      }
      print(
        JSONValue.object([("directory", .string(box.directory)), ("items", .array(values))]).serialized(pretty: true))
    } else {
      if items.isEmpty && errors.isEmpty { print("agentgate: the outbox \(box.directory) is empty") }
      for i in items {
        let when = Date(timeIntervalSince1970: i.created)
        print(
          "\(i.id)  \(i.dead ? "dead   " : "pending")  \(i.target.forge.rawValue) \(i.target.repo)  "
            + "\(i.verdict.decision.rawValue)  attempts \(i.attempts)  queued \(when)")
        print("    \(i.reason)")
      }
    }
    for e in errors { printError(e.description) }
    if !errors.isEmpty { throw JudgedExit(code: 2) }
  }
}

struct OutboxFlush: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "flush", abstract: "Deliver queued verdicts; rejected ones move to the dead-letter folder.")
  @OptionGroup var location: OutboxLocation
  @Option(help: "A PEM file of CA certificates for a forge with a private CA.") var cacert: String?
  @Option(help: "Seconds to keep trying each item.") var timeout: Double = 60

  func run() async throws {
    let environment = ProcessInfo.processInfo.environment
    let (machine, box) = try location.resolve(environment: environment)
    let transport: CurlTransport
    do {
      transport = try CurlTransport(options: CurlOptions(totalTimeout: min(30, timeout), caBundle: cacert))
    } catch {
      throw ValidationError(error.description)
    }
    let report: FlushReport
    do {
      report = try box.flush(
        transport: transport, tokens: { token(for: $0, environment: environment, machine: machine) },
        policy: RetryPolicy(totalSeconds: timeout))
    } catch {
      printError(error.description)
      throw JudgedExit(code: 2)
    }
    for id in report.delivered { print("delivered \(id)") }
    for (id, why) in report.remaining { printError("still queued \(id): \(why)") }
    for (id, why) in report.deadLettered {
      printError("moved \(id) to the dead-letter folder (the forge rejected it): \(why)")
    }
    for e in report.errors { printError(e) }
    print(
      "agentgate: \(report.delivered.count) delivered, \(report.remaining.count) still queued, "
        + "\(report.deadLettered.count) dead-lettered")
    if !report.allDelivered { throw JudgedExit(code: 2) }
  }
}

struct OutboxDrop: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "drop", abstract: "Remove a queued verdict for good.")
  @OptionGroup var location: OutboxLocation
  @Argument(help: "The item id `agentgate outbox list` shows.") var id: String

  func run() async throws {
    let (_, box) = try location.resolve(environment: ProcessInfo.processInfo.environment)
    do { try box.drop(id) } catch { throw ValidationError(error.description) }
    print("agentgate: dropped \(id)")
  }
}
