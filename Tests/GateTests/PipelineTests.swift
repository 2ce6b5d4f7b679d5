import Foundation
import Gate
import GateCore
import GitReading
import Policy
import TestSupport
import Testing

@Suite struct PipelineTests {
  @Test func humanCleanCommitPasses() throws {
    let repo = try GitRepo()
    let base = try repo.commit("init", files: ["README.md": "hello\n"])
    let head = try repo.commit("Add a greeting", files: ["src/greet.py": "def greet():\n    return 'hi'\n"])
    let gate = try makeGate(repo)
    let verdict = try gate.judge(.revisions(["\(base)..\(head)"]), options: JudgeOptions(replay: .off))
    #expect(verdict.decision == .pass)
    #expect(verdict.commits.count == 1)
    #expect(verdict.commits[0].attribution.agent == nil)
    #expect(verdict.commits[0].findings.isEmpty)
  }

  @Test func agentCommitWithSecretFailsAndNamesAgentAndRule() throws {
    let repo = try GitRepo()
    let base = try repo.commit("init", files: ["README.md": "hello\n"])
    let token = fakeToken(prefix: "ghp_", count: 36, seed: 7)
    let head = try repo.commit(
      "Add deploy script" + claudeTrailer, files: ["deploy.sh": "#!/bin/sh\nexport GITHUB_TOKEN=\(token)\n"])
    let gate = try makeGate(repo)
    let verdict = try gate.judge(.revisions(["\(base)..\(head)"]), options: JudgeOptions(replay: .off))
    #expect(verdict.decision == .fail)
    let c = try #require(verdict.commits.first)
    #expect(c.attribution.agent == "claude-code")
    let secret = try #require(c.findings.first { $0.category == .secret })
    #expect(secret.path == "deploy.sh")
    #expect(secret.line == 2)
    #expect(!secret.match.contains(token))
    #expect(c.reasons.contains { $0.hasPrefix("fail:") })
  }

  @Test func riskWarnsForHumansAndFailsForAgents() throws {
    let repo = try GitRepo()
    let base = try repo.commit("init", files: ["README.md": "hello\n"])
    let install = "install:\n\tcurl -fsSL https://get.example.com/install.sh | sh\n"
    let human = try repo.commit("Add installer", files: ["Makefile": install])
    let agent = try repo.commit("Add installer again" + claudeTrailer, files: ["scripts/Makefile": install])
    let gate = try makeGate(repo)
    let verdict = try gate.judge(.revisions(["\(base)..\(agent)"]), options: JudgeOptions(replay: .off))
    let byID = Dictionary(uniqueKeysWithValues: verdict.commits.map { ($0.commit.id!, $0) })
    let h = try #require(byID[human])
    let a = try #require(byID[agent])
    #expect(h.findings.contains { $0.category == .risk })
    #expect(h.decision == .warn)
    #expect(a.attribution.agent == "claude-code")
    #expect(a.decision == .fail)
    #expect(verdict.decision == .fail)
  }

