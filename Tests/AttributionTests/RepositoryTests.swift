// A real repository of agent and human commits, made with the git CLI, read back from
// `git cat-file commit` and attributed; the JSON rendered for it must match the schema.

import Attribution
import Foundation
import GateCore
import TestSupport
import Testing

/// Parses the raw text of `git cat-file commit` into a CommitRecord (the test's stand-in for GitReading).
func parseCommitObject(id: String, _ raw: String) throws -> CommitRecord {
  let separator = try #require(raw.range(of: "\n\n"))
  let headers = raw[..<separator.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
  var parents: [String] = []
  var author: Signature?
  var committer: Signature?
  var encoding: String?
  for line in headers where !line.hasPrefix(" ") {
    let parts = line.split(separator: " ", maxSplits: 1)
    guard parts.count == 2 else { continue }
    let value = String(parts[1])
    switch parts[0] {
    case "parent": parents.append(value)
    case "author": author = try parseSignature(value)
    case "committer": committer = try parseSignature(value)
    case "encoding": encoding = value
    default: break
    }
  }
  return CommitRecord(
    id: id, parents: parents, author: try #require(author), committer: try #require(committer),
    message: String(raw[separator.upperBound...]), encoding: encoding)
}

/// `Name <email> 1767225600 +0100`.
func parseSignature(_ text: String) throws -> Signature {
  let open = try #require(text.lastIndex(of: "<"))
  let close = try #require(text.lastIndex(of: ">"))
  let name = text[..<open].trimmingCharacters(in: .whitespaces)
  let email = String(text[text.index(after: open)..<close])
  let rest = text[text.index(after: close)...].split(separator: " ")
  let time = Int64(rest.first ?? "0") ?? 0
  var offset = 0
  if rest.count > 1, let raw = Int(rest[1].dropFirst()) {
    offset = (raw / 100 * 60 + raw % 100) * (rest[1].hasPrefix("-") ? -1 : 1)
  }
  return Signature(name: name, email: email, time: time, offsetMinutes: offset)
}

@Suite struct Repository {
  struct Planned {
    var message: String
    var author: (name: String, email: String)
    var committer: (name: String, email: String)?
    var note: String?
    var agent: String?
  }

  static let note =
    "src/app.ts\n  0f1e2d3c4b5a6978 1-12\n---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"00\","
    + "\"prompts\":{\"0f1e2d3c4b5a6978\":{\"agent_id\":{\"tool\":\"claude\",\"id\":\"c1\",\"model\":\"claude-opus-4-5\"},"
    + "\"messages\":[],\"total_additions\":12,\"total_deletions\":0,\"accepted_lines\":12,\"overriden_lines\":0}}}"

  static let plan: [Planned] = [
    Planned(message: "Initial import", author: ("Dana Human", "dana@example.com"), agent: nil),
    Planned(
      message: "Fix parser\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
        + "Co-Authored-By: Claude <noreply@anthropic.com>",
      author: ("Dana Human", "dana@example.com"), agent: "claude-code"),
    Planned(
      message: "Initial plan", author: ("copilot-swe-agent[bot]", "198982749+Copilot@users.noreply.github.com"),
      committer: ("GitHub", "noreply@github.com"), agent: "github-copilot"),
    Planned(
      message: "feat: add watch mode", author: ("Paul Gauthier (aider)", "paul@example.com"),
      committer: ("Paul Gauthier (aider)", "paul@example.com"), agent: "aider"),
    Planned(message: "aider: Added tests", author: ("Paul", "paul@example.com"), agent: "aider"),
    Planned(
      message: "Published your App\n\nReplit-Commit-Author: Deployment\nReplit-Commit-Deployment-Build-Id: 9a8b",
      author: ("melinda", "41230987-melinda@users.noreply.replit.com"), agent: nil),
    Planned(
      message: "Add map view\n\nReplit-Commit-Author: Agent\nReplit-Commit-Session-Id: 7c1d",
      author: ("melinda", "41230987-melinda@users.noreply.replit.com"), agent: "replit-agent"),
    Planned(
      message: "Document trailers\n\n```\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>\n```",
      author: ("Claude Paroz", "claude@2xlibre.net"), agent: nil),
    Planned(
      message: "Aider à corriger les tests", author: ("Claire", "claire@example.fr"), agent: nil),
    Planned(
      message: "Add OG route", author: ("Devin AI", "158243242+devin-ai-integration[bot]@users.noreply.github.com"),
      agent: "devin"),
    Planned(message: "Add client", author: ("Dana Human", "dana@example.com"), note: note, agent: "claude-code"),
    Planned(
      message: "Squash (#4)\n\n* Add cache\n\nMade-with: Cursor\n\n* Fix key\n\nCo-authored-by: Sam <sam@example.org>",
      author: ("Dana Human", "dana@example.com"), agent: "cursor"),
  ]

  @Test func attributesARealHistory() throws {
    let repo = try GitRepo()
    var ids: [String] = []
    for (i, planned) in Self.plan.enumerated() {
      var env: [String: String] = [:]
      if let c = planned.committer {
        env["GIT_COMMITTER_NAME"] = c.name
        env["GIT_COMMITTER_EMAIL"] = c.email
      }
      let id = try repo.commit(
        planned.message, files: ["f\(i).txt": "\(i)\n"], author: planned.author, env: env)
      if let note = planned.note { try repo.git(["notes", "--ref=ai", "add", "-m", note, id]) }
      ids.append(id)
    }
    let listed = try repo.git(["rev-list", "--reverse", "HEAD"]).split(separator: "\n").map(String.init)
    #expect(listed == ids)

    var rows: [(CommitRecord?, Attribution)] = []
    for (id, planned) in zip(listed, Self.plan) {
      let record = try parseCommitObject(id: id, try repo.git(["cat-file", "commit", id]) + "\n")
      #expect(record.author.name == planned.author.name)
      let shown = try runProcess(["git", "-C", repo.path, "notes", "--ref=ai", "show", id], timeout: 30)
      let note = shown.status == 0 ? shown.stdout : nil
      #expect((note != nil) == (planned.note != nil))
      let attribution = detector.attribute(record, note: note)
      #expect(attribution.agent == planned.agent, "\(record.subject): \(attribution.evidence)")
      rows.append((record, attribution))
    }
    let document = AttributionJSON.render(commits: rows)
    #expect(try schemaErrors(document) == nil)
    let lines = rows.map { AttributionText.line(commit: $0.0, attribution: $0.1) }
    #expect(lines[0].hasSuffix("  human  Initial import"))
    #expect(lines[1].contains("  claude-code (high)  "))
  }
}
