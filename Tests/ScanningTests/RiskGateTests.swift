// The shortcuts the risk rules take on large histories must never change a result: every path
// gate is implied by its predicate, the scanner's `AddedWords` bits say exactly which words occur
// in a block, and change rules give the same findings inside a scan as on their own.

import GateCore
import TestSupport
import Testing

@testable import Scanning

/// Paths built from pieces the predicates care about, drawn from a printed seed.
enum GatePaths {
  static let pieces = [
    ".github", "workflows", "ci.yml", ".gitlab-ci.yml", "Jenkinsfile", "Jenkinsfile.prod", "azure-pipelines.yml",
    "appveyor.yml", ".travis.yml", "cloudbuild.yaml", ".circleci", "config.yml", ".env", ".env.production",
    "prod.env", ".env.example", "AGENTS.md", "CLAUDE.md", "agents.md", ".cursorrules", ".cursor", "rules",
    ".claude", "settings.json", "hooks", "commands", "instructions", "copilot-instructions.md", "CODEOWNERS",
    "codeowners", "docs", ".husky", ".githooks", ".git-hooks", "lefthook.yml", ".pre-commit-config.yaml",
    ".overcommit.yml", ".agentgate", ".agentgate.toml", "id_rsa", "id_ed25519_sk", "identity", ".netrc", "_netrc",
    ".pypirc", "kubeconfig", "staging.kubeconfig", "kubeconfig.yaml", "release.jks", "cert.PEM", "server.key",
    ".aws", "credentials", ".kube", "config", ".ssh", "known_hosts", "id_rsa.pub", ".docker", "config.json",
    "package-lock.json", "Cargo.lock", "go.sum", "Package.resolved", "src", "lib", "url.c", "README", "a.b.c",
    "Makefile.am", "tests", "data", "test1", ".", "..", "x.", ".x", "package.json", "jest.config.js",
    "vite.config.ts", ".nycrc.json", "karma.conf.js", ".codecov.yml", "codecov.yaml",
  ]
  /// Look-alikes outside ASCII: the Kelvin sign lower-cases to `k`, the others are accents and
  /// a combining mark.
  static let odd = ["\u{212A}ubeconfig", ".hus\u{212A}y", "CODEOWNERS\u{301}", "é", ".env\u{301}", "Ǆ"]

  static func generate(seed: UInt64, count: Int) -> [String] {
    var rng = SeededGenerator(seed: seed)
    var out: [String] = []
    for _ in 0..<count {
      let n = Int.random(in: 1...4, using: &rng)
      var parts: [String] = []
      for _ in 0..<n {
        let useOdd = Int.random(in: 0..<12, using: &rng) == 0
        parts.append((useOdd ? odd : pieces).randomElement(using: &rng)!)
      }
      var path = parts.joined(separator: Int.random(in: 0..<15, using: &rng) == 0 ? "//" : "/")
      switch Int.random(in: 0..<20, using: &rng) {
      case 0: path += "/"
      case 1: path = "/" + path
      case 2: path = path.uppercased()
      default: break
      }
      out.append(path)
    }
    return out + pieces + odd + ["", "/", "//"]
  }
}

@Suite struct RiskGateTests {
  static let predicates: [(String, @Sendable (String) -> Bool, @Sendable (String) -> Bool)] = [
    ("env file", { RiskRules.isEnvFile($0) }, { PathGate.mayBeEnvFile($0) }),
    ("ci config", { RiskRules.isCIConfig($0) }, { PathGate.mayBeCIConfig($0) }),
    ("agent instructions", { RiskRules.isAgentInstructions($0) }, { PathGate.mayBeAgentInstructions($0) }),
    ("codeowners", { RiskRules.isCodeOwners($0) }, { PathGate.mayBeCodeOwners($0) }),
    ("hooks", { RiskRules.isHookConfig($0) }, { PathGate.mayBeHookConfig($0) }),
    ("gate policy", { RiskRules.isGatePolicy($0) }, { PathGate.mayBeGatePolicy($0) }),
    (
      "credential file",
      { RiskRules.isCredentialFile($0) || ["pem", "key"].contains(RiskPath.ext($0)) },
      { PathGate.mayBeCredentialFile($0) }
    ),
    (
      "nested coverage keys", { CoverageThresholdLowered.usesNestedKeys($0) },
      { PathGate.mayUseNestedCoverageKeys($0) }
    ),
    (
      "lockfile", { LockfileWithoutManifest.ecosystems[RiskPath.basename($0)] != nil },
      { PathGate.mayBeLockfile($0) }
    ),
  ]

