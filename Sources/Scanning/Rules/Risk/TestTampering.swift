// Test tampering: deleted tests, skipped tests, assertions replaced by tautologies, lowered
// coverage thresholds and linters switched off for whole files: ways to make a check pass without
// making the code right.

import GateCore

extension RiskRules {
  static var testChangeRules: [any ChangeRule] {
    [TestFileDeleted(), TautologicalAssertion(), CoverageThresholdLowered(), ManyTypeIgnores()]
  }

  static var testLineRules: [PatternRule] {
    [
      PatternRule(
        id: "test-lint-disabled-file-wide", category: .risk,
        description: "A linter or type checker is switched off for a whole file.",
        severity: .medium,
        keywords: [
          "eslint-disable", "swiftlint:disable", "flake8:", "flake8=", "ruff:", "pylint:", "mypy:", "type: ignore",
          "ts-nocheck", "#![allow(", "nolint", "rubocop:disable", "stylelint-disable", "deno-lint-ignore-file",
          "biome-ignore-all",
        ],
        pattern:
          #"(?m)^\h*/\*\h*eslint-disable\h*\*/|^\h*//\h*eslint-disable\h*$|^\h*/\*\h*stylelint-disable\h*\*/|\bswiftlint:disable\h+all\b|^\h*#\h*(?:flake8|ruff)\h*:\h*noqa\b|^\h*#\h*pylint:\h*(?:skip-file|disable\h*=\h*all)\b|^\h*#\h*mypy:\h*ignore-errors\b|^\h*#\h*type:\h*ignore\h*$|^\h*//\h*@ts-nocheck\b|^\h*#!\[allow\((?:clippy::all|warnings)\)\]|^\h*package\h+\w+\h*//\h*nolint\b|^\h*//\h*nolint:all\b|#\h*rubocop:disable\h+all\b|^\h*//\h*deno-lint-ignore-file\h*$|^\h*//\h*biome-ignore-all\b"#,
        message:
          "a linter or type checker is turned off for the whole file, hiding every current and future "
          + "warning in it: disable single rules on single lines, with a reason",
        positives: [
          RuleExample("/* eslint-disable */", path: "src/app.js"),
          RuleExample("// swiftlint:disable all", path: "Sources/App/App.swift"),
          RuleExample("# flake8: noqa", path: "app/models.py"),
          RuleExample("# ruff: noqa", path: "app/models.py"),
          RuleExample("// @ts-nocheck", path: "src/index.ts"),
          RuleExample("#![allow(clippy::all)]", path: "src/lib.rs"),
          RuleExample("package server //nolint", path: "server/server.go"),
          RuleExample("# type: ignore", path: "app/legacy.py"),
          RuleExample("# pylint: skip-file", path: "app/legacy.py"),
        ],
        negatives: [
          RuleExample("// eslint-disable-next-line no-console", path: "src/app.js"),
          RuleExample("/* eslint-disable no-console */", path: "src/app.js"),
          RuleExample("// swiftlint:disable:next force_cast", path: "Sources/App/App.swift"),
          RuleExample("import os  # noqa: F401", path: "app/__init__.py"),
          RuleExample("x = f()  # type: ignore[attr-defined]", path: "app/x.py"),
        ]),
      PatternRule(
        id: "test-skip-marker", category: .risk,
        description: "A test is skipped or disabled.",
        severity: .medium,
        keywords: [
          "xctskip", ".disabled", "@disabled", "@ignore", "[ignore]", "skip =", "skip=", "mark.skip", "pytest.skip",
          "unittest.skip", "skiptest(", ".skip(", ".skip (", "xit(", "xit (", "xtest", "xdescribe", "xcontext",
          "xspecify", "t.skip", "#[ignore", "pending(", "pending (",
        ],
        pattern:
          #"(?m)\bXCTSkip(?:If|Unless)?\b|@(?:Test|Suite)\b[^\n]*\.disabled\b|@Disabled\b|@Ignore\b|\[Ignore\]|\bSkip\h*=\h*"|@pytest\.mark\.skip\b|\bpytest\.skip\(|@unittest\.skip\b|\bself\.skipTest\(|\b(?:it|test|describe|context|suite|specify)\.skip\h*\(|(?<![\w.$])(?:xit|xtest|xdescribe|xcontext|xspecify)\h*\(|\bt\.Skip(?:f|Now)?\(|#\[ignore\b|(?<![\w.$])pending\h*\(\h*(?:["'`)]|$)"#,
        message:
          "the commit skips or disables a test, so a failure it would catch goes unreported: check the reason "
          + "and that the test is fixed rather than silenced",
        positives: [
          RuleExample("    throw XCTSkip(\"flaky\")", path: "Tests/AppTests/AppTests.swift"),
          RuleExample("  @Test(.disabled(\"flaky on CI\")) func login() {}", path: "Tests/AppTests/LoginTests.swift"),
          RuleExample("    @Disabled", path: "src/test/java/AppTest.java"),
          RuleExample("@pytest.mark.skip(reason=\"later\")", path: "tests/test_app.py"),
          RuleExample("it.skip('logs in', () => {})", path: "src/login.test.js"),
          RuleExample("xit('logs in', () => {})", path: "spec/login.spec.js"),
          RuleExample("describe.skip('auth', () => {})", path: "src/auth.test.ts"),
          RuleExample("test.skip('auth', () => {})", path: "src/auth.test.ts"),
          RuleExample("\tt.Skip(\"flaky\")", path: "auth/auth_test.go"),
          RuleExample("#[ignore]", path: "src/lib.rs"),
          RuleExample("  @Ignore", path: "src/test/java/AppTest.java"),
          RuleExample("    pending('not ready')", path: "spec/app.spec.js"),
        ],
        negatives: [
          RuleExample("// skip the header line", path: "src/parse.js"),
          RuleExample("We skip empty lines when parsing.", path: "README.md"),
          RuleExample("let disabled = true", path: "Sources/App/Toggle.swift"),
          RuleExample("    button.disabled = isPending(order)", path: "src/ui.js"),
          RuleExample("  lines.skip(1)", path: "src/parse.rs"),
          RuleExample("@pytest.mark.skipif(sys.platform == \"win32\", reason=\"posix only\")", path: "tests/test_x.py"),
        ]),
    ]
  }
}

