// The risk rule set: every example of every line and change rule in one parameterized test, the
// registry's shape, and the helpers the change rules are built on.

import GateCore
import Testing

@testable import Scanning

/// One example of one risk rule, line or change.
struct RiskExampleCase: Sendable, CustomTestStringConvertible {
  enum Kind: Sendable {
    case line(PatternRule, RuleExample)
    case change(any ChangeRule, ChangeExample)
  }

  var kind: Kind
  var positive: Bool

  var ruleID: String {
    switch kind {
    case .line(let rule, _): rule.id
    case .change(let rule, _): rule.id
    }
  }

  var testDescription: String {
    let sign = positive ? "+" : "-"
    switch kind {
    case .line(let rule, let example):
      return "\(rule.id) \(sign) \(example.path ?? "example.txt"): \(example.text.prefix(60))"
    case .change(let rule, let example):
      return "\(rule.id) \(sign) \(example.name)"
    }
  }

  static var all: [RiskExampleCase] {
    let lines = RiskRules.lineRules.flatMap { rule in
      rule.positives.map { RiskExampleCase(kind: .line(rule, $0), positive: true) }
        + rule.negatives.map { RiskExampleCase(kind: .line(rule, $0), positive: false) }
    }
    let changes = RiskRules.changeRules.flatMap { rule in
      rule.positives.map { RiskExampleCase(kind: .change(rule, $0), positive: true) }
        + rule.negatives.map { RiskExampleCase(kind: .change(rule, $0), positive: false) }
    }
    return lines + changes
  }
}

@Suite struct RiskRulesTests {
  @Test(arguments: RiskExampleCase.all)
  func example(_ c: RiskExampleCase) throws {
    let findings: [Finding]
    switch c.kind {
    case .line(let rule, let example):
      findings = try ruleExampleFindings(rule, example)
      if c.positive {
        // The rules run over a whole block of added lines: a positive must still match between others.
        let embedded = RuleExample("first = 1\n\(example.text)\nlast = 2", path: example.path)
        let inBlock = try ruleExampleFindings(rule, embedded)
        #expect(inBlock.contains { $0.rule == rule.id && $0.line == 2 }, "not found mid-block: \(c.testDescription)")
      }
    case .change(let rule, let example):
      findings = rule.evaluate(example.change)
      for f in findings {
        #expect(f.rule == rule.id)
        #expect(f.category == .risk)
        #expect(f.commit == example.change.commit.id)
        #expect(!f.message.isEmpty)
        #expect(f.fingerprint.count == 64)
      }
    }
    if c.positive {
      #expect(findings.contains { $0.rule == c.ruleID }, "expected a finding: \(c.testDescription)")
    } else {
      #expect(findings.isEmpty, "expected no finding: \(c.testDescription) -> \(findings.map(\.match))")
    }
  }

