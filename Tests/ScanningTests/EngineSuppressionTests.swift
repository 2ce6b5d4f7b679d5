// Engine tests: inline and next-line allow markers, agent-added markers, baselines, redaction,
// change rules and skipped files.

import GateCore
import Scanning
import Testing

@Suite struct EngineSuppressionTests {
  @Test(arguments: [
    "t = \(demoSecret) # agentgate:allow", "t = \(demoSecret) # pragma: allowlist secret",
    "t = \(demoSecret) // gitleaks:allow", "t = \(demoSecret) // betterleaks:allow",
  ])
  func sameLineMarkerSuppresses(_ line: String) throws {
    let scanner = try Scanner(rules: [demoRule])
    let r = scanner.scan(commitChange([added("a.py", [line])]), isAgent: false)
    #expect(r.findings.isEmpty)
    #expect(r.suppressed == 1)
  }

  @Test(arguments: ["# agentgate:allow-next-line", "# pragma: allowlist nextline secret"])
  func nextLineMarkerSuppressesTheNextAddedLineOnly(_ marker: String) throws {
    let scanner = try Scanner(rules: [demoRule])
    let file = added("a.py", [marker, "t = \(demoSecret)", "u = \(demoSecret)"])
    let r = scanner.scan(commitChange([file]), isAgent: false)
    #expect(r.findings.map(\.line) == [3])
    #expect(r.suppressed == 1)
  }

  @Test func nextLineMarkerDoesNotCoverItsOwnLineOrAGap() throws {
    let scanner = try Scanner(rules: [demoRule])
    // The marker's own line is not suppressed by the next-line form; a gap in line numbers (an
    // unchanged line between) means the finding is not on the next line.
    let file = FileDiff(
      path: "a.py",
      added: [
        (1, "t = \(demoSecret) # agentgate:allow-next-line"), (5, "# agentgate:allow-next-line"),
        (7, "u = \(demoSecret)"),
      ])
    let r = scanner.scan(commitChange([file]), isAgent: false)
    #expect(r.findings.map(\.line) == [1, 7])
    #expect(r.suppressed == 0)
  }

  @Test func markerAddedByAnAgentIsNotHonouredAndIsReported() throws {
    let scanner = try Scanner(rules: [demoRule])
    let file = added("a.py", ["x = 1", "t = \(demoSecret)  # agentgate:allow"])
    let r = scanner.scan(commitChange([file]), isAgent: true)
    #expect(r.findings.map(\.rule) == ["demo-token", "suppression-added-by-agent"])
    let report = r.findings[1]
    #expect(report.category == .risk && report.severity == .medium && report.line == 2 && report.column == 33)
    #expect(r.suppressed == 0)
    // A person's commit, or a policy that honours agents' markers: suppressed.
    #expect(scanner.scan(commitChange([file]), isAgent: false).findings.isEmpty)
    let lenient = try Scanner(rules: [demoRule], options: ScanOptions(honourAgentAllowMarkers: true))
    let l = lenient.scan(commitChange([file]), isAgent: true)
    #expect(l.findings.isEmpty && l.suppressed == 1)
  }

  @Test func agentNextLineMarkerIsReportedAtTheMarkerLine() throws {
    let scanner = try Scanner(
      rules: [demoRule], options: ScanOptions(severityOverrides: ["suppression-added-by-agent": .high]))
    let file = added("a.py", ["# pragma: allowlist nextline secret", "t = \(demoSecret)"], from: 4)
    let r = scanner.scan(commitChange([file]), isAgent: true)
    #expect(r.findings.map(\.rule) == ["demo-token", "suppression-added-by-agent"])
    #expect(r.findings[1].line == 4 && r.findings[1].severity == .high)
  }

  @Test func baselineSurvivesAnUnrelatedEditAndMove() throws {
    let scanner = try Scanner(rules: [demoRule])
    let first = scanner.scan(
      commitChange([added("conf/app.ini", ["[auth]", "token = \(demoSecret)"])]), isAgent: false)
    #expect(first.findings.count == 1)
    let baseline = try Baseline.load(json: Baseline(findings: first.findings).json())
    let withBaseline = try Scanner(rules: [demoRule], baseline: baseline)
    // The same secret, moved down by an unrelated edit and into another file: still accepted.
    let moved = commitChange([
      added("conf/app.ini", ["# a new comment", "[auth]", "", "token = \(demoSecret)"], from: 1),
      added("conf/other.ini", ["legacy = \(demoSecret)"], from: 40),
    ])
    let r = withBaseline.scan(moved, isAgent: false)
    #expect(r.findings.isEmpty)
    #expect(r.suppressed == 2)
    // A different secret on the very same line: reported.
    let other = "dmo_Zz9Yy8Xx7Ww6Vv5Uu4Tt"
    let d = withBaseline.scan(commitChange([added("conf/app.ini", ["[auth]", "token = \(other)"])]), isAgent: false)
    #expect(d.findings.count == 1 && d.suppressed == 0)
  }