/// A test source file deleted (not moved: a file with the same name added in the same commit
/// counts as a move).
struct TestFileDeleted: ChangeRule {
  let id = "test-file-deleted"
  let description = "A test file was deleted."
  let severity = Severity.medium

  func evaluate(_ change: CommitChange) -> [Finding] {
    guard change.files.contains(where: { $0.status == .deleted }) else { return [] }
    let addedNames = Set(change.files.filter { $0.status == .added }.map { RiskPath.basename($0.path) })
    return change.files.compactMap { file in
      guard file.status == .deleted, RiskPath.isTestSource(file.path) else { return nil }
      if addedNames.contains(RiskPath.basename(file.path)) { return nil }
      return riskFinding(
        rule: id, severity: severity, change: change, path: file.path, match: "deleted \(file.path)",
        message:
          "the commit deletes a test file: check the behaviour it covered is gone too, or still tested elsewhere")
    }
  }

  var positives: [ChangeExample] {
    [
      ChangeExample("swift tests", ChangeFixture.commit(.deleted("Tests/AppTests/LoginTests.swift"))),
      ChangeExample("python tests", ChangeFixture.commit(.deleted("tests/test_login.py"))),
      ChangeExample("jest test", ChangeFixture.commit(.deleted("src/login.test.ts"))),
      ChangeExample("go test", ChangeFixture.commit(.deleted("auth/login_test.go"))),
      ChangeExample("rust integration test", ChangeFixture.commit(.deleted("tests/login.rs"))),
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample("source deleted", ChangeFixture.commit(.deleted("Sources/App/Login.swift"))),
      ChangeExample("fixture deleted", ChangeFixture.commit(.deleted("Tests/AppTests/Fixtures/login.swift"))),
      ChangeExample("test added", ChangeFixture.commit(.added("tests/test_new.py", ["def test_x(): assert f()"]))),
      ChangeExample(
        "test moved", ChangeFixture.commit(.deleted("tests/test_login.py"), .added("tests/auth/test_login.py", ["x"]))),
      ChangeExample("renamed test", ChangeFixture.commit(.renamed(from: "tests/test_a.py", to: "tests/test_b.py"))),
    ]
  }
}

/// A real assertion removed and a tautology added in the same file.
struct TautologicalAssertion: AddedLinesChangeRule {
  let id = "test-assertion-replaced-by-tautology"
  let description = "A real assertion was removed and an always-true assertion added in the same file."
  let severity = Severity.high

