// `agentgate init`, `agentgate policy show|check`, `agentgate rules`, `agentgate baseline create`.

import ArgumentParser
import Foundation
import Gate
import GateCore
import GitReading
import Policy
import Reporting
import Scanning

struct InitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init", abstract: "Write a commented starter policy, .agentgate.toml, into the work tree.")

  @Option(
    name: .customLong("repo"), help: ArgumentHelp("The repository (default: the current directory).", valueName: "DIR"))
  var repo: String?

  @Flag(help: "Overwrite an existing .agentgate.toml.")
  var force = false

  func run() async throws {
    let env = Environment()
    let repository = try Repository(path: repo, environment: env.values)
    guard let work = repository.workDirectory else {
      throw ValidationError(
        "\(repository.gitDirectory) is a bare repository: pass a server policy with --policy instead")
    }
    let path = URL(fileURLWithPath: work).appendingPathComponent(policyFileName).path
    if FileManager.default.fileExists(atPath: path) && !force {
      throw ValidationError("\(path) exists; pass --force to overwrite it")
    }
    try Data(PolicyTemplates.starter.utf8).write(to: URL(fileURLWithPath: path))
    Terminal.write("wrote \(path): commit it; it judges from the next commit on (never the one that changes it)")
  }
}

struct PolicyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "policy", abstract: "Show the policy in force, or check a policy file.",
    subcommands: [PolicyShow.self, PolicyCheck.self])
}

struct PolicyShow: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Print the effective settings and where each came from.")

  @Option(
    name: .customLong("entry-point"),
    help: "pre-receive, post-receive, ci, pre-commit, commit-msg, pre-push, scan, detect or replay.")
  var entryPoint: String = "scan"

  @Option(name: .customLong("repo"), help: ArgumentHelp("The repository.", valueName: "DIR"))
  var repo: String?

  @OptionGroup var policy: PolicyOptions

  func validate() throws {
    guard EntryPoint(rawValue: entryPoint) != nil else {
      throw ValidationError(
        "unknown entry point \(entryPoint); use one of \(EntryPoint.allCases.map(\.rawValue).joined(separator: ", "))")
    }
  }

  func run() async throws {
    let env = Environment()
    let machine = try loadMachineConfig(configFile: policy.configFile, environment: env.values)
    let repository = try Repository(path: repo, environment: env.values)
    let resolver = PolicyResolver(reader: RepositoryRefReader(repository), machine: machine)
    let resolved = try resolver.resolve(
      entryPoint: EntryPoint(rawValue: entryPoint)!, policyFile: policy.policyFile, policyRef: policy.policyRef,
      ciEnvironment: env.values)
    Terminal.write(explain(resolved))
  }
}

struct PolicyCheck: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check", abstract: "Validate a policy file: exit 0 when valid, 2 with key and line when not.")

  @Argument(help: "The policy file.")
  var file: String

  func run() async throws {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw ValidationError("cannot read \(file)")
    }
    _ = try RepositoryPolicy.parse(String(decoding: data, as: UTF8.self), source: file)
    Terminal.write("\(file): valid")
  }
}

struct RulesCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rules", abstract: "List every rule (agent, secret, risk) with its description and examples.")

  @Argument(help: "One rule's id.")
  var id: String?

  @Option(name: .customLong("format"), help: "text, json or markdown.")
  var format: String = "text"

  func validate() throws {
    guard ["text", "json", "markdown"].contains(format) else {
      throw ValidationError("--format must be text, json or markdown")
    }
  }

  func run() async throws {
    var rules = RuleSet.metadata
    if let id {
      rules = rules.filter { $0.id == id }
      guard !rules.isEmpty else { throw ValidationError("no rule named \(id); `agentgate rules` lists them") }
    }
    Terminal.write(RuleCatalog.render(rules, format: format, detailed: id != nil))
  }
}

struct BaselineCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "baseline", abstract: "Accept today's findings so that only new ones are reported.",
    subcommands: [BaselineCreate.self])
}

struct BaselineCreate: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Write a baseline of content fingerprints (not positions) for the findings of a range.",
    discussion: """
      Commit the file and name it in the policy ([scanning] baseline = "PATH"); it is read at the \
      trusted ref like the policy, and survives unrelated edits. Default range: --all.
      """)

  @OptionGroup var selection: CommitSelectionOptions
  @OptionGroup var policy: PolicyOptions

  @Option(name: .customLong("output"), help: ArgumentHelp("Where to write it.", valueName: "FILE"))
  var output: String = ".agentgate-baseline.json"

  func run() async throws {
    let context = try GateContext(entryPoint: .scan, repositoryPath: selection.repo, policy: policy)
    let chosen = try selection.selection(readingStdin: CommitSelectionOptions.readStandardInput, fallback: .all)
    let verdict = try context.gate.judge(
      chosen, options: JudgeOptions(replay: .off, environment: context.environment.values))
    let findings = verdict.commits.flatMap(\.findings).filter { $0.category != .skipped }
    let baseline = Baseline(findings: findings)
    try Data(baseline.json().utf8).write(to: URL(fileURLWithPath: output))
    Terminal.write("wrote \(output): \(baseline.count) fingerprint\(baseline.count == 1 ? "" : "s")")
  }
}
