// `agentgate scan`: secrets and risky changes in what commits add, or in plain files.

import ArgumentParser
import Foundation
import Gate
import GateCore
import GitReading
import Policy
import Scanning

struct ScanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan", abstract: "Scan what commits add (or plain files) for secrets and risky changes.",
    discussion: """
      Exit 1 when a finding reaches the policy's fail_on level (default medium), else 0; 2 when it \
      cannot decide. Findings are redacted (first 4 characters and the length) unless --no-redact \
      is given with text output to a terminal.
      """)

  @OptionGroup var selection: CommitSelectionOptions
  @OptionGroup var policy: PolicyOptions
  @OptionGroup var output: OutputOptions

  @Option(
    name: .customLong("path"), help: ArgumentHelp("Scan plain files or directories (repeatable).", valueName: "P"))
  var paths: [String] = []

  func validate() throws {
    try output.validate(allowed: ["text", "json"])
    if !paths.isEmpty && selection.chosenCount > 0 {
      throw ValidationError("--path scans plain files; it cannot be combined with a commit selection")
    }
  }

  func run() async throws {
    let result: ScanResult
    let failOn: Severity
    if !paths.isEmpty {
      (result, failOn) = try scanPaths()
    } else {
      let context = try GateContext(
        entryPoint: .scan, repositoryPath: selection.repo, policy: policy, redact: !output.noRedact)
      let chosen = try selection.selection(readingStdin: CommitSelectionOptions.readStandardInput)
      var options = context.judgeOptions(quiet: output.quiet, replay: .off, rangeLabel: rangeLabel(chosen))
      options.replay = .off
      let verdict = try context.gate.judge(chosen, options: options)
      var merged = ScanResult()
      for c in verdict.commits {
        merged.findings += c.findings
        merged.suppressed += c.suppressed
      }
      result = merged
      failOn = context.resolved.policy.scanning.failOn
    }
    emit(result)
    if result.fails(at: failOn) { throw JudgedExit(code: 1) }
  }

  private func scanPaths() throws -> (ScanResult, Severity) {
    let env = Environment()
    let machine = try loadMachineConfig(configFile: policy.configFile, environment: env.values)
    var scanning = ScanningPolicy()
    if let file = policy.policyFile {
      let text: String
      do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
        throw GateError.unreadable(path: file, what: "policy", reason: error.localizedDescription)
      }
      scanning = try RepositoryPolicy.parse(text, source: file).scanning
    }
    let rules = try RuleSet.lineRules(extraFiles: machine.extraRulesFiles + policy.rulesFiles)
    let scanner = try Scanning.Scanner(
      rules: rules, changeRules: [], options: ScanOptions(scanning, redact: !output.noRedact))
    let result = try scanner.scan(paths: paths)
    return (result, scanning.failOn)
  }

  private func emit(_ result: ScanResult) {
    if output.format == "json" {
      Terminal.write(FindingsJSON.render(result.findings, suppressed: result.suppressed))
      return
    }
    for f in result.findings { Terminal.write(findingLine(f)) }
    let n = result.findings.count
    Terminal.write(
      "\(n) finding\(n == 1 ? "" : "s")\(result.suppressed > 0 ? ", \(result.suppressed) suppressed" : "")")
  }
}

/// One finding as a line for people.
func findingLine(_ f: Finding) -> String {
  let place = f.line.map { "\(f.path):\($0)" + (f.column.map { ":\($0)" } ?? "") } ?? f.path
  let commit = f.commit.map { " \(String($0.prefix(12)))" } ?? ""
  return "\(f.severity.rawValue.uppercased()) \(f.rule)\(commit) \(place) \(f.match)  \(f.message)"
}
