// Engine tests: the prefilter, lazy compilation, secret groups, entropy, allowlists, decoding,
// rule validation and the rules version.

import Foundation
import GateCore
import Scanning
import Testing

/// A demo token rule: `dmo_` and 20 alphanumerics.
let demoRule = PatternRule(
  id: "demo-token", description: "A demo token", keywords: ["dmo_"], pattern: #"\b(dmo_[A-Za-z0-9]{20})\b"#,
  secretGroup: 1, positives: ["key = dmo_abcdefghij0123456789"], negatives: ["key = dmo_short"])

let demoSecret = "dmo_Q7xK2pL9vR4tY8wZ3mN6"

/// A second rule with a different keyword.
let otherRule = PatternRule(
  id: "other-token", description: "Another token", keywords: ["oth-"], pattern: #"oth-[0-9a-f]{16}"#,
  positives: ["oth-0123456789abcdef"], negatives: ["oth-xyz"])

func commitChange(_ files: [FileDiff], id: String? = String(repeating: "c", count: 40)) -> CommitChange {
  let who = Signature(name: "Dev", email: "dev@example.com")
  return CommitChange(commit: CommitRecord(id: id, author: who, committer: who, message: "change"), files: files)
}

func added(_ path: String, _ lines: [String], from first: Int = 1) -> FileDiff {
  FileDiff(path: path, added: lines.enumerated().map { (first + $0.offset, $0.element) })
}

@Suite struct EnginePrefilterTests {
  @Test func ruleExamplesRunThroughTheHelper() throws {
    #expect(try ruleExampleFindings(demoRule, demoRule.positives[0]).count == 1)
    #expect(try ruleExampleFindings(demoRule, demoRule.negatives[0]).isEmpty)
    #expect(try ruleExampleFindings(otherRule, otherRule.positives[0]).map(\.rule) == ["other-token"])
  }

  @Test(arguments: ["token = \(demoSecret)", "TOKEN = DMO_Q7XK2PL9VR4TY8WZ3MN6"])
  func keywordTriggersItsRuleOnly(_ line: String) throws {
    let scanner = try Scanner(rules: [demoRule, otherRule])
    _ = scanner.scanText(line, path: "a.txt")
    #expect(scanner.regexRunCount(rule: "demo-token") == 1)
    #expect(scanner.regexRunCount(rule: "other-token") == 0)
  }

  @Test func noKeywordNoRegex() throws {
    let scanner = try Scanner(rules: [demoRule, otherRule])
    let r = scanner.scanText("nothing to see here\nplain words only", path: "a.txt")
    #expect(r.findings.isEmpty)
    #expect(scanner.regexRunCount(rule: "demo-token") == 0)
    #expect(scanner.regexRunCount(rule: "other-token") == 0)
    #expect(r.bytesScanned == 36)
  }

  @Test func ruleWithoutKeywordsAlwaysRuns() throws {
    let always = PatternRule(
      id: "always-rule", description: "no keywords", keywords: [], pattern: "zzz[0-9]+", positives: [], negatives: [])
    let scanner = try Scanner(rules: [demoRule, always])
    let r = scanner.scanText("x = zzz42", path: "a.txt")
    #expect(r.findings.map(\.rule) == ["always-rule"])
    #expect(scanner.regexRunCount(rule: "always-rule") == 1)
    #expect(scanner.regexRunCount(rule: "demo-token") == 0)
  }

  @Test func keywordsAcrossManyRulesAndOverlaps() throws {
    // Overlapping keywords ("key", "apikey", "ke") must each trigger their own rule.
    let words = ["key", "apikey", "ke", "secret", "ecr", "pass"]
    let rules = words.enumerated().map { i, w in
      PatternRule(
        id: "kw-\(i)", description: w, keywords: [w], pattern: "(?i)\(w)=[0-9]+", positives: [], negatives: [])
    }
    let scanner = try Scanner(rules: rules)
    let r = scanner.scanText("APIKEY=1\nsecret=2", path: "a.txt")
    for (i, w) in words.enumerated() {
      let expected = w == "pass" ? 0 : 1
      #expect(scanner.regexRunCount(rule: "kw-\(i)") == expected, "keyword \(w)")
    }
    #expect(Set(r.findings.map(\.rule)) == ["kw-0", "kw-1", "kw-3"])
  }