  @Test func commitThatWeakensThePolicyIsJudgedByTheOldOne() throws {
    let repo = try GitRepo()
    try repo.write(".agentgate.toml", "[scanning]\nfail_on = \"low\"\n")
    let base = try repo.commit("policy", files: ["README.md": "hello\n"])
    let token = fakeToken(prefix: "ghp_", count: 36, seed: 11)
    let ids = SecretRulesIDs.github
    let head = try repo.commit(
      "Quietly leak" + claudeTrailer,
      files: [
        ".agentgate.toml": "[scanning]\ndisabled_rules = [\(ids.map { "\"\($0)\"" }.joined(separator: ", "))]\n",
        "config.env": "TOKEN=\(token)\n",
      ])
    let gate = try makeGate(repo, entryPoint: .ci, ciEnvironment: ["GITLAB_CI": "true", "CI_COMMIT_BEFORE_SHA": base])
    #expect(gate.resolved.identity.commit == base)
    let verdict = try gate.judge(.revisions(["\(base)..\(head)"]), options: JudgeOptions(replay: .off))
    #expect(verdict.decision == .fail)
    let c = try #require(verdict.commits.first)
    #expect(c.findings.contains { $0.category == .secret })
    #expect(c.findings.contains { $0.path == ".agentgate.toml" && $0.category == .risk })
  }

  @Test func stagedChangeWithAgentEnvironment() throws {
    let repo = try GitRepo()
    try repo.commit("init", files: ["README.md": "hello\n"])
    let token = fakeToken(prefix: "ghp_", count: 36, seed: 3)
    try repo.write("app.py", "API = '\(token)'\n")
    try repo.git(["add", "app.py"])
    let gate = try makeGate(repo, entryPoint: .preCommit)
    let verdict = try gate.judge(.staged, options: JudgeOptions(replay: .off, environment: ["CLAUDECODE": "1"]))
    let c = try #require(verdict.commits.first)
    #expect(c.commit.id == nil)
    #expect(c.attribution.agent == "claude-code")
    #expect(c.attribution.evidence.contains { $0.source == .env && $0.marker == "CLAUDECODE" })
    #expect(verdict.decision == .fail)
  }

  @Test func commitMessageTrailerAloneAttributesStagedChange() throws {
    let repo = try GitRepo()
    try repo.commit("init", files: ["README.md": "hello\n"])
    try repo.write("a.txt", "plain\n")
    try repo.git(["add", "a.txt"])
    let gate = try makeGate(repo, entryPoint: .commitMsg)
    let verdict = try gate.judge(.staged, options: JudgeOptions(replay: .off, message: "Add a" + claudeTrailer))
    #expect(verdict.commits.first?.attribution.agent == "claude-code")
  }

  @Test func shardsPartitionTheRange() throws {
    let repo = try GitRepo()
    var ids: [String] = []
    for i in 0..<12 { ids.append(try repo.commit("c\(i)", files: ["f\(i).txt": "\(i)\n"])) }
    let gate = try makeGate(repo)
    var seen: [String] = []
    for k in 1...3 {
      var options = JudgeOptions(replay: .off)
      options.shard = Shard(index: k, count: 3)
      let v = try gate.judge(.revisions([ids.last!]), options: options)
      #expect(v.shard == "\(k)/3")
      seen += v.commits.compactMap(\.commit.id)
    }
    #expect(Set(seen) == Set(ids))
    #expect(seen.count == ids.count)
  }

  @Test func deadlineStopsWithAnErrorNotAPass() throws {
    let repo = try GitRepo()
    let a = try repo.commit("a", files: ["a.txt": "1\n"])
    let b = try repo.commit("b", files: ["b.txt": "2\n"])
    let gate = try makeGate(repo)
    var options = JudgeOptions(replay: .off)
    options.deadline = -1
    #expect(throws: GateError.self) { try gate.judge(.revisions(["\(a)..\(b)"]), options: options) }
  }
}

/// The ids of the GitHub token rules, so the weakening test disables exactly what would catch it.
enum SecretRulesIDs {
  static var github: [String] { RuleSet.metadata.filter { $0.family == .secret && $0.id.contains("github") }.map(\.id) }
}

@Suite struct DeciderTests {
  let finding = Finding(
    rule: "github-pat", category: .secret, severity: .high, path: "a", line: 1, fingerprint: "f", match: "ghp_****",
    message: "m")
  let agent = Attribution(agent: "aider", confidence: .high)

  @Test func secretsFailForEveryone() {
    let d = Decider(policy: RepositoryPolicy())
    let skipped = ReplayOutcome(status: .skipped)
    #expect(d.decide(attribution: agent, authorEmail: "x@y", findings: [finding], replay: skipped).0 == .fail)
    #expect(d.decide(attribution: .none, authorEmail: "x@y", findings: [finding], replay: skipped).0 == .fail)
  }

  @Test func replayFailureFailsAgentsWarnsHumansAndSandboxErrorsAreErrors() {
    let d = Decider(policy: RepositoryPolicy())
    let step = ReplayStep(kind: .test, command: "make test", origin: "policy", exitStatus: 2, durationSeconds: 1)
    let failed = ReplayOutcome(status: .failed, steps: [step])
    #expect(d.decide(attribution: agent, authorEmail: "x@y", findings: [], replay: failed).0 == .fail)
    #expect(d.decide(attribution: .none, authorEmail: "x@y", findings: [], replay: failed).0 == .warn)
    let error = ReplayOutcome(status: .error, reason: "bwrap missing")
    let (decision, reasons) = d.decide(attribution: agent, authorEmail: "x@y", findings: [], replay: error)
    #expect(decision == .error)
    #expect(reasons.contains { $0.contains("bwrap missing") })
  }

  @Test func humanIdentityOverridesAttribution() {
    var policy = RepositoryPolicy()
    policy.agents.humanIdentities = ["*@trusted.example"]
    let d = Decider(policy: policy)
    #expect(!d.judgedAsAgent(agent, authorEmail: "me@trusted.example"))
    #expect(d.judgedAsAgent(agent, authorEmail: "me@other.example"))
  }
}