  /// Always-true assertions, written with no spaces and lower-cased (see `normalized`).
  static let tautologies: [String] = [
    "asserttrue", "assert(true)", "assert1==1", "asserttrue==true", "assert!(true)", "assert_eq!(1,1)",
    "assert_eq!(true,true)", "xctasserttrue(true)", "xctassert(true)", "xctassertequal(1,1)",
    "xctassertequal(true,true)", "#expect(true)", "#expect(bool(true))", "#expect(1==1)", "#require(true)",
    "expect(true).tobe(true)", "expect(true).tobetruthy()", "expect(true).toequal(true)", "expect(1).tobe(1)",
    "expect(1).toequal(1)", "assert.ok(true)", "assert(true)", "assert.equal(1,1)", "assert.equal(true,true)",
    "assert.strictequal(1,1)", "asserttrue(true)", "self.asserttrue(true)", "assertequals(1,1)",
    "assertequal(1,1)", "assertequal(true,true)", "self.assertequal(1,1)", "require.true(t,true)",
    "assert.true(t,true)", "asserttrue(t,true)",
  ]

  static func normalized(_ line: String) -> String {
    String(String.UnicodeScalarView(line.unicodeScalars.filter { $0 != " " && $0 != "\t" })).lowercased()
  }

  static let tautologyBytes: [[UInt8]] = tautologies.map { Array($0.utf8) }

  /// Every tautology mentions one of these (lower-case), so a line without them needs no search.
  static let tautologyAnchorWords = ["assert", "expect", "require"]
  static let tautologyAnchors: [[UInt8]] = tautologyAnchorWords.map { Array($0.utf8) }
  static let anchorBits = AddedWords.bits(tautologyAnchorWords)

  /// True when the normalized line holds a tautology ending at a statement boundary.
  static func isTautology(_ line: String) -> Bool {
    var buffer: [UInt8] = []
    return isTautology(bytes: Array(line.utf8)[...], buffer: &buffer)
  }

  /// `isTautology` over a line's bytes; `buffer` is reused for the normalized line (spaces and
  /// tabs dropped, ASCII lower-cased). Bytes of other scripts count as letters at boundaries.
  static func isTautology(bytes line: ArraySlice<UInt8>, buffer n: inout [UInt8]) -> Bool {
    n.removeAll(keepingCapacity: true)
    for b in line where b != 0x20 && b != 0x09 { n.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b) }
    guard tautologyAnchors.contains(where: { find($0, in: n) != nil }) else { return false }
    func isWord(_ b: UInt8) -> Bool {
      (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b >= 0x80
    }
    for t in tautologyBytes {
      var from = 0
      while let at = find(t, in: n, from: from) {
        let end = at + t.count
        let boundaryAfter = end >= n.count || !(isWord(n[end]) || n[end] == 0x5F || n[end] == 0x2E || n[end] == 0x28)
        let boundaryBefore = at == 0 || !(isWord(n[at - 1]) || n[at - 1] == 0x5F)
        if boundaryAfter && (boundaryBefore || t[0] == UInt8(ascii: "#") || t.starts(with: Array("self.".utf8))) {
          return true
        }
        from = at + 1
      }
    }
    return false
  }

  /// Whether `line`, normalized as `isTautology` does (spaces and tabs dropped, ASCII
  /// lower-cased), holds one of `tautologyAnchors`; found without building the normalized line,
  /// so lines that cannot hold a tautology cost one pass.
  static func mayHoldAnchor(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = line.count
    var i = 0
    while i < n {
      let b = line[i] | 0x20
      if b == UInt8(ascii: "a") || b == UInt8(ascii: "e") || b == UInt8(ascii: "r") {
        for anchor in tautologyAnchors where anchor[0] == b && matchesSkippingBlanks(line, from: i, anchor) {
          return true
        }
      }
      i += 1
    }
    return false
  }

  /// `anchor` (lower-case) matches the bytes of `line` from `start`, spaces and tabs between
  /// them skipped, ASCII case-insensitively; `line[start]` is its first letter.
  static func matchesSkippingBlanks(_ line: UnsafeBufferPointer<UInt8>, from start: Int, _ anchor: [UInt8]) -> Bool {
    var i = start + 1
    var j = 1
    while j < anchor.count {
      while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
      guard i < line.count else { return false }
      var c = line[i]
      if c >= 0x41 && c <= 0x5A { c |= 0x20 }
      guard c == anchor[j] else { return false }
      i += 1
      j += 1
    }
    return true
  }

