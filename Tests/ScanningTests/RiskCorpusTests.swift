// The risk corpus through the scanner API: each case becomes one commit's change against the base
// project (line diffs computed here), scanned with every risk rule as an agent's commit. The CLI
// end-to-end test runs the same corpus through real Git and `agentgate scan`.

import GateCore
import Testing

@testable import Scanning

/// Turns corpus cases into `CommitChange` values, as GitReading would report them.
enum RiskCorpusDiff {
  static func lines(_ text: String) -> [String] {
    var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if parts.last == "" { parts.removeLast() }
    return parts
  }

  /// Added and removed lines of `old` -> `new` (longest common subsequence), with line numbers.
  static func diff(_ old: [String], _ new: [String]) -> LineChanges {
    let n = old.count
    let m = new.count
    var table = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in stride(from: m - 1, through: 0, by: -1) {
        table[i][j] = old[i] == new[j] ? table[i + 1][j + 1] + 1 : max(table[i + 1][j], table[i][j + 1])
      }
    }
    var added: [(number: Int, text: String)] = []
    var removed: [(number: Int, text: String)] = []
    var i = 0
    var j = 0
    while i < n || j < m {
      if i < n && j < m && old[i] == new[j] {
        i += 1
        j += 1
      } else if j < m && (i == n || table[i][j + 1] >= table[i + 1][j]) {
        added.append((j + 1, new[j]))
        j += 1
      } else {
        removed.append((i + 1, old[i]))
        i += 1
      }
    }
    return LineChanges(added: LineBlock(lines: added), removed: LineBlock(lines: removed))
  }

  static func file(_ change: RiskCorpusChange) -> FileDiff {
    let path = change.path
    let old = RiskCorpus.baseFiles[path]
    let oldMode: FileMode? = old == nil ? nil : (RiskCorpus.baseExecutables.contains(path) ? .executable : .regular)
    let status: ChangeStatus = old == nil ? .added : .modified
    switch change {
    case .write(_, let content), .writeExecutable(_, let content):
      let mode: FileMode
      if case .writeExecutable = change { mode = .executable } else { mode = .regular }
      let lines = diff(old.map(lines) ?? [], lines(content))
      return FileDiff(
        path: path, status: status, oldMode: oldMode, newMode: mode, oldSize: old?.utf8.count ?? 0,
        newSize: content.utf8.count, changes: LazyLineChanges(lines))
    case .writeBytes(_, let bytes, let executable):
      return FileDiff(
        path: path, status: status, oldMode: oldMode, newMode: executable ? .executable : .regular, isBinary: true,
        newSize: bytes.count, skipped: .binary)
    case .delete:
      let lines = diff(old.map(lines) ?? [], [])
      return FileDiff(
        path: path, status: .deleted, oldMode: oldMode ?? .regular, newMode: nil, oldSize: old?.utf8.count ?? 0,
        changes: LazyLineChanges(lines))
    case .symlink(_, let target):
      return FileDiff(
        path: path, status: .added, newMode: .symlink, newSize: target.utf8.count, symlinkTarget: target)
    }
  }

  static func commit(_ c: RiskCorpusCase) -> CommitChange {
    let record = CommitRecord(
      id: SHA256.hex(c.name).prefix(40).description, parents: ["ba5e"],
      author: Signature(name: "Coding Agent", email: "agent@example.invalid"),
      committer: Signature(name: "Coding Agent", email: "agent@example.invalid"), message: c.name)
    return CommitChange(commit: record, files: c.changes.map(file))
  }
}

@Suite struct RiskCorpusTests {
  @Test(arguments: RiskCorpus.cases)
  func corpusCommit(_ c: RiskCorpusCase) throws {
    let scanner = try Scanner(
      rules: RiskRules.lineRules, changeRules: RiskRules.changeRules, options: ScanOptions(parallelism: 1))
    let result = scanner.scan(RiskCorpusDiff.commit(c), isAgent: true)
    let summary = result.findings.map { "\($0.rule)@\($0.path):\($0.line ?? 0) [\($0.severity)]" }
    if c.expectRisky {
      let rule = try #require(c.expectedRule)
      #expect(result.findings.contains { $0.rule == rule }, "\(c.name): expected \(rule), got \(summary)")
    } else {
      #expect(!result.fails(at: .medium), "\(c.name): benign commit flagged: \(summary)")
    }
  }

  @Test func corpusIsWellFormed() {
    let ids = Set(RiskRules.lineRules.map(\.id) + RiskRules.changeRules.map(\.id))
    for c in RiskCorpus.cases {
      #expect(c.expectRisky == (c.expectedRule != nil), "\(c.name)")
      if let rule = c.expectedRule { #expect(ids.contains(rule), "\(c.name): unknown rule \(rule)") }
      for change in c.changes {
        if case .delete(let path) = change { #expect(RiskCorpus.baseFiles[path] != nil, "\(c.name): \(path)") }
      }
    }
    #expect(Set(RiskCorpus.cases.map(\.name)).count == RiskCorpus.cases.count, "case names must be unique")
    // A multi-language project: risky commits in every language and build file kind.
    let paths = RiskCorpus.risky.flatMap { $0.changes.map(\.path) }
    for suffix in [".swift", ".py", ".js", ".rs", ".go", ".sh", "Dockerfile", "Makefile", ".yml", "package.json"] {
      #expect(paths.contains { $0.hasSuffix(suffix) }, "no risky case touches *\(suffix)")
    }
  }

  @Test func diffReportsChangedLinesWithNumbers() {
    let d = RiskCorpusDiff.diff(["a", "b", "c"], ["a", "x", "c", "d"])
    #expect(d.added.lines.map(\.number) == [2, 4])
    #expect(d.added.lines.map(\.text) == ["x", "d"])
    #expect(d.removed.lines.map(\.number) == [2])
    #expect(d.removed.lines.map(\.text) == ["b"])
  }
}
