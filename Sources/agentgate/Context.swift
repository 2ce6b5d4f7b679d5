// What every judging command shares: the environment read once, the machine configuration, the
// trusted policy for its entry point, the gate built from them, and the output options.

import ArgumentParser
import Attribution
import Foundation
import Gate
import GateCore
import GitReading
import Policy
import Reporting

/// `--policy`, `--policy-ref`, `--rules`, `--config`: where the judge's settings come from.
struct PolicyOptions: ParsableArguments {
  @Option(
    name: .customLong("policy"),
    help: ArgumentHelp("A policy file to judge by (outside the judged checkout).", valueName: "FILE"))
  var policyFile: String?

  @Option(
    name: .customLong("policy-ref"),
    help: ArgumentHelp("Read .agentgate.toml at this trusted ref instead (ci, scan, detect, replay).", valueName: "REF")
  )
  var policyRef: String?

  @Option(
    name: .customLong("rules"),
    help: ArgumentHelp(
      "Extra rules in gitleaks' TOML format (repeatable; never from the judged repository).", valueName: "FILE"))
  var rulesFiles: [String] = []

  @Option(
    name: .customLong("config"), help: ArgumentHelp("A machine configuration file read last.", valueName: "FILE"))
  var configFile: String?
}

/// The machine configuration: /etc, then the user's, then `--config`. A broken file is an error
/// (exit 2), never silently skipped.
func loadMachineConfig(configFile: String?, environment: [String: String]) throws -> MachineConfig {
  try MachineConfig.load(environment: environment, flags: MachineConfig.Overrides(configFile: configFile)).config
}

/// `--format`, `--output`, `--quiet`, `--no-redact`.
struct OutputOptions: ParsableArguments {
  @Option(name: .customLong("format"), help: ArgumentHelp("Output on stdout: text or json.", valueName: "FORMAT"))
  var format: String = "text"

  @Flag(name: .customLong("quiet"), help: "No progress line.")
  var quiet = false

  @Flag(
    name: .customLong("no-redact"), help: "Show matched secrets in full (text output to a terminal only).")
  var noRedact = false

  func validate(allowed: [String]) throws {
    guard allowed.contains(format) else {
      throw ValidationError("--format must be one of \(allowed.joined(separator: ", ")); got '\(format)'")
    }
    if noRedact && (format != "text" || isatty(STDOUT_FILENO) != 1) {
      throw ValidationError(
        "--no-redact only works with text output to a terminal, so secrets never land in files or logs")
    }
  }
}

/// The process environment, read once at the start of a command.
struct Environment {
  let values: [String: String]
  init() { values = ProcessInfo.processInfo.environment }
  init(values: [String: String]) { self.values = values }
  subscript(_ key: String) -> String? { values[key].flatMap { $0.isEmpty ? nil : $0 } }
}

/// Loaded once per command: machine config, repository, resolver, trusted policy, gate.
struct GateContext {
  let environment: Environment
  let machine: MachineConfig
  let repository: Repository
  let resolver: PolicyResolver
  let resolved: ResolvedPolicy
  let gate: Gate

  init(
    entryPoint: EntryPoint, repositoryPath: String?, policy: PolicyOptions, redact: Bool = true,
    environment: Environment = Environment()
  ) throws {
    self.environment = environment
    let machine = try loadMachineConfig(configFile: policy.configFile, environment: environment.values)
    self.machine = machine
    repository = try Repository(path: repositoryPath, environment: environment.values)
    resolver = PolicyResolver(reader: RepositoryRefReader(repository), machine: machine)
    resolved = try resolver.resolve(
      entryPoint: entryPoint, policyFile: policy.policyFile, policyRef: policy.policyRef,
      ciEnvironment: environment.values)
    for warning in resolved.warnings { Terminal.warn(warning) }
    gate = try Gate.make(
      repository: repository, resolved: resolved, resolver: resolver, extraRules: policy.rulesFiles, redact: redact)
  }

  /// Judge options with the environment and a progress line when stderr is a terminal.
  func judgeOptions(quiet: Bool, replay: ReplayRequest = .policy, rangeLabel: String?) -> JudgeOptions {
    var options = JudgeOptions(replay: replay, environment: environment.values, rangeLabel: rangeLabel)
    if !quiet && isatty(STDERR_FILENO) == 1 {
      options.progress = Terminal.progressLine
    }
    return options
  }
}

/// Terminal output: warnings on stderr, a progress line, colour only on a TTY without NO_COLOR.
enum Terminal {
  static func warn(_ text: String) {
    FileHandle.standardError.write(Data("agentgate: warning: \(text)\n".utf8))
  }

  static func note(_ text: String) {
    FileHandle.standardError.write(Data("agentgate: \(text)\n".utf8))
  }

  static var colorOnStdout: Bool {
    isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
      && ProcessInfo.processInfo.environment["TERM"] != "dumb"
  }

  @Sendable static func progressLine(_ p: JudgeProgress) {
    guard p.seconds >= 1 else { return }
    let mb = Double(p.bytes) / 1_048_576
    let rate = Double(p.commits) / max(p.seconds, 0.001)
    let line = String(
      format: "\r%d/%d commits, %.1f MB, %d findings, %.0f commits/s ", p.commits, p.total, mb, p.findings, rate)
    FileHandle.standardError.write(Data(line.utf8))
    if p.commits == p.total { FileHandle.standardError.write(Data("\n".utf8)) }
  }

  static func write(_ text: String) {
    FileHandle.standardOutput.write(Data((text.hasSuffix("\n") || text.isEmpty ? text : text + "\n").utf8))
  }
}

/// The range as a label for reports.
func rangeLabel(_ selection: CommitSelection) -> String {
  switch selection {
  case .revisions(let r): r.joined(separator: " ")
  case .commit(let c): c
  case .all: "--all"
  case .staged: "staged"
  case .updates(let u):
    u.map { "\($0.ref) \(String($0.oldID.prefix(12)))..\(String($0.newID.prefix(12)))" }
      .joined(separator: ", ")
  }
}