  static let assertionWords = [
    "assert", "expect(", "#expect", "#require", "should", "t.error", "t.fatal", "require.", "verify(",
  ]

  static func isAssertion(_ line: String) -> Bool {
    let lower = line.lowercased()
    return assertionWords.contains { lower.contains($0) } && !isTautology(line)
  }

  func evaluate(_ change: CommitChange) -> [Finding] { evaluate(change, added: .unknown) }

  func evaluate(_ change: CommitChange, added masks: AddedWordMasks) -> [Finding] {
    var findings: [Finding] = []
    for (i, file) in change.files.enumerated() where file.status == .modified || file.status == .renamed {
      guard masks.mayContain(Self.anchorBits, file: i) else { continue }
      guard let lines = try? file.changes.get(), !lines.removed.isEmpty, !lines.added.isEmpty else { continue }
      // The added side first: a tautology is rare and found on bytes; removed lines are read only then.
      let added = lines.added
      guard RiskPath.containsAnyASCII(added.bytes, Self.tautologyAnchors) else { continue }
      var buffer: [UInt8] = []
      let index = added.bytes.withUnsafeBufferPointer { all in
        (0..<added.count).first(where: {
          let range = added.range(ofLine: $0)
          return Self.mayHoldAnchor(UnsafeBufferPointer(rebasing: all[range]))
            && Self.isTautology(bytes: added.bytes[range], buffer: &buffer)
        })
      }
      guard let index else { continue }
      guard lines.removed.lines.contains(where: { Self.isAssertion($0.text) }) else { continue }
      let hit = (number: Int(added.numbers[index]), text: added.text(ofLine: index))
      findings.append(
        riskFinding(
          rule: id, severity: severity, change: change, path: file.path, line: hit.number,
          key: "\(file.path)\u{0}\(hit.text.trimmingSpaces)", match: hit.text.trimmingSpaces,
          message:
            "an assertion was removed and an always-true one added in its place: the test now passes whatever "
            + "the code does. Restore the real check or fix the code"))
    }
    return findings
  }

  var positives: [ChangeExample] {
    [
      ChangeExample(
        "python",
        ChangeFixture.commit(
          .modified("tests/test_auth.py", added: ["    assert True"], removed: ["    assert login(u) == token"]))),
      ChangeExample(
        "xctest",
        ChangeFixture.commit(
          .modified(
            "Tests/AppTests/AuthTests.swift", added: ["    XCTAssertTrue(true)"],
            removed: ["    XCTAssertEqual(auth.user, \"bob\")"]))),
      ChangeExample(
        "jest",
        ChangeFixture.commit(
          .modified(
            "src/auth.test.js", added: ["  expect(true).toBe(true);"], removed: ["  expect(user).toBeDefined();"]))),
      ChangeExample(
        "swift testing",
        ChangeFixture.commit(
          .modified("Tests/AppTests/T.swift", added: ["  #expect(true)"], removed: ["  #expect(total == 42)"]))),
      ChangeExample(
        "one equals one",
        ChangeFixture.commit(
          .modified("tests/test_math.py", added: ["    assert 1 == 1"], removed: ["    assert add(1, 2) == 3"]))),
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample(
        "assertion improved",
        ChangeFixture.commit(
          .modified("tests/test_auth.py", added: ["    assert login(u) == token2"], removed: ["    assert login(u)"]))),
      ChangeExample(
        "assertTrue of a value",
        ChangeFixture.commit(
          .modified("tests/test_a.py", added: ["    self.assertTrue(result)"], removed: ["    assert result"]))),
      ChangeExample(
        "tautology in a new test",
        ChangeFixture.commit(.added("tests/test_smoke.py", ["def test_import():", "    assert True"]))),
      ChangeExample(
        "XCTAssertTrue of a flag",
        ChangeFixture.commit(
          .modified(
            "Tests/AppTests/A.swift", added: ["    XCTAssertTrue(trueValue)"], removed: ["    XCTAssert(x)"]))),
    ]
  }
}

