// The shipped binary: `agentgate report`, `post` and `outbox` end to end, in temp dirs, against
// the loopback server.

import Foundation
import GateCore
import Reporting
import TestSupport
import Testing

/// Runs the agentgate binary with a clean token environment plus `env`.
func agentgate(_ args: [String], env: [String: String] = [:], cwd: String? = nil) throws -> ProcessResult {
  try runProcess(
    [agentgateBinary()] + args, cwd: cwd, env: env,
    removeEnv: Forge.allCases.flatMap(\.tokenVariables) + ["AGENTGATE_OUTBOX", "GITHUB_STEP_SUMMARY", "GIT_DIR"],
    timeout: 60)
}

@Suite struct ReportCommandTests {
  @Test func rendersASavedVerdictAndExitsAsItDecides() throws {
    let dir = TempDir()
    try dir.write("v.json", VerdictJSON.encode(Sample.verdict()))
    let sarif = try agentgate(["report", "--from", dir.file("v.json"), "--format", "sarif"])
    #expect(sarif.status == 1)
    #expect((jsonObject(sarif.stdout) as? [String: Any])?["version"] as? String == "2.1.0")
    let text = try agentgate(["report", "--from", dir.file("v.json")])
    #expect(text.stdout.contains("agentgate: FAIL"))
    #expect(!text.stdout.contains("\u{1B}["))  // not a terminal: no colour
    var passing = Sample.verdict()
    passing.decision = .warn
    try dir.write("w.json", VerdictJSON.encode(passing))
    #expect(try agentgate(["report", "--from", dir.file("w.json"), "--format", "junit"]).status == 0)
  }

  @Test func mergesShards() throws {
    let dir = TempDir()
    try dir.write("a.json", VerdictJSON.encode(Sample.verdict(shard: "1/2")))
    try dir.write("b.json", VerdictJSON.encode(Sample.verdict(shard: "2/2")))
    let r = try agentgate([
      "report", "--from", dir.file("a.json"), "--merge", dir.file("b.json"), "--format", "json", "--output",
      dir.file("merged.json"),
    ])
    #expect(r.status == 1)
    let merged = try VerdictJSON.decode(try String(contentsOfFile: dir.file("merged.json"), encoding: .utf8))
    #expect(merged.commits.count == 6)
    #expect(merged.shard == nil)
  }

  @Test func annotationsAppendTheStepSummary() throws {
    let dir = TempDir()
    try dir.write("v.json", VerdictJSON.encode(Sample.verdict()))
    try dir.write("summary.md", "")
    let r = try agentgate(
      ["report", "--from", dir.file("v.json"), "--format", "github-annotations"],
      env: ["GITHUB_STEP_SUMMARY": dir.file("summary.md")])
    #expect(r.stdout.contains("::error file=src/app.swift,line=12,col=5,title=agentgate%3A aws-access-key::"))
    #expect(try String(contentsOfFile: dir.file("summary.md"), encoding: .utf8).hasPrefix("## agentgate: ❌ FAIL"))
  }

  @Test(arguments: [
    (["report", "--from", "/nonexistent.json"], "cannot read the verdict file"),
    (["report", "--from", "/etc/hostname"], "not JSON"),
    (["report", "--from", "x", "--format", "pdf"], "unknown format pdf"),
    (["post", "--forge", "svn", "--api-url", "http://x", "--forge-repo", "a/b", "v.json"], "unknown forge svn"),
    (["post", "--forge", "github", "--api-url", "ftp://x", "--forge-repo", "a/b", "v.json"], "is not http(s)"),
    (["post", "--forge", "github", "--api-url", "https://x", "--forge-repo", "ab", "v.json"], "is not OWNER/REPO"),
  ])
  func badInvocationsExit2WithAReason(args: [String], says: String) throws {
    let r = try agentgate(args)
    #expect(r.status == 2)
    #expect(r.stderr.contains(says), "\(r.stderr)")
  }
}

