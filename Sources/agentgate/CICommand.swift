// `agentgate ci` and `agentgate replay`: the whole pipeline once, reported in every format asked for
// and posted to the forge.

import ArgumentParser
import CurlTransport
import Foundation
import Gate
import GateCore
import GitReading
import Policy
import Reporting

/// Where `ci --forge` posts.
struct ForgeOptions: ParsableArguments {
  @Option(help: "Post to github, gitlab, gitea, forgejo, bitbucket, bitbucket-dc, azure or webhook.")
  var forge: String?

  @Option(name: .customLong("api-url"), help: "The forge's API base (the webhook's URL for webhook).")
  var apiURL: String?

  @Option(name: .customLong("forge-repo"), help: "The repository as the forge names it.")
  var forgeRepo: String?

  @Option(help: "The commit to post on (default: the range's head commit).")
  var sha: String?

  @Flag(help: "Post one status per commit instead of one for the range.")
  var each = false

  @Option(help: "The status context (default: agentgate, with the shard when sharded).")
  var context: String?

  @Option(help: "A PEM file of CA certificates for a forge with a private CA.")
  var cacert: String?

  func target(environment: Environment) throws -> PostTarget? {
    guard let forge else { return nil }
    guard let value = Forge(rawValue: forge) else {
      throw ValidationError(
        "unknown forge \(forge); use one of \(Forge.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    let defaults = ForgeDefaults(forge: value, environment: environment)
    guard let api = apiURL ?? defaults.apiURL else { throw ValidationError("--forge \(forge) needs --api-url") }
    guard let repo = forgeRepo ?? defaults.repo else { throw ValidationError("--forge \(forge) needs --forge-repo") }
    let target = PostTarget(
      forge: value, apiURL: api, repo: repo, sha: sha, context: context, each: each, targetURL: defaults.targetURL)
    do { try target.validate() } catch { throw ValidationError(error.description) }
    return target
  }
}

/// Inside CI, the forge's own variables give the defaults: GitHub Actions, Gitea and Forgejo
/// Actions, GitLab CI, Bitbucket Pipelines and Azure Pipelines.
struct ForgeDefaults {
  var apiURL: String?
  var repo: String?
  var targetURL: String?

  /// The CI system the environment belongs to, if any.
  static func detect(_ env: Environment) -> Forge? {
    if env["FORGEJO_ACTIONS"] == "true" { return .forgejo }
    if env["GITEA_ACTIONS"] == "true" { return .gitea }
    if env["GITHUB_ACTIONS"] == "true" { return .github }
    if env["GITLAB_CI"] == "true" { return .gitlab }
    if env["BITBUCKET_BUILD_NUMBER"] != nil { return .bitbucket }
    if env["TF_BUILD"]?.lowercased() == "true" { return .azure }
    return nil
  }

  init(forge: Forge, environment env: Environment) {
    func trimmed(_ s: String) -> String { s.hasSuffix("/") ? String(s.dropLast()) : s }
    switch forge {
    case .github, .gitea, .forgejo:
      repo = env["GITHUB_REPOSITORY"]
      let server = env["GITHUB_SERVER_URL"].map(trimmed)
      apiURL =
        env["GITHUB_API_URL"].map(trimmed)
        ?? (forge == .github ? "https://api.github.com" : server.map { $0 + "/api/v1" })
      if let server, let r = repo, let run = env["GITHUB_RUN_ID"] {
        targetURL = "\(server)/\(r)/actions/runs/\(run)"
      }
    case .gitlab:
      apiURL = env["CI_API_V4_URL"].map(trimmed)
      repo = env["CI_PROJECT_ID"] ?? env["CI_PROJECT_PATH"]
      targetURL = env["CI_JOB_URL"] ?? env["CI_PIPELINE_URL"]
    case .bitbucket:
      apiURL = "https://api.bitbucket.org/2.0"
      if let full = env["BITBUCKET_REPO_FULL_NAME"] {
        repo = full
      } else if let w = env["BITBUCKET_WORKSPACE"], let s = env["BITBUCKET_REPO_SLUG"] {
        repo = "\(w)/\(s)"
      }
      if let origin = env["BITBUCKET_GIT_HTTP_ORIGIN"], let build = env["BITBUCKET_BUILD_NUMBER"] {
        targetURL = "\(trimmed(origin))/pipelines/results/\(build)"
      }
    case .azure:
      if let collection = env["SYSTEM_COLLECTIONURI"].map(trimmed), let project = env["SYSTEM_TEAMPROJECT"] {
        let encoded =
          project.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? project
        apiURL = "\(collection)/\(encoded)"
        targetURL = env["BUILD_BUILDID"].map { "\(collection)/\(encoded)/_build/results?buildId=\($0)" }
      }
      repo = env["BUILD_REPOSITORY_ID"]
    case .bitbucketDC, .webhook:
      break
    }
  }
}

/// `--output FORMAT=FILE`, repeatable (`-` is stdout).
struct OutputSpec {
  var format: ReportFormat
  var path: String

  init(_ text: String) throws {
    guard let eq = text.firstIndex(of: "="), let f = ReportFormat(rawValue: String(text[..<eq])) else {
      throw ValidationError(
        "--output takes FORMAT=FILE with FORMAT one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))"
      )
    }
    format = f
    path = String(text[text.index(after: eq)...])
    guard !path.isEmpty else { throw ValidationError("--output \(text): no file named") }
  }
}

/// Writes the verdict in each format asked for.
func writeReports(
  _ verdict: Verdict, stdoutFormat: ReportFormat?, outputs: [OutputSpec], environment: Environment
)
  throws
{
  if let stdoutFormat {
    Terminal.write(Reports.render(verdict, format: stdoutFormat, options: RenderOptions(color: Terminal.colorOnStdout)))
  }
  for out in outputs {
    let text = Reports.render(verdict, format: out.format, options: RenderOptions(color: false))
    if out.path == "-" {
      Terminal.write(text)
      continue
    }
    do {
      try Data((text.hasSuffix("\n") ? text : text + "\n").utf8).write(to: URL(fileURLWithPath: out.path))
    } catch {
      throw GateError.unreadable(path: out.path, what: "report output", reason: error.localizedDescription)
    }
  }
  if let summary = environment["GITHUB_STEP_SUMMARY"] {
    do { try Reports.appendStepSummary(verdict, path: summary) } catch {
      Terminal.warn("could not append the job summary: \(error)")
    }
  }
}

/// Posts the verdict; failures go to the outbox and are said loudly. Returns true when delivered.
func postVerdict(
  _ verdict: Verdict, target: PostTarget, cacert: String?, environment: Environment, machine: MachineConfig,
  outboxDirectory: String
) -> Bool {
  let transport: CurlTransport
  do {
    transport = try CurlTransport(options: CurlOptions(totalTimeout: 30, caBundle: cacert))
  } catch {
    Terminal.warn("cannot post: \(error.description)")
    return false
  }
  let outbox = Outbox(directory: outboxDirectory)
  let secret = token(for: target.forge, environment: environment.values, machine: machine)
  let outcome = Reporting.post(
    verdict: verdict, target: target, transport: transport, tokens: { _ in secret }, outbox: outbox)
  for w in outcome.warnings { Terminal.warn(w) }
  switch outcome.status {
  case .delivered:
    Terminal.note(outcome.message)
    return true
  case .queued, .failed:
    Terminal.warn(outcome.message)
    if outcome.tokenRefused {
      Terminal.warn(
        "the token cannot post here (a fork's read-only token?); the token-free outputs (annotations, SARIF, "
          + "JUnit, job summary) still carry the verdict")
    }
    return false
  }
}

struct CICommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ci", abstract: "Judge a CI run's commits once, report in every format asked for, and post.",
    discussion: """
      With no range it takes the CI's own (GitHub pull request base..head or push before..after, \
      GitLab's merge request diff base or CI_COMMIT_BEFORE_SHA, Bitbucket, Azure, Jenkins, \
      Buildkite); without one it exits 2, never judging the whole history. The policy comes from \
      the base, never from the judged commits. Exit 0 pass or warn, 1 fail, 2 could not decide.
      """)

