// Sample verdicts, a virtual clock, and helpers shared by the Reporting tests.

import Foundation
import GateCore
import Reporting
import TestSupport

/// A clock whose sleeps advance virtual time and are recorded; no test waits for real.
final class VirtualClock: RetryClock, @unchecked Sendable {
  private let lock = NSLock()
  private var time: Double
  private var slept: [Double] = []

  init(start: Double = 1_900_000_000) { time = start }

  func now() -> Double { lock.withLock { time } }
  func sleep(seconds: Double) {
    lock.withLock {
      slept.append(seconds)
      time += seconds
    }
  }
  var sleeps: [Double] { lock.withLock { slept } }
}

enum Sample {
  static let head = "c0ffee0000000000000000000000000000000003"
  static let middle = "c0ffee0000000000000000000000000000000002"
  static let base = "c0ffee0000000000000000000000000000000001"

  static func commit(_ id: String?, parent: String?, subject: String, author: String = "Dev") -> CommitRecord {
    let sig = Signature(name: author, email: "\(author.lowercased())@example.com", time: 1_767_225_600)
    return CommitRecord(
      id: id, parents: parent.map { [$0] } ?? [], author: sig, committer: sig, message: subject + "\n\nbody\n")
  }

  static func finding(
    _ rule: String, _ severity: Severity, path: String = "src/app.swift", line: Int? = 12, column: Int? = 5,
    commit: String? = head, category: FindingCategory = .secret, message: String = "An AWS access key"
  ) -> Finding {
    Finding(
      rule: rule, category: category, severity: severity, commit: commit, path: path, line: line, column: column,
      fingerprint: "fp-\(rule)-\(path)-\(line ?? 0)", match: "AKIA****(20 chars)", message: message)
  }

  /// Three commits oldest to newest: a clean human one, a warned agent one, a failed agent one
  /// with a secret and a failed replay.
  static func verdict(shard: String? = nil) -> Verdict {
    let human = CommitVerdict(
      commit: commit(base, parent: nil, subject: "Add README"), attribution: .none, findings: [],
      replay: ReplayOutcome(status: .skipped, reason: "replay is off for human commits"), decision: .pass, reasons: [])
    let warned = CommitVerdict(
      commit: commit(middle, parent: base, subject: "Tweak CI, with \"quotes\" & <angles>"),
      attribution: Attribution(
        agent: "claude-code", confidence: .high,
        evidence: [
          Evidence(source: .trailer, marker: "Co-Authored-By: Claude", agent: "claude-code", confidence: .high)
        ]),
      findings: [
        finding(
          "ci-config-change", .medium, path: ".github/workflows/ci.yml", line: 3, column: nil, commit: middle,
          category: .risk, message: "The CI configuration changed")
      ],
      replay: ReplayOutcome(
        status: .passed, backend: "bwrap",
        steps: [
          ReplayStep(
            kind: .build, command: "swift build", origin: "detected:Package.swift", exitStatus: 0,
            durationSeconds: 3.25,
            peakMemoryBytes: 200 << 20, outputTail: "Build complete!", outputBytes: 15)
        ]), decision: .warn, reasons: ["risk ci-config-change (medium) warns"])
    let failed = CommitVerdict(
      commit: commit(head, parent: middle, subject: "Add deploy script"),
      attribution: Attribution(
        agent: "codex", confidence: .medium,
        evidence: [Evidence(source: .env, marker: "CODEX_SANDBOX", agent: "codex", confidence: .medium)]),
      findings: [
        finding("aws-access-key", .critical),
        finding(
          "private-key", .high, path: "deploy/id rsa%,:.pem", line: 1, column: 1,
          message: "A private key, line1\nline2\r, 100% bad: really"),
      ], suppressed: 2,
      replay: ReplayOutcome(
        status: .failed, backend: "bwrap",
        steps: [
          ReplayStep(
            kind: .build, command: "swift build", origin: "policy", exitStatus: 0, durationSeconds: 2.5),
          ReplayStep(
            kind: .test, command: "swift test", origin: "policy", exitStatus: 1, durationSeconds: 12.75,
            peakMemoryBytes: 512 << 20, limitHit: .memory, outputTail: "error: \u{1B}[31mFAILED\u{1B}[0m <&>\u{7}",
            outputBytes: 4096),
        ]), decision: .fail, reasons: ["secret aws-access-key (critical) fails", "replay failed: test exited 1"])
    let commits = [human, warned, failed]
    return Verdict(
      decision: .fail, commits: commits,
      policy: PolicyIdentity(source: ".agentgate.toml", commit: base, hash: "sha256:abc"),
      summary: Reports.summarize(commits, decision: .fail), range: "\(base)..\(head)", shard: shard)
  }

  /// A verdict with `n` findings in one commit (for caps).
  static func many(_ n: Int, severity: (Int) -> Severity = { _ in .high }) -> Verdict {
    let findings = (0..<n).map { i in
      finding("generic-api-key", severity(i), path: "src/file\(i).txt", line: i + 1, column: 1)
    }
    let c = CommitVerdict(
      commit: commit(head, parent: nil, subject: "Bulk"), attribution: .none, findings: findings,
      replay: ReplayOutcome(status: .skipped), decision: .fail, reasons: ["secrets"])
    return Verdict(
      decision: .fail, commits: [c], policy: PolicyIdentity(source: "builtin", hash: "h"), summary: "many")
  }
}

/// Runs python3 with a script; returns status and output.
func python(_ script: String, args: [String] = []) throws -> ProcessResult {
  try runProcess(["python3", "-c", script] + args, timeout: 60)
}

/// Validates `document` against the JSON Schema at `schemaPath` with python3 jsonschema.
func validateJSON(_ document: String, schemaPath: String) throws -> ProcessResult {
  let dir = TempDir()
  try dir.write("doc.json", document)
  let script = """
    import json, sys, jsonschema
    schema = json.load(open(sys.argv[1]))
    doc = json.load(open(sys.argv[2]))
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:20]:
        print("/".join(map(str, e.path)), e.message)
    sys.exit(1 if errors else 0)
    """
  return try python(script, args: [schemaPath, dir.file("doc.json")])
}

/// The repository root (for schemas/).
let repositoryRoot: String = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  return url.path
}()
