// The risk corpus end to end: one real repository (built with one `git fast-import`), a base commit
// of a multi-language project (Swift, Python, JS, Rust, Go, shell, Dockerfile, workflows) and one
// agent commit per corpus case on its own branch from the base; then the shipped binary judges each
// with `agentgate scan --repo D BASE..COMMIT --format json`. A risky commit must be flagged by its
// expected rule; a benign one must have no finding of medium severity or higher.
//
// The corpus is defined in Tests/ScanningTests/RiskCorpus.swift and read here from its JSON
// fixture (Tests/ScanningTests/Fixtures/risk-corpus.json, kept current by a test in that target).

import Foundation
import Synchronization
import TestSupport
import Testing

private struct CorpusCase {
  var name: String
  var risky: Bool
  var rule: String?
  var changes: [[String: Any]]
}

private struct Corpus {
  var base: [String: String]
  var executables: Set<String>
  var cases: [CorpusCase]

  static func load() throws -> Corpus {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("ScanningTests/Fixtures/risk-corpus.json").path
    let data = try #require(FileManager.default.contents(atPath: path), "missing corpus fixture \(path)")
    let object = try JSONSerialization.jsonObject(with: data)
    let root = try #require(object as? [String: Any])
    let base = try #require(root["base"] as? [String: String])
    let executables = Set(try #require(root["executables"] as? [String]))
    let items = try #require(root["cases"] as? [[String: Any]])
    let cases = try items.map { item in
      let name = try #require(item["name"] as? String)
      let risky = try #require(item["risky"] as? Bool)
      let changes = try #require(item["changes"] as? [[String: Any]])
      return CorpusCase(name: name, risky: risky, rule: item["rule"] as? String, changes: changes)
    }
    return Corpus(base: base, executables: executables, cases: cases)
  }
}

/// A `git fast-import` stream: the base commit on `main`, then each case as `refs/heads/case-N`.
private func importStream(_ corpus: Corpus) throws -> Data {
  var out = Data()
  func text(_ s: String) { out.append(contentsOf: Array(s.utf8)) }
  func inline(_ mode: String, _ path: String, _ bytes: [UInt8]) {
    text("M \(mode) inline \(path)\ndata \(bytes.count)\n")
    out.append(contentsOf: bytes)
    text("\n")
  }
  func header(_ ref: String, mark: Int, who: String, time: Int, message: String) {
    let msg = Array(message.utf8)
    text("commit \(ref)\nmark :\(mark)\nauthor \(who) \(time) +0000\ncommitter \(who) \(time) +0000\n")
    text("data \(msg.count)\n")
    out.append(contentsOf: msg)
    text("\n")
  }
  header(
    "refs/heads/main", mark: 1, who: "Test Human <human@example.com>", time: 1_767_225_600, message: "Base project\n")
  for path in corpus.base.keys.sorted() {
    inline(corpus.executables.contains(path) ? "100755" : "100644", path, Array(corpus.base[path]!.utf8))
  }
  text("\n")
  for (i, c) in corpus.cases.enumerated() {
    header(
      "refs/heads/case-\(i)", mark: i + 2, who: "Coding Agent <agent@example.invalid>", time: 1_767_225_660 + i,
      message: "\(c.name)\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n")
    text("from :1\n")
    for change in c.changes {
      let path = try #require(change["path"] as? String)
      let executable = change["executable"] as? Bool ?? false
      switch change["op"] as? String {
      case "write":
        let content = try #require(change["content"] as? String)
        inline(executable ? "100755" : "100644", path, Array(content.utf8))
      case "bytes":
        let encoded = try #require(change["base64"] as? String)
        let bytes = try #require(Data(base64Encoded: encoded))
        inline(executable ? "100755" : "100644", path, Array(bytes))
      case "delete":
        text("D \(path)\n")
      case "symlink":
        let target = try #require(change["target"] as? String)
        inline("120000", path, Array(target.utf8))
      case let op:
        Issue.record("\(c.name): unknown change \(op ?? "nil")")
      }
    }
    text("\n")
  }
  return out
}

@Suite struct RiskCorpusCLITests {
  @Test func everyCorpusCommitIsJudgedAsExpected() throws {
    let corpus = try Corpus.load()
    #expect(corpus.cases.count >= 40)
    #expect(corpus.cases.contains { $0.risky } && corpus.cases.contains { !$0.risky })
    let repo = try GitRepo()
    try repo.git(["fast-import", "--quiet"], stdin: importStream(corpus))
    let base = try repo.git(["rev-parse", "main"])
    var heads: [String: String] = [:]
    for line in try repo.git(["for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads/"])
      .split(separator: "\n")
    {
      let parts = line.split(separator: " ")
      if parts.count == 2 { heads[String(parts[0])] = String(parts[1]) }
    }
    // The project covers the languages the issue names.
    for suffix in [".swift", ".py", ".js", ".rs", ".go", ".sh", "Dockerfile"] {
      #expect(corpus.base.keys.contains { $0.hasSuffix(suffix) }, "base project has no *\(suffix)")
    }
    #expect(corpus.base.keys.contains { $0.hasPrefix(".github/workflows/") })

    // The scans run two at a time (each is a separate process with its own timeout).
    let commits = try corpus.cases.indices.map { i in
      try #require(heads["case-\(i)"], "\(corpus.cases[i].name): branch case-\(i) missing")
    }
    let results = Mutex<[Int: Result<ProcessResult, any Error>]>([:])
    let next = Atomic<Int>(0)
    let binary = agentgateBinary()
    let repoPath = repo.path
    DispatchQueue.concurrentPerform(iterations: 2) { _ in
      while true {
        let i = next.add(1, ordering: .relaxed).oldValue
        if i >= commits.count { break }
        let r = Result {
          try runProcess(
            [binary, "scan", "--repo", repoPath, "\(base)..\(commits[i])", "--format", "json"], timeout: 60)
        }
        results.withLock { $0[i] = r }
      }
    }
    let all = results.withLock { $0 }
    for (i, c) in corpus.cases.enumerated() {
      let commit = commits[i]
      let r = try #require(all[i], "\(c.name): not scanned").get()
      #expect(r.status == 0 || r.status == 1, "\(c.name): exit \(r.status): \(r.stderr)")
      guard r.status <= 1 else { continue }
      let object = try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any]
      #expect(object?["schema"] as? String == "agentgate.findings/1", "\(c.name)")
      let findings = try #require(object?["findings"] as? [[String: Any]], "\(c.name): \(r.stdout)")
      let summary = findings.map { "\($0["rule"] ?? "?")@\($0["path"] ?? "?") [\($0["severity"] ?? "?")]" }
      for f in findings { #expect(f["commit"] as? String == commit, "\(c.name): finding of another commit") }
      if c.risky {
        let rule = try #require(c.rule)
        #expect(findings.contains { $0["rule"] as? String == rule }, "\(c.name): expected \(rule), got \(summary)")
        #expect(
          r.status == 1 || !findings.contains { ["medium", "high", "critical"].contains($0["severity"] as? String) })
      } else {
        let serious = findings.filter { ["medium", "high", "critical"].contains($0["severity"] as? String) }
        #expect(serious.isEmpty, "\(c.name): benign commit flagged: \(summary)")
        #expect(r.status == 0, "\(c.name): benign commit failed the scan")
      }
    }
  }
}