  @Test func patternsCompileLazily() throws {
    let scanner = try Scanner(rules: [demoRule, otherRule])
    #expect(scanner.compiledRuleIDs.isEmpty)
    _ = scanner.scanText("x = \(demoSecret)", path: "a.txt")
    #expect(scanner.compiledRuleIDs == ["demo-token"])
    _ = scanner.scanText("y = oth-0123456789abcdef", path: "a.txt")
    #expect(scanner.compiledRuleIDs == ["demo-token", "other-token"])
  }

  @Test func oneRegexPassPerBlockMapsLinesAndColumns() throws {
    let scanner = try Scanner(rules: [demoRule])
    let file = added("src/app.py", ["a = 1", "  tok = \"\(demoSecret)\"", "b = 2", "c = \(demoSecret)"], from: 10)
    let r = scanner.scan(commitChange([file]), isAgent: false)
    #expect(scanner.regexRunCount(rule: "demo-token") == 1)
    #expect(r.findings.map(\.line) == [11, 13])
    #expect(r.findings.map(\.column) == [10, 5])
    #expect(r.findings.allSatisfy { $0.commit == String(repeating: "c", count: 40) && $0.path == "src/app.py" })
  }
}

@Suite struct EngineMatchTests {
  @Test func entropyValues() {
    #expect(shannonEntropy(Array("aaaaaaaa".utf8)) == 0)
    #expect(abs(shannonEntropy(Array("abcd".utf8)) - 2) < 1e-9)
    #expect(abs(shannonEntropy(Array("0123456789abcdef".utf8)) - 4) < 1e-9)
  }

  @Test func entropyThresholdDropsLowEntropySecrets() throws {
    var rule = demoRule
    rule.entropy = 3.5
    let scanner = try Scanner(rules: [rule])
    #expect(scanner.scanText("t = dmo_aaaaaaaaaaaaaaaaaaaa", path: "a").findings.isEmpty)
    #expect(scanner.scanText("t = \(demoSecret)", path: "a").findings.count == 1)
  }

  @Test func firstParticipatingGroupWhenUnset() throws {
    let rule = PatternRule(
      id: "two-ways", description: "d", keywords: ["tk"], pattern: #"tk1=([a-z]{8})|tk2=([0-9]{8})"#,
      secretGroup: -1, positives: [], negatives: [])
    let scanner = try Scanner(rules: [rule], options: ScanOptions(redact: false))
    let r = scanner.scanText("tk1=abcdefgh tk2=12345678", path: "a")
    #expect(r.findings.map(\.match) == ["abcdefgh", "12345678"])
    #expect(r.findings.map(\.column) == [5, 18])
  }