  @Test func registriesAreSortedUniqueAndWellFormed() {
    let lineIDs = RiskRules.lineRules.map(\.id)
    let changeIDs = RiskRules.changeRules.map(\.id)
    #expect(lineIDs == lineIDs.sorted())
    #expect(changeIDs == changeIDs.sorted())
    let all = lineIDs + changeIDs
    #expect(Set(all).count == all.count, "duplicate ids")
    for id in all { #expect(isKebabCase(id), "\(id) is not kebab-case") }
    for rule in RiskRules.lineRules {
      #expect(rule.category == .risk, "\(rule.id)")
      #expect(rule.side == .added, "\(rule.id)")
      #expect(!rule.positives.isEmpty && !rule.negatives.isEmpty, "\(rule.id) needs both kinds of examples")
      // Every line rule is gated by the keyword prefilter (performance budget).
      #expect(!rule.keywords.isEmpty, "\(rule.id) has no keywords")
      #expect(rule.message != rule.description, "\(rule.id) needs a message for reviewers")
      #expect(rule.metadata.family == .risk)
    }
    for rule in RiskRules.changeRules {
      #expect(!rule.positives.isEmpty && !rule.negatives.isEmpty, "\(rule.id) needs both kinds of examples")
      #expect(rule.metadata.family == .risk)
    }
  }

  @Test func everyConcernIsCovered() {
    let ids = Set(RiskRules.lineRules.map(\.id) + RiskRules.changeRules.map(\.id))
    for prefix in ["ci-", "guard-", "test-", "supply-chain-", "security-", "persistence-", "hidden-", "hygiene-"] {
      #expect(ids.contains { $0.hasPrefix(prefix) }, "no rule for \(prefix)")
    }
  }

  @Test func theWholeRuleSetLoadsIntoOneScanner() throws {
    let scanner = try Scanner(rules: RiskRules.lineRules, changeRules: RiskRules.changeRules)
    #expect(scanner.ruleCount == RiskRules.lineRules.count + RiskRules.changeRules.count)
  }

  @Test(arguments: [
    ("a/link", "../b", SymlinkEscape.Verdict.inside),
    ("a/link", "../../b", .escapes),
    ("link", "..", .escapes),
    ("a/b/link", "../../c", .inside),
    ("a/link", "/etc/passwd", .absolute),
    ("a/link", "~/x", .absolute),
    ("a/link", "D:\\x", .absolute),
    ("a/link", "../.git/config", .gitDirectory),
    ("a/link", "./../../../x", .escapes),
    ("a/link", "b/../../c", .inside),
  ])
  func symlinkResolution(path: String, target: String, expected: SymlinkEscape.Verdict) {
    #expect(SymlinkEscape.resolve(path: path, target: target) == expected)
  }

  @Test(arguments: [
    ("Tests/AppTests/LoginTests.swift", true), ("tests/test_api.py", true), ("src/api.test.ts", true),
    ("pkg/api_test.go", true), ("spec/models/user_spec.rb", true), ("src/test/java/a/UserTest.java", true),
    ("Tests/AppTests/Fixtures/input.swift", false), ("src/api.ts", false), ("tests/data.json", false),
    ("docs/testing.md", false), ("pkg/testdata/x.go", false),
  ])
  func testSourceClassification(path: String, expected: Bool) {
    #expect(RiskPath.isTestSource(path) == expected)
  }

  @Test(arguments: [
    (".env", true), ("config/.env.production", true), ("prod.env", true), (".env.example", false),
    (".env.local.sample", false), ("env.ts", false), (".envrc", false),
  ])
  func envFileClassification(path: String, expected: Bool) {
    #expect(RiskRules.isEnvFile(path) == expected)
  }

  @Test func coverageThresholdParsing() {
    let t = CoverageThresholdLowered.thresholds("addopts = --cov-fail-under=85 -q", nested: false)
    #expect(t.map(\.key) == ["cov-fail-under", "fail-under"])
    #expect(t.map(\.value) == [85, 85])
    #expect(CoverageThresholdLowered.thresholds("lines: 80,", nested: false).isEmpty)
    #expect(CoverageThresholdLowered.thresholds("      lines: 80,", nested: true).map(\.value) == [80])
  }

  @Test func tautologyDetection() {
    for t in ["assert True", "    XCTAssertTrue(true)", "expect(true).toBe(true);", "assert 1 == 1", "#expect(true)"] {
      #expect(TautologicalAssertion.isTautology(t), "\(t)")
    }
    for t in ["assertTrue(result)", "assert ok", "XCTAssertTrue(trueValue)", "expect(x).toBe(true)", "assert True_"] {
      #expect(!TautologicalAssertion.isTautology(t), "\(t)")
    }
  }

  @Test func pathHelpersWithoutSplitting() {
    #expect(RiskPath.isUnder(".github/workflows/ci.yml", ".github/workflows"))
    #expect(RiskPath.isUnder(".github/workflows/ci.yml", ".github/workflows/"))
    #expect(!RiskPath.isUnder(".github/workflows", ".github/workflows"))
    #expect(!RiskPath.isUnder(".github/workflows-old/ci.yml", ".github/workflows"))
    #expect(!RiskPath.isUnder("src/.github/workflows/ci.yml", ".github/workflows"))
    #expect(RiskPath.basename("a/b/c.txt") == "c.txt")
    #expect(RiskPath.basename("c.txt") == "c.txt")
    #expect(RiskPath.basename("a/b/") == "b")
  }

  @Test func anyNeedleIsFoundCaseInsensitivelyInOnePass() {
    let needles = ["assert", "expect", "cov"].map { Array($0.utf8) }
    #expect(RiskPath.containsAnyASCII(Array("  XCTAssertTrue(x)".utf8), needles))
    #expect(RiskPath.containsAnyASCII(Array("min_COVERAGE = 80".utf8), needles))
    #expect(RiskPath.containsAnyASCII(Array("expec\nexpect".utf8), needles))
    #expect(!RiskPath.containsAnyASCII(Array("expec assrt co".utf8), needles))
    #expect(!RiskPath.containsAnyASCII([], needles))
  }
}