extension String {
  var trimmingSpaces: String {
    var s = Substring(self)
    while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
    while let c = s.last, c == " " || c == "\t" { s.removeLast() }
    return String(s)
  }
}

/// A coverage threshold whose added value is lower than the removed one, for the same key.
struct CoverageThresholdLowered: AddedLinesChangeRule {
  let id = "test-coverage-threshold-lowered"
  let description = "A test coverage threshold was lowered."
  let severity = Severity.medium

  /// Keys anywhere (lower-cased).
  static let keys = [
    "cov-fail-under", "fail_under", "fail-under", "minimum_coverage", "min_coverage", "coverage_threshold",
    "coveragethreshold", "min-coverage", "minimumcoverage", "check-coverage",
  ]
  /// Each of `keys` contains one of these (lower-case bytes).
  static let keyAnchors: [[UInt8]] = ["cov", "fail"].map { Array($0.utf8) }
  static let keyBits = AddedWords.bits(keys)
  /// Keys of nested threshold objects (Jest/Vitest/nyc/karma configs, package.json).
  static let nestedKeys = ["branches", "functions", "lines", "statements"]

  static func usesNestedKeys(_ path: String) -> Bool {
    let name = RiskPath.basename(path).lowercased()
    return name == "package.json" || name.hasPrefix("jest.config") || name.hasPrefix("vitest.config")
      || name.hasPrefix("vite.config") || name == ".nycrc" || name.hasPrefix(".nycrc.") || name.hasPrefix("karma.conf")
      || name == "codecov.yml" || name == ".codecov.yml"
  }

  /// (key, value) pairs of a line: the number following a known key.
  static func thresholds(_ text: String, nested: Bool) -> [(key: String, value: Double)] {
    let lower = text.lowercased()
    var out: [(String, Double)] = []
    let candidates = nested ? keys + nestedKeys + ["target"] : keys
    for key in candidates {
      guard let r = lower.range(of: key) else { continue }
      if let before = r.lowerBound == lower.startIndex ? nil : lower[lower.index(before: r.lowerBound)],
        before.isLetter || before == "_"
      {
        continue
      }
      var rest = lower[r.upperBound...].drop { " \t\"':=".contains($0) }
      var digits = ""
      while let c = rest.first, c.isNumber || c == "." {
        digits.append(c)
        rest.removeFirst()
      }
      if let v = Double(digits) { out.append((key, v)) }
    }
    return out
  }

  func evaluate(_ change: CommitChange) -> [Finding] { evaluate(change, added: .unknown) }

  func evaluate(_ change: CommitChange, added masks: AddedWordMasks) -> [Finding] {
    var findings: [Finding] = []
    for (i, file) in change.files.enumerated() where file.status == .modified || file.status == .renamed {
      guard let lines = try? file.changes.get(), !lines.removed.isEmpty, !lines.added.isEmpty else { continue }
      let nested = PathGate.mayUseNestedCoverageKeys(file.path) && Self.usesNestedKeys(file.path)
      if !nested {
        // A finding needs a plain key on an added line. When the scanner saw none in the added
        // bytes, the removed side is not read. Lines with other than ASCII are matched on
        // lower-cased Strings, which bytes cannot rule out: those files take the full path.
        if !masks.mayContain(Self.keyBits, file: i) {
          let ascii = lines.added.bytes.withUnsafeBufferPointer { !KeywordPrefilter.hasHighByte($0) }
          if ascii { continue }
        }
        // Every plain key holds "cov" or "fail": two passes over the removed bytes rule most files out.
        guard RiskPath.containsAnyASCII(lines.removed.bytes, Self.keyAnchors) else { continue }
      }
      let candidates = nested ? Self.keys + Self.nestedKeys + ["target"] : Self.keys
      guard candidates.contains(where: { RiskPath.containsASCII(lines.removed.bytes, $0) }) else { continue }
      var before: [String: Double] = [:]
      for line in lines.removed.lines {
        for (k, v) in Self.thresholds(line.text, nested: nested) { before[k] = max(before[k] ?? v, v) }
      }
      guard !before.isEmpty else { continue }
      for line in lines.added.lines {
        for (k, v) in Self.thresholds(line.text, nested: nested) {
          guard let old = before[k], v < old else { continue }
          findings.append(
            riskFinding(
              rule: id, severity: severity, change: change, path: file.path, line: line.number,
              key: "\(file.path)\u{0}\(k)\u{0}\(old)\u{0}\(v)", match: "\(k): \(formatted(old)) -> \(formatted(v))",
              message:
                "the coverage threshold `\(k)` drops from \(formatted(old)) to \(formatted(v)): check this is "
                + "intended, not a way to make a failing check pass"))
        }
      }
    }
    return findings
  }