  @Test func everyPathGateIsImpliedByItsPredicate() {
    // The same seed as the secret rules' random positives (AGENTGATE_SEED replays a run).
    let seed = secretRulesSeed
    let paths = GatePaths.generate(seed: seed, count: 4000)
    var matched: [String: Int] = [:]
    var gated: [String: Int] = [:]
    for (name, predicate, gate) in Self.predicates {
      for path in paths {
        let hit = predicate(path)
        let open = gate(path)
        if hit { matched[name, default: 0] += 1 }
        if !open { gated[name, default: 0] += 1 }
        #expect(!hit || open, "seed \(seed): the \(name) gate rejects \(path.debugDescription), which matches")
      }
    }
    // The generator reaches both sides of every predicate, and every gate rules something out.
    for (name, _, _) in Self.predicates {
      #expect(matched[name, default: 0] > 0, "seed \(seed): no \(name) path generated")
      #expect(gated[name, default: 0] > 0, "seed \(seed): the \(name) gate never rules a path out")
    }
  }

  @Test func nonASCIIPathsAlwaysPassTheGates() {
    // Lower-casing is Unicode's: the Kelvin sign becomes `k`, so the predicate takes this name
    // for `lefthook.yml`, though its bytes hold no `hook`.
    #expect(RiskRules.isHookConfig("lefthoo\u{212A}.yml"))
    #expect(PathGate.mayBeHookConfig("lefthoo\u{212A}.yml"))
    for (_, _, gate) in Self.predicates { #expect(gate("src/caf\u{E9}.c")) }
  }

  @Test func gatesRuleOutOrdinarySourcePaths() {
    for (name, _, gate) in Self.predicates {
      for path in ["lib/url.c", "src/tool_main.c", "docs/libcurl/opts/CURLOPT_URL.3", "tests/data/test1"] {
        #expect(!gate(path), "the \(name) gate lets \(path) through")
      }
    }
  }

  /// Blocks of added lines with the words the change rules look for, in both cases and split.
  static let wordBlocks: [String] = [
    "int main(void) {\n  return 0;\n}",
    "  ASSERT(x);\n  assert(y)",
    "x = 1  # TYPE: IGNORE\n// @ts-ignore\n// @ts-expect-error\ny = 2  #type:ignore",
    "addopts = --cov-fail-under=85\nfail_under = 90\nminimum_coverage 95\ncheck-coverage=1",
    "expec\nt require\nass\nert",
    "MIN_COVERAGE: 1\nCoverageThreshold = 3\n# pyright: ignore",
    "",
  ]

  @Test(arguments: wordBlocks)
  func addedWordBitsAreExact(_ text: String) throws {
    let scanner = try Scanner(
      rules: RiskRules.lineRules, changeRules: RiskRules.changeRules, options: ScanOptions(parallelism: 1))
    try expectExactWords(scanner, text)
  }

  @Test func addedWordBitsAreExactInWindowedAndParallelBlocks() throws {
    let scanner = try Scanner(
      rules: RiskRules.lineRules, changeRules: RiskRules.changeRules, options: ScanOptions(parallelism: 2))
    let filler = String(repeating: "static int value_of_a_thing = 42; /* plain */\n", count: 1500)
    // One window (64 KiB) and more; a word near the end of a block past the parallel size.
    try expectExactWords(scanner, filler + "  #expect(x)\n" + filler + "fail_under = 1\n" + filler)
    let big = String(repeating: filler, count: 62)
    try expectExactWords(scanner, big + "x  # type: ignore")
  }

  func expectExactWords(_ scanner: Scanner, _ text: String) throws {
    let file = FileDiff(path: "a/b.txt", added: ChangeFixture.numbered(text.components(separatedBy: "\n")))
    let bytes = try file.changes.get().added.bytes
    let (_, words) = scanner.withScratch { scanner.scanFile(file, commit: nil, isAgent: false, scratch: $0) }
    let mask = try #require(words)
    for (i, word) in AddedWords.all.enumerated() {
      let present = RiskPath.containsASCII(bytes, word)
      #expect((mask >> UInt64(i)) & 1 == (present ? 1 : 0), "\(word.debugDescription) in \(text.prefix(40))")
    }
  }

  @Test func encodedWordsDoNotCount() throws {
    // The decoder rescans base64 text; the rules read the raw added bytes, so only those count.
    let scanner = try Scanner(rules: RiskRules.lineRules, changeRules: RiskRules.changeRules)
    let encoded = "x = \"" + base64("fail_under = 90 and assert(true)") + "\""
    try expectExactWords(scanner, encoded)
  }

  func base64(_ s: String) -> String {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    let b = Array(s.utf8)
    var out: [UInt8] = []
    var i = 0
    while i + 2 < b.count {
      let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
      for shift in [18, 12, 6, 0] { out.append(table[Int((v >> UInt32(shift)) & 63)]) }
      i += 3
    }
    return String(decoding: out, as: UTF8.self)
  }

  @Test func anchorCheckAgreesWithTheNormalizedLine() {
    var rng = SeededGenerator(seed: secretRulesSeed)
    let pieces = [
      "as", "sert", "ASSERT", "ex", "pect", "Re", "quire", " ", "\t", "  ", "(", "true", ")", "x", "1", "==", "é",
    ]
    for _ in 0..<3000 {
      let line = (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
      var normalized: [UInt8] = []
      for b in line.utf8 where b != 0x20 && b != 0x09 { normalized.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b) }
      let expected = TautologicalAssertion.tautologyAnchors.contains { find($0, in: normalized) != nil }
      let bytes = Array(line.utf8)
      let got = bytes.withUnsafeBufferPointer { TautologicalAssertion.mayHoldAnchor($0) }
      #expect(got == expected, "seed \(secretRulesSeed): \(line.debugDescription)")
    }
  }

  /// Every change example, plus commits that mix the rules' files, scanned with every risk rule:
  /// each change rule's findings equal its own `evaluate` on the change.
  static var changes: [(String, CommitChange)] {
    var out = RiskRules.changeRules.flatMap { rule in
      (rule.positives + rule.negatives).map { ("\(rule.id): \($0.name)", $0.change) }
    }
    let all = RiskRules.changeRules.flatMap { ($0.positives + $0.negatives).flatMap(\.change.files) }
    out.append(("every example file in one commit", ChangeFixture.commit(all)))
    let bumps = (0..<10).map { i in
      FileDiff.modified("src/m\(i).py", added: ["x\(i) = f()  # type: ignore"], removed: ["x\(i) = f()"])
    }
    out.append(("many files", ChangeFixture.commit(bumps + all)))
    out.append(
      (
        "non-ASCII coverage line",
        ChangeFixture.commit(
          .modified(".coveragerc", added: ["fail_under = 60 # réduit"], removed: ["fail_under = 90"]))
      ))
    // The Kelvin sign lower-cases to `k`: the key is found on the String, not on the bytes.
    out.append(
      (
        "key only after Unicode lower-casing",
        ChangeFixture.commit(
          .modified("setup.cfg", added: ["chec\u{212A}-coverage = 10"], removed: ["check-coverage = 90"]))
      ))
    return out
  }

  @Test func changeRulesFindTheSameInAScanAsAlone() throws {
    for parallelism in [1, 2] {
      let scanner = try Scanner(
        rules: RiskRules.lineRules, changeRules: RiskRules.changeRules,
        options: ScanOptions(parallelism: parallelism))
      let ids = Set(RiskRules.changeRules.map(\.id))
      for (name, change) in Self.changes {
        let alone = RiskRules.changeRules.flatMap { $0.evaluate(change) }
        let scanned = scanner.scan(change, isAgent: false).findings.filter { ids.contains($0.rule) }
        #expect(scanned.map(describe) == alone.map(describe), "\(name)")
        if name.hasPrefix("key only") || name.hasPrefix("non-ASCII") { #expect(!alone.isEmpty, "\(name)") }
      }
    }
  }

  func describe(_ f: Finding) -> String {
    "\(f.rule) \(f.path):\(f.line ?? 0) \(f.fingerprint) \(f.match)"
  }
}

extension ChangeFixture {
  static func commit(_ files: [FileDiff]) -> CommitChange { CommitChange(commit: record, files: files) }
}