@Suite struct PostCommandTests {
  @Test func postsWithTheTokenFromTheEnvironment() throws {
    let server = try LoopbackServer()
    let dir = TempDir()
    try dir.write("v.json", VerdictJSON.encode(Sample.verdict()))
    let r = try agentgate(
      [
        "post", "--forge", "forgejo", "--api-url", server.baseURL + "/api/v1", "--forge-repo", "o/r", "--context",
        "gate", "--outbox", dir.file("box"), dir.file("v.json"),
      ], env: ["GITEA_TOKEN": testToken])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("posted the verdict (fail) to forgejo o/r"))
    #expect(server.requests.first?.headers["authorization"] == "token \(testToken)")
    #expect(server.requests.first?.json["context"] as? String == "gate")
  }

  @Test func failureGoesToTheOutboxExit2ThenFlushDelivers() throws {
    let server = try LoopbackServer(fallback: { _ in .status(503, "down") })
    let dir = TempDir()
    try dir.write("v.json", VerdictJSON.encode(Sample.verdict()))
    let env = ["GITHUB_TOKEN": testToken, "AGENTGATE_OUTBOX": dir.file("box")]
    let r = try agentgate(
      [
        "post", "--forge", "github", "--api-url", server.baseURL, "--forge-repo", "o/r", "--timeout", "0.5",
        dir.file("v.json"),
      ], env: env)
    #expect(r.status == 2)
    #expect(r.stderr.contains("kept in the outbox"))
    #expect(r.stderr.contains("agentgate outbox flush"))
    #expect(!(r.stdout + r.stderr).contains(testToken))

    let list = try agentgate(["outbox", "list", "--format", "json"], env: env)
    #expect(list.status == 0)
    let items = (jsonObject(list.stdout) as? [String: Any])?["items"] as? [[String: Any]] ?? []
    #expect(items.count == 1)
    #expect(items.first?["state"] as? String == "pending")
    #expect(!list.stdout.contains(testToken))

    server.setFallback { _ in .status(201) }
    let flush = try agentgate(["outbox", "flush"], env: env)
    #expect(flush.status == 0, "\(flush.stderr)")
    #expect(flush.stdout.contains("1 delivered, 0 still queued, 0 dead-lettered"))
    #expect(server.requests.last?.headers["authorization"] == "Bearer \(testToken)")
    let empty = try agentgate(["outbox", "list"], env: env)
    #expect(empty.stdout.contains("is empty"))
    #expect(try agentgate(["outbox", "drop", "nope"], env: env).status == 2)
  }

  @Test func theMachineConfigurationNamesTheOutboxAndTheTokenVariable() throws {
    let server = try LoopbackServer(fallback: { _ in .status(503, "down") })
    let dir = TempDir()
    try dir.write("v.json", VerdictJSON.encode(Sample.verdict()))
    try dir.write(
      "config.toml", "[outbox]\ndir = \"\(dir.file("machine-box"))\"\n\n[tokens]\ngithub = \"CORP_GH_TOKEN\"\n")
    // The machine's variable is used; GITHUB_TOKEN is not set at all.
    let env = ["CORP_GH_TOKEN": testToken, "HOME": dir.file("home"), "XDG_CONFIG_HOME": dir.file("xdg")]
    let r = try agentgate(
      [
        "post", "--forge", "github", "--api-url", server.baseURL, "--forge-repo", "o/r", "--timeout", "0.5",
        "--config", dir.file("config.toml"), dir.file("v.json"),
      ], env: env, cwd: dir.path)
    #expect(r.status == 2)
    #expect(server.requests.first?.headers["authorization"] == "Bearer \(testToken)")
    let pending = try FileManager.default.contentsOfDirectory(atPath: dir.file("machine-box/pending"))
    #expect(pending.count == 1)

    server.setFallback { _ in .status(201) }
    let flush = try agentgate(["outbox", "flush", "--config", dir.file("config.toml")], env: env, cwd: dir.path)
    #expect(flush.status == 0, "\(flush.stderr)")
    #expect(flush.stdout.contains("1 delivered"))
    #expect(server.requests.last?.headers["authorization"] == "Bearer \(testToken)")
    #expect(!(r.stdout + r.stderr + flush.stdout + flush.stderr).contains(testToken))
  }

  @Test func withoutAConfiguredOutboxTheRepositorysGitDirKeepsIt() throws {
    let server = try LoopbackServer(fallback: { _ in .status(503, "down") })
    let repo = try GitRepo()
    let dir = TempDir()
    try dir.write("v.json", VerdictJSON.encode(Sample.verdict()))
    let r = try agentgate(
      [
        "post", "--forge", "github", "--api-url", server.baseURL, "--forge-repo", "o/r", "--timeout", "0.5",
        dir.file("v.json"),
      ], env: ["GITHUB_TOKEN": testToken, "HOME": dir.file("home"), "XDG_CONFIG_HOME": dir.file("xdg")],
      cwd: repo.path)
    #expect(r.status == 2)
    let pending = try FileManager.default.contentsOfDirectory(atPath: repo.path + "/.git/agentgate/outbox/pending")
    #expect(pending.count == 1)
  }

  @Test func insideGitHubActionsTheTargetComesFromTheJobsVariables() throws {
    let server = try LoopbackServer()
    let dir = TempDir()
    let verdict = Sample.verdict()
    try dir.write("v.json", VerdictJSON.encode(verdict))
    let env = [
      "GITHUB_ACTIONS": "true", "GITHUB_API_URL": server.baseURL + "/", "GITHUB_REPOSITORY": "octo/app",
      "GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "42", "GITHUB_TOKEN": testToken,
    ]
    let r = try agentgate(["post", "--outbox", dir.file("box"), dir.file("v.json")], env: env)
    #expect(r.status == 0, "\(r.stderr)")
    let request = try #require(server.requests.first)
    #expect(request.path.hasPrefix("/repos/octo/app/statuses/"))
    #expect(request.json["target_url"] as? String == "https://github.example/octo/app/actions/runs/42")
    // Outside a CI job that agentgate knows, the forge must be named.
    let outside = try agentgate(["post", dir.file("v.json")])
    #expect(outside.status == 2)
    #expect(outside.stderr.contains("--forge is needed"))
  }

  @Test func aRefusedTokenPointsToTheTokenFreeOutputs() throws {
    let server = try LoopbackServer(fallback: { _ in
      .status(403, #"{"message":"Resource not accessible by integration"}"#)
    })
    let dir = TempDir()
    try dir.write("v.json", VerdictJSON.encode(Sample.verdict()))
    let r = try agentgate(
      [
        "post", "--forge", "github", "--api-url", server.baseURL, "--forge-repo", "o/r", "--outbox", dir.file("box"),
        dir.file("v.json"),
      ], env: ["GITHUB_TOKEN": testToken])
    #expect(r.status == 2)
    #expect(r.stderr.contains("Resource not accessible by integration"))
    #expect(r.stderr.contains("token-free outputs"))
  }

  @Test func theWebhookIsSignedWithTheSecretFromTheEnvironment() throws {
    let server = try LoopbackServer()
    let dir = TempDir()
    try dir.write("v.json", VerdictJSON.encode(Sample.verdict()))
    let r = try agentgate(
      [
        "post", "--forge", "webhook", "--api-url", server.baseURL + "/hook", "--forge-repo", "o/r", "--outbox",
        dir.file("box"), dir.file("v.json"),
      ], env: ["AGENTGATE_WEBHOOK_SECRET": "k"])
    #expect(r.status == 0, "\(r.stderr)")
    let req = try #require(server.requests.first)
    let mac = SHA256.hmac(key: Array("k".utf8), message: req.body)
    #expect(req.headers["x-agentgate-signature-256"] == "sha256=" + hexString(mac))
  }

  @Test func theOutboxDefaultsToTheGitDir() throws {
    let repo = try GitRepo()
    let server = try LoopbackServer(fallback: { _ in .status(500) })
    try repo.write("v.json", VerdictJSON.encode(Sample.verdict()))
    let r = try agentgate(
      [
        "post", "--forge", "gitea", "--api-url", server.baseURL, "--forge-repo", "o/r", "--timeout", "0.3", "v.json",
      ], env: ["GITEA_TOKEN": testToken], cwd: repo.path)
    #expect(r.status == 2)
    let pending = try FileManager.default.contentsOfDirectory(atPath: repo.path + "/.git/agentgate/outbox/pending")
    #expect(pending.filter { $0.hasSuffix(".json") }.count == 1)
  }
}