  @Test func pathScopedBaseline() throws {
    let scanner = try Scanner(rules: [demoRule])
    let first = scanner.scanText("t = \(demoSecret)", path: "a.txt")
    let baseline = Baseline(findings: first.findings, scopeToPaths: true)
    #expect(baseline.json().contains("\"path\": \"a.txt\""))
    let scoped = try Scanner(rules: [demoRule], baseline: try Baseline.load(json: baseline.json()))
    #expect(scoped.scanText("x = \(demoSecret)", path: "a.txt").findings.isEmpty)
    #expect(scoped.scanText("x = \(demoSecret)", path: "b.txt").findings.count == 1)
  }

  @Test(arguments: [
    "{}", "{\"schema\": \"agentgate.baseline/2\", \"entries\": []}",
    "{\"schema\": \"agentgate.baseline/1\", \"entries\": [{\"fingerprint\": \"abc\"}]}", "not json",
  ])
  func invalidBaselinesAreErrors(_ text: String) {
    #expect(throws: ScanError.self) { try Baseline.load(json: text) }
  }

  @Test func findingsAreRedactedByDefaultWithAStableFingerprint() throws {
    let redacted = try Scanner(rules: [demoRule]).scanText("t = \(demoSecret)", path: "a").findings[0]
    #expect(redacted.match == "dmo_****(24 chars)")
    #expect(!redacted.match.contains(demoSecret) && !redacted.message.contains(demoSecret))
    let plain = try Scanner(rules: [demoRule], options: ScanOptions(redact: false)).scanText(
      "t = \(demoSecret)", path: "a"
    )
    .findings[0]
    #expect(plain.match == demoSecret)
    #expect(plain.fingerprint == redacted.fingerprint)
    #expect(redacted.fingerprint == secretFingerprint(rule: "demo-token", secret: demoSecret))
    let json = FindingsJSON.render([redacted], suppressed: 0)
    #expect(!json.contains(demoSecret))
  }

  struct DeletedTestsRule: ChangeRule {
    var id: String { "deleted-test-file" }
    var description: String { "a test file was deleted" }
    var severity: Severity { .medium }
    var positives: [ChangeExample] { [] }
    var negatives: [ChangeExample] { [] }
    func evaluate(_ change: CommitChange) -> [Finding] {
      change.files.filter { $0.status == .deleted && $0.path.hasPrefix("tests/") }.map {
        Finding(
          rule: id, category: .risk, severity: severity, commit: change.commit.id, path: $0.path,
          fingerprint: secretFingerprint(rule: id, secret: $0.path), match: $0.path, message: description)
      }
    }
  }

  @Test func changeRulesRunWithOverridesAndPolicyPaths() throws {
    let deleted = FileDiff(path: "tests/a_test.py", status: .deleted, added: [])
    let change = commitChange([deleted])
    let plain = try Scanner(rules: [demoRule], changeRules: [DeletedTestsRule()])
    #expect(plain.scan(change, isAgent: true).findings.map(\.rule) == ["deleted-test-file"])
    let overridden = try Scanner(
      rules: [], changeRules: [DeletedTestsRule()],
      options: ScanOptions(severityOverrides: ["deleted-test-file": .high]))
    #expect(overridden.scan(change, isAgent: true).findings.first?.severity == .high)
    let allowed = try Scanner(
      rules: [], changeRules: [DeletedTestsRule()], options: ScanOptions(allowlist: RuleAllowlist(paths: ["^tests/"])))
    let a = allowed.scan(change, isAgent: true)
    #expect(a.findings.isEmpty && a.suppressed == 1)
    let disabled = try Scanner(
      rules: [], changeRules: [DeletedTestsRule()], options: ScanOptions(disabledRules: ["deleted-test-file"]))
    #expect(disabled.scan(change, isAgent: true).findings.isEmpty)
    #expect(throws: ScanError.duplicateRuleID("deleted-test-file")) {
      try Scanner(rules: [], changeRules: [DeletedTestsRule(), DeletedTestsRule()])
    }
  }

  @Test(arguments: [SkipReason.binary, .tooLarge, .submodule])
  func skippedFilesAreReported(_ reason: SkipReason) throws {
    var file = FileDiff(path: "assets/blob", status: .added, added: [])
    file.skipped = reason
    let scanner = try Scanner(rules: [demoRule], options: ScanOptions(skippedSeverity: .medium))
    let r = scanner.scan(commitChange([file]), isAgent: false)
    #expect(r.findings.count == 1)
    #expect(r.findings[0].rule == "skipped-\(reason.rawValue)")
    #expect(r.findings[0].category == .skipped && r.findings[0].severity == .medium && r.findings[0].line == nil)
    #expect(r.fails(at: .medium))
    // A policy may turn a kind of skipped finding off.
    let quiet = try Scanner(rules: [demoRule], options: ScanOptions(disabledRules: ["skipped-\(reason.rawValue)"]))
    #expect(quiet.scan(commitChange([file]), isAgent: false).findings.isEmpty)
  }

  @Test func unreadableContentIsReported() throws {
    struct Broken: Error {}
    let file = FileDiff(path: "x.txt", status: .modified, changes: LazyLineChanges { throw Broken() })
    let r = try Scanner(rules: [demoRule]).scan(commitChange([file]), isAgent: false)
    #expect(r.findings.map(\.rule) == ["skipped-unreadable"])
  }
}