  @OptionGroup var selection: CommitSelectionOptions
  @OptionGroup var policy: PolicyOptions
  @OptionGroup var forge: ForgeOptions

  @Option(help: "on or off: replay agent commits in the sandbox (default: as the policy says for ci).")
  var replay: String?

  @Option(
    name: .customLong("format"),
    help: "Output on stdout: \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
  var format: String = "text"

  @Option(
    name: .customLong("output"), help: ArgumentHelp("Also write FORMAT to FILE (repeatable).", valueName: "FORMAT=FILE")
  )
  var outputs: [String] = []

  @Option(help: ArgumentHelp("Judge only shard K of N (deterministic by commit id).", valueName: "K/N"))
  var shard: String?

  @Flag(name: .customLong("quiet"), help: "No progress line.")
  var quiet = false

  @Flag(name: .customLong("outbox-error"), help: "Exit 2 when the verdict could not be posted (default: warn).")
  var outboxError = false

  func validate() throws {
    guard ReportFormat(rawValue: format) != nil else { throw ValidationError("unknown --format \(format)") }
    if let replay, !["on", "off"].contains(replay) { throw ValidationError("--replay takes on or off") }
    if let shard, Shard(shard) == nil { throw ValidationError("--shard takes K/N with 1 <= K <= N") }
    for o in outputs { _ = try OutputSpec(o) }
  }

  func run() async throws {
    let env = Environment()
    let target = try forge.target(environment: env)
    let context = try GateContext(entryPoint: .ci, repositoryPath: selection.repo, policy: policy, environment: env)
    var chosen: CommitSelection
    if selection.chosenCount > 0 {
      chosen = try selection.selection(readingStdin: CommitSelectionOptions.readStandardInput)
    } else {
      let defaultRef = context.repository.defaultBranch().map {
        "origin/" + $0.replacingOccurrences(of: "refs/heads/", with: "")
      }
      let found = try CIRange.detect(
        environment: env.values, eventJSON: CIRange.githubEvent(environment: env.values),
        defaultBranchRef: defaultRef.flatMap { (try? context.repository.resolveCommit($0)) != nil ? $0 : nil })
      Terminal.note("range from \(found.origin): \(found.revisions.joined(separator: " "))")
      chosen = .revisions(found.revisions)
    }
    var options = context.judgeOptions(
      quiet: quiet, replay: replay == "on" ? .on : replay == "off" ? .off : .policy, rangeLabel: rangeLabel(chosen))
    options.shard = shard.flatMap(Shard.init)
    let verdict = try context.gate.judge(chosen, options: options)
    try writeReports(
      verdict, stdoutFormat: ReportFormat(rawValue: format), outputs: try outputs.map(OutputSpec.init),
      environment: env)
    if let target {
      let outbox = outboxDirectory(
        flag: nil, machine: context.machine, environment: env.values, gitDir: context.repository.gitDirectory)
      let delivered = postVerdict(
        verdict, target: target, cacert: forge.cacert, environment: env, machine: context.machine,
        outboxDirectory: outbox)
      if !delivered && outboxError { throw JudgedExit(code: 2) }
    }
    throw JudgedExit(code: verdict.decision.exitCode)
  }
}

struct ReplayCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "replay", abstract: "Build and test one commit in a throwaway sandbox.",
    discussion: """
      The commit's tree is exported into a fresh, size-capped work dir (never a worktree, never the \
      real repository) and the build and test commands run in the sandbox with no network. \
      --build/--test override the policy and are named in the report. Exit 0 pass, 1 fail, 2 when \
      the sandbox cannot run.
      """)

  @Option(name: .customLong("repo"), help: ArgumentHelp("The local repository.", valueName: "DIR"))
  var repo: String?

  @Option(help: "The commit to replay.")
  var commit: String

  @Option(
    name: .customLong("build"), help: ArgumentHelp("A build command (shell string, repeatable).", valueName: "CMD"))
  var build: [String] = []

  @Option(name: .customLong("test"), help: ArgumentHelp("A test command (shell string, repeatable).", valueName: "CMD"))
  var test: [String] = []

  @OptionGroup var policy: PolicyOptions

  @Option(name: .customLong("format"), help: "text or json.")
  var format: String = "text"

  func validate() throws {
    guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
  }

  func run() async throws {
    let context = try GateContext(entryPoint: .replay, repositoryPath: repo, policy: policy)
    let id = try context.repository.resolveCommit(commit)
    let record = try context.repository.commit(id)
    let options = JudgeOptions(
      replay: .on, buildCommands: build, testCommands: test, environment: context.environment.values)
    let outcome = context.gate.replay(commit: id, options: options)
    let attribution = context.gate.detector.attribute(record)
    let (decision, reasons) = context.gate.decider.decide(
      attribution: attribution, authorEmail: record.author.email, findings: [], replay: outcome)
    // A replay asked for by hand is judged on its own result, whoever wrote the commit.
    let own: Decision =
      switch outcome.status {
      case .passed: .pass
      case .failed: .fail
      case .error: .error
      case .skipped, .pending: .error
      }
    let commitVerdict = CommitVerdict(
      commit: record, attribution: attribution, findings: [], replay: outcome, decision: own,
      reasons: outcome.status == .skipped ? ["nothing to run: \(outcome.reason ?? "")"] : reasons)
    _ = decision
    let verdict = Gate.verdict(
      [commitVerdict], policy: context.resolved.identity, range: id, shard: nil)
    Terminal.write(
      Reports.render(
        verdict, format: format == "json" ? .json : .text, options: RenderOptions(color: Terminal.colorOnStdout)))
    throw JudgedExit(code: verdict.decision.exitCode)
  }
}