  @Test func ruleAllowlistRegexStopwordAndPath() throws {
    var rule = demoRule
    rule.allowlist = RuleAllowlist(regexes: ["EXAMPLE"], stopwords: ["dummy"], paths: [#"(^|/)fixtures/"#])
    let scanner = try Scanner(rules: [rule])
    #expect(scanner.scanText("t = dmo_EXAMPLEabcdefghijklm", path: "a").findings.isEmpty)
    #expect(scanner.scanText("t = dmo_abcDUMMYefghijklmnop", path: "a").findings.isEmpty)
    #expect(scanner.scanText("t = \(demoSecret)", path: "tests/fixtures/t.txt").findings.isEmpty)
    #expect(scanner.scanText("t = \(demoSecret)", path: "src/t.txt").findings.count == 1)
    // Rule allowlists are part of the rule, not suppressions.
    #expect(scanner.scanText("t = dmo_EXAMPLEabcdefghijklm", path: "a").suppressed == 0)
  }

  @Test func allowlistTargetsAndConditions() throws {
    var rule = demoRule
    rule.allowlist = RuleAllowlist(regexes: ["^#"], regexTarget: .line)
    rule.extraAllowlists = [RuleAllowlist(stopwords: ["zz"], paths: ["\\.md$"], requiresAll: true)]
    let scanner = try Scanner(rules: [rule])
    #expect(scanner.scanText("# t = \(demoSecret)", path: "a").findings.isEmpty)
    #expect(scanner.scanText("t = \(demoSecret)", path: "a").findings.count == 1)
    // AND: the stopword alone or the path alone does not allow.
    #expect(scanner.scanText("t = dmo_zzabcdefghijklmnopqr", path: "a").findings.count == 1)
    #expect(scanner.scanText("t = \(demoSecret)", path: "a.md").findings.count == 1)
    #expect(scanner.scanText("t = dmo_zzabcdefghijklmnopqr", path: "a.md").findings.isEmpty)
  }

  @Test func policyAllowlistSuppressesAndCounts() throws {
    let options = ScanOptions(allowlist: RuleAllowlist(regexes: ["^dmo_Q7"], paths: ["^vendor/"]))
    let scanner = try Scanner(rules: [demoRule], options: options)
    let a = scanner.scanText("t = \(demoSecret)", path: "src/a")
    #expect(a.findings.isEmpty && a.suppressed == 1)
    let b = scanner.scanText("t = dmo_abcdefghij0123456789", path: "vendor/x")
    #expect(b.findings.isEmpty && b.suppressed == 1)
    let c = scanner.scanText("t = dmo_abcdefghij0123456789", path: "src/x")
    #expect(c.findings.count == 1 && c.suppressed == 0)
  }

  @Test func pathFiltersLimitARule() throws {
    var rule = demoRule
    rule.paths = [#"\.env$"#]
    let scanner = try Scanner(rules: [rule])
    #expect(scanner.scanText("T=\(demoSecret)", path: "app/.env").findings.count == 1)
    #expect(scanner.scanText("T=\(demoSecret)", path: "app/env.txt").findings.isEmpty)
    #expect(scanner.regexRunCount(rule: "demo-token") == 1)
  }

  @Test func pathOnlyRuleReportsTheFile() throws {
    let rule = PatternRule(
      id: "pkcs12-file", description: "A PKCS#12 key store", keywords: [], pattern: "", paths: [#"\.p12$"#],
      positives: [], negatives: [])
    let scanner = try Scanner(rules: [rule])
    var skipped = FileDiff(path: "certs/key.p12", status: .added, added: [])
    skipped.skipped = .binary
    let r = scanner.scan(commitChange([skipped, added("a.txt", ["x"])]), isAgent: false)
    #expect(r.findings.map(\.rule).sorted() == ["pkcs12-file", "skipped-binary"])
  }

  @Test func removedSideRulesReadRemovedLines() throws {
    let rule = PatternRule(
      id: "removed-guard", category: .risk, description: "a guard line was removed", keywords: ["assert"],
      pattern: #"assert\s+\w+"#, side: .removed, positives: [], negatives: [])
    let scanner = try Scanner(rules: [rule, demoRule])
    let file = FileDiff(path: "a.py", added: [(1, "assert ok")], removed: [(3, "assert invariant")])
    let r = scanner.scan(commitChange([file]), isAgent: false)
    #expect(r.findings.map(\.rule) == ["removed-guard"])
    #expect(r.findings.first?.line == 3 && r.findings.first?.category == .risk)
  }

  @Test func severityOverridesAndDisabledRules() throws {
    let options = ScanOptions(disabledRules: ["other-token"], severityOverrides: ["demo-token": .critical])
    let scanner = try Scanner(rules: [demoRule, otherRule], options: options)
    let r = scanner.scanText("\(demoSecret) oth-0123456789abcdef", path: "a")
    #expect(r.findings.map(\.rule) == ["demo-token"])
    #expect(r.findings.first?.severity == .critical)
    #expect(r.fails(at: .critical) && ScanOptions().failOn == .medium)
  }
}

@Suite struct EngineDecodingTests {
  static func base64(_ s: String, url: Bool = false) -> String {
    let table = Array(
      (url
        ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/").utf8)
    let b = Array(s.utf8)
    var out: [UInt8] = []
    var i = 0
    while i < b.count {
      let n = min(3, b.count - i)
      let chunk = UInt32(b[i]) << 16 | (n > 1 ? UInt32(b[i + 1]) << 8 : 0) | (n > 2 ? UInt32(b[i + 2]) : 0)
      for k in 0..<4 {
        if k <= n { out.append(table[Int((chunk >> UInt32(18 - 6 * k)) & 63)]) } else { out.append(UInt8(ascii: "=")) }
      }
      i += 3
    }
    return String(decoding: out, as: UTF8.self)
  }

  static func hex(_ s: String) -> String { s.utf8.map { String(format: "%02x", $0) }.joined() }
  static func percent(_ s: String) -> String { s.utf8.map { String(format: "%%%02X", $0) }.joined() }

  @Test(arguments: ["base64", "base64url", "hex", "percent"])
  func encodedTokenIsFoundAtTheOriginalLine(_ kind: String) throws {
    let inner = "auth: \(demoSecret)??>"
    let encoded: String
    switch kind {
    case "base64": encoded = Self.base64(inner)
    case "base64url": encoded = Self.base64(inner, url: true)
    case "hex": encoded = Self.hex(inner)
    default: encoded = Self.percent(inner)
    }
    let scanner = try Scanner(rules: [demoRule])
    let r = scanner.scanText("line one\n  blob: \(encoded)\nline three", path: "cfg.yaml")
    #expect(r.findings.count == 1, "\(kind): \(encoded)")
    #expect(r.findings.first?.line == 2)
    #expect(r.findings.first?.column == 9)
    #expect(r.findings.first?.fingerprint == secretFingerprint(rule: "demo-token", secret: demoSecret))
    #expect(r.findings.first?.message.contains("encoded") == true)
  }

  @Test func decodingDepthIsBounded() throws {
    let thrice = Self.base64(Self.base64(Self.base64("x=\(demoSecret)")))
    let twice = Self.base64(Self.base64("x=\(demoSecret)"))
    let two = try Scanner(rules: [demoRule], options: ScanOptions(maxDecodeDepth: 2))
    #expect(two.scanText("v: \(twice)", path: "a").findings.count == 1)
    #expect(two.scanText("v: \(thrice)", path: "a").findings.isEmpty)
    let three = try Scanner(rules: [demoRule], options: ScanOptions(maxDecodeDepth: 3))
    #expect(three.scanText("v: \(thrice)", path: "a").findings.count == 1)
    let none = try Scanner(rules: [demoRule], options: ScanOptions(maxDecodeDepth: 0))
    #expect(none.scanText("v: \(Self.base64(demoSecret))", path: "a").findings.isEmpty)
  }

  @Test func binaryLookingRunsAreNotRescanned() throws {
    // A git object id and a long identifier decode to non-text and produce nothing.
    let scanner = try Scanner(rules: [demoRule])
    let r = scanner.scanText(
      "commit 9f2c1e8a7b6d5c4e3f2a1b0c9d8e7f6a5b4c3d2e\nlet aVeryLongIdentifierNameForTesting = 1", path: "a")
    #expect(r.findings.isEmpty)
  }
}

@Suite struct EngineValidationTests {
  static let bad: [(PatternRule, String)] = [
    (
      PatternRule(id: "Bad_ID", description: "d", keywords: [], pattern: "x", positives: [], negatives: []),
      "rule id 'Bad_ID' is not kebab-case"
    ),
    (
      PatternRule(
        id: "broken-pattern", description: "d", keywords: [], pattern: "(unclosed", positives: [], negatives: []),
      "rule 'broken-pattern': its pattern /(unclosed/ does not compile"
    ),
    (
      PatternRule(
        id: "no-such-group", description: "d", keywords: [], pattern: "(a)", secretGroup: 2, positives: [],
        negatives: []),
      "rule 'no-such-group': secret group 2 does not exist"
    ),
    (
      PatternRule(id: "empty-rule", description: "d", keywords: [], pattern: "", positives: [], negatives: []),
      "rule 'empty-rule' has neither a pattern nor path filters"
    ),
    (
      PatternRule(
        id: "bad-allow", description: "d", keywords: [], pattern: "a", allowlist: RuleAllowlist(regexes: ["[z"]),
        positives: [], negatives: []),
      "rule 'bad-allow': its allowlist regex /[z/ does not compile"
    ),
    (
      PatternRule(
        id: "bad-path", description: "d", keywords: [], pattern: "a", paths: ["*.txt"], positives: [], negatives: []),
      "rule 'bad-path': its path filter /*.txt/ does not compile"
    ),
    (
      PatternRule(
        id: "bad-entropy", description: "d", keywords: [], pattern: "a", entropy: 9, positives: [], negatives: []),
      "rule 'bad-entropy': minimum entropy 9.0 is outside"
    ),
  ]

  @Test(arguments: 0..<bad.count)
  func invalidRuleErrorNamesTheRule(_ i: Int) {
    let (rule, text) = Self.bad[i]
    do {
      _ = try Scanner(rules: [demoRule, rule])
      Issue.record("rule \(rule.id) was accepted")
    } catch {
      #expect(error.description.contains(text), "\(error.description)")
    }
  }

  @Test func duplicateIDsAreRejected() {
    #expect(throws: ScanError.duplicateRuleID("demo-token")) { try Scanner(rules: [demoRule, demoRule]) }
  }

  @Test func rulesVersionFollowsRulesNotOrder() throws {
    let a = try Scanner(rules: [demoRule, otherRule]).scannerRulesVersion
    let b = try Scanner(rules: [otherRule, demoRule]).scannerRulesVersion
    var changed = otherRule
    changed.pattern = #"oth-[0-9a-f]{17}"#
    let c = try Scanner(rules: [demoRule, changed]).scannerRulesVersion
    #expect(a == b && a != c && a.count == 64)
  }
}