  private func formatted(_ v: Double) -> String {
    v == v.rounded() ? String(Int(v)) : String(v)
  }

  var positives: [ChangeExample] {
    [
      ChangeExample(
        "coveragerc",
        ChangeFixture.commit(.modified(".coveragerc", added: ["fail_under = 60"], removed: ["fail_under = 90"]))),
      ChangeExample(
        "pytest addopts",
        ChangeFixture.commit(
          .modified(
            "pyproject.toml", added: ["addopts = \"--cov=app --cov-fail-under=50\""],
            removed: ["addopts = \"--cov=app --cov-fail-under=85\""]))),
      ChangeExample(
        "jest",
        ChangeFixture.commit(
          .modified("jest.config.js", added: ["      branches: 10,"], removed: ["      branches: 80,"]))),
      ChangeExample(
        "simplecov",
        ChangeFixture.commit(
          .modified("spec/spec_helper.rb", added: ["  minimum_coverage 70"], removed: ["  minimum_coverage 95"]))),
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample(
        "raised",
        ChangeFixture.commit(.modified(".coveragerc", added: ["fail_under = 95"], removed: ["fail_under = 90"]))),
      ChangeExample(
        "unrelated numbers",
        ChangeFixture.commit(.modified("src/app.js", added: ["  lines: 10,"], removed: ["  lines: 80,"]))),
      ChangeExample(
        "threshold added",
        ChangeFixture.commit(.modified("setup.cfg", added: ["fail_under = 80"], removed: ["[report]"]))),
    ]
  }
}

/// Many type-checker suppressions added in one commit.
struct ManyTypeIgnores: AddedLinesChangeRule {
  let id = "test-many-type-ignores"
  let description = "Many type-checker suppressions (# type: ignore, @ts-ignore, ...) were added in one commit."
  let severity = Severity.low
  let threshold = 5

  static let markers = ["# type: ignore", "@ts-ignore", "@ts-expect-error", "# pyright: ignore", "#type:ignore"]
  /// Each marker contains one of these (lower-case bytes).
  static let markerAnchors: [[UInt8]] = ["ignore", "expect-error"].map { Array($0.utf8) }
  static let markerBits = AddedWords.bits(markers)

  func evaluate(_ change: CommitChange) -> [Finding] { evaluate(change, added: .unknown) }

  func evaluate(_ change: CommitChange, added masks: AddedWordMasks) -> [Finding] {
    var count = 0
    var first: (path: String, line: Int)?
    for (i, file) in change.files.enumerated() where file.status != .deleted {
      guard masks.mayContain(Self.markerBits, file: i) else { continue }
      guard let lines = try? file.changes.get() else { continue }
      guard RiskPath.containsAnyASCII(lines.added.bytes, Self.markerAnchors),
        Self.markers.contains(where: { RiskPath.containsASCII(lines.added.bytes, $0) })
      else { continue }
      for line in lines.added.lines {
        let lower = line.text.lowercased()
        if Self.markers.contains(where: { lower.contains($0) }) {
          count += 1
          if first == nil { first = (file.path, line.number) }
        }
      }
    }
    guard count >= threshold, let first else { return [] }
    return [
      riskFinding(
        rule: id, severity: severity, change: change, path: first.path, line: first.line,
        key: "\(change.commit.id ?? "staged")\u{0}\(count)", match: "\(count) type-checker suppressions",
        message:
          "the commit adds \(count) type-checker suppressions: check the type errors they hide are not real bugs")
    ]
  }

  var positives: [ChangeExample] {
    [
      ChangeExample(
        "six ignores",
        ChangeFixture.commit(
          .modified("app/a.py", added: (1...4).map { "x\($0) = f()  # type: ignore" }),
          .modified("src/b.ts", added: ["// @ts-ignore", "// @ts-expect-error"])))
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample(
        "two ignores", ChangeFixture.commit(.modified("app/a.py", added: ["x = f()  # type: ignore", "y = 1"])))
    ]
  }
}
