import Foundation
import Gate
import GateCore
import TestSupport
import Testing

@Suite struct ServerPieceTests {
  @Test func pushOptionsAndOverrides() {
    let env = [
      "GIT_PUSH_OPTION_COUNT": "2", "GIT_PUSH_OPTION_0": "ci.skip", "GIT_PUSH_OPTION_1": "agentgate.override=hotfix",
    ]
    let options = PushOptions.parse(env)
    #expect(options == ["ci.skip", "agentgate.override=hotfix"])
    #expect(PushOptions.overrideReason(options) == "hotfix")
    #expect(PushOptions.overrideReason(["ci.skip"]) == nil)
    #expect(
      OverrideDecision.decide(reason: "hotfix", pusher: "alice", allowed: ["alice"])
        == .honoured(pusher: "alice", reason: "hotfix"))
    #expect(OverrideDecision.decide(reason: "hotfix", pusher: "mallory", allowed: ["alice"]) != .none)
    #expect(
      OverrideDecision.decide(reason: "hotfix", pusher: "mallory", allowed: ["alice"])
        != .honoured(pusher: "mallory", reason: "hotfix"))
    #expect(OverrideDecision.decide(reason: "hotfix", pusher: nil, allowed: ["alice"]) != .none)
    #expect(pusherName(["GL_USERNAME": "bob"], variables: ["GITEA_PUSHER_NAME", "GL_USERNAME"]) == "bob")
  }

  @Test func auditLogAppendsJSONLines() throws {
    let dir = TempDir()
    let log = AuditLog(path: dir.file("audit/log.jsonl"))
    let verdict = Gate.verdict([], policy: PolicyIdentity(source: "built-in", hash: "h"), range: nil, shard: nil)
    try log.append(event: "pre-receive", verdict: verdict, refs: ["refs/heads/main"], pusher: "alice", override: .none)
    try log.append(
      event: "pre-receive", verdict: verdict, refs: ["refs/heads/main"], pusher: "alice",
      override: .honoured(pusher: "alice", reason: "hotfix"))
    let lines = try String(contentsOfFile: log.path, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 2)
    for line in lines {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      #expect(object?["pusher"] as? String == "alice")
    }
    #expect(lines[1].contains("hotfix"))
  }

  @Test func ciRangeFromEachCI() throws {
    let gl = try CIRange.detect(environment: [
      "GITLAB_CI": "true", "CI_MERGE_REQUEST_DIFF_BASE_SHA": "abc1234", "CI_COMMIT_SHA": "def5678",
    ])
    #expect(gl.revisions == ["abc1234..def5678"])
    let zeros = String(repeating: "0", count: 40)
    #expect(throws: GateError.self) {
      try CIRange.detect(environment: ["GITLAB_CI": "true", "CI_COMMIT_BEFORE_SHA": zeros, "CI_COMMIT_SHA": "d"])
    }
    let gh = try CIRange.detect(
      environment: ["GITHUB_ACTIONS": "true"],
      eventJSON: ["pull_request": ["base": ["sha": "b1b1b1b"], "head": ["sha": "h2h2h2h"]]])
    #expect(gh.revisions == ["b1b1b1b..h2h2h2h"])
    let push = try CIRange.detect(
      environment: ["GITHUB_ACTIONS": "true"], eventJSON: ["before": zeros, "after": "a1a1a1a"],
      defaultBranchRef: "origin/main")
    #expect(push.revisions == ["origin/main..a1a1a1a"])
    #expect(throws: GateError.self) { try CIRange.detect(environment: [:]) }
  }

  @Test func hookInstallerChainsAndRestores() throws {
    let dir = TempDir()
    try dir.write("hooks/pre-commit", "#!/bin/sh\necho earlier\n", executable: true)
    let done = try HookInstaller.install(
      hooks: ["pre-commit", "commit-msg"], into: dir.file("hooks"), binary: "/opt/ag bin/agentgate")
    #expect(done.contains { $0.contains("kept the existing pre-commit") })
    let script = try String(contentsOfFile: dir.file("hooks/pre-commit"), encoding: .utf8)
    #expect(script.contains(HookInstaller.marker))
    #expect(script.contains("'/opt/ag bin/agentgate'"))
    #expect(FileManager.default.fileExists(atPath: dir.file("hooks/pre-commit.agentgate-chained")))
    _ = try HookInstaller.install(hooks: ["pre-commit"], into: dir.file("hooks"), binary: "/x/agentgate")
    _ = try HookInstaller.uninstall(hooks: ["pre-commit", "commit-msg"], from: dir.file("hooks"))
    #expect(try String(contentsOfFile: dir.file("hooks/pre-commit"), encoding: .utf8) == "#!/bin/sh\necho earlier\n")
    #expect(!FileManager.default.fileExists(atPath: dir.file("hooks/commit-msg")))
  }

  @Test func shardParsing() {
    #expect(Shard("2/4") == Shard(index: 2, count: 4))
    #expect(Shard("0/4") == nil)
    #expect(Shard("5/4") == nil)
    #expect(Shard("x") == nil)
  }

  @Test func pushMessageNamesCommitAgentRuleAndPlace() {
    let record = CommitRecord(
      id: String(repeating: "a", count: 40), author: Signature(name: "Bot", email: "b@x"),
      committer: Signature(name: "Bot", email: "b@x"), message: "Add config\n")
    let f = Finding(
      rule: "github-pat", category: .secret, severity: .high, path: "config.env", line: 3, fingerprint: "f",
      match: "ghp_****(40 chars)", message: "A GitHub token")
    let c = CommitVerdict(
      commit: record, attribution: Attribution(agent: "claude-code", confidence: .high), findings: [f],
      replay: ReplayOutcome(status: .skipped), decision: .fail, reasons: ["fail: secret"])
    let v = Gate.verdict([c], policy: PolicyIdentity(source: "built-in", hash: "h"), range: nil, shard: nil)
    let text = PushMessage.render(v, overrideHint: true)
    #expect(text.contains("aaaaaaaaaaaa"))
    #expect(text.contains("claude-code"))
    #expect(text.contains("github-pat"))
    #expect(text.contains("config.env:3"))
    #expect(text.contains("agentgate.override"))
  }
}
