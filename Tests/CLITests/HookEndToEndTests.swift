import Foundation
import TestSupport
import Testing

private let agentTrailer = "\n\nCo-Authored-By: Claude <noreply@anthropic.com>"

@Suite(.serialized) struct HookEndToEndTests {
  /// A bare server with the gate's pre-receive installed, and a clone to push from.
  func server() throws -> (server: GitRepo, client: GitRepo) {
    let server = try GitRepo(bare: true)
    let install = try runProcess([agentgateBinary(), "install", "--hook", "pre-receive", "--repo", server.path])
    #expect(install.status == 0, "\(install.stderr)")
    // Replay is the server's business after the push; these tests judge the scans.
    try Data("[replay.when]\npre-receive = \"off\"\npost-receive = \"off\"\n".utf8)
      .write(to: URL(fileURLWithPath: server.path + "/hooks/agentgate.toml"))
    let client = try GitRepo()
    try client.git(["remote", "add", "origin", server.path])
    return (server, client)
  }

  @Test func cleanHumanPushIsAcceptedAndAgentSecretIsRejected() throws {
    let (server, client) = try server()
    try client.commit("init", files: ["README.md": "hello\n"])
    try client.git(["push", "-q", "origin", "main"])
    let accepted = try server.git(["rev-parse", "main"])

    let token = fakeToken(seed: 5)
    try client.commit("Add config" + agentTrailer, files: ["config.env": "TOKEN=\(token)\n"])
    let push = try runProcess(["git", "-C", client.path, "push", "origin", "main"], env: ["HOME": client.path])
    #expect(push.status != 0)
    #expect(push.stderr.contains("push rejected"))
    #expect(push.stderr.contains("claude-code"))
    #expect(push.stderr.contains("config.env:1"))
    #expect(!push.stderr.contains(token))
    #expect(try server.git(["rev-parse", "main"]) == accepted)
    let audit = try String(contentsOfFile: server.path + "/agentgate/audit.jsonl", encoding: .utf8)
    #expect(audit.contains("\"decision\":\"fail\""))
  }

  @Test func overrideNeedsAnAllowedPusher() throws {
    let (server, client) = try server()
    try client.commit("init", files: ["README.md": "hello\n"])
    try client.git(["push", "-q", "origin", "main"])
    let config = server.dir.file("machine.toml")
    try Data("[override]\nusers = [\"alice\"]\n".utf8).write(to: URL(fileURLWithPath: config))
    try client.commit("Add config" + agentTrailer, files: ["config.env": "TOKEN=\(fakeToken(seed: 9))\n"])
    let env = ["HOME": client.path, "XDG_CONFIG_HOME": server.dir.file("xdg")]
    try FileManager.default.createDirectory(atPath: server.dir.file("xdg/agentgate"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: config, toPath: server.dir.file("xdg/agentgate/config.toml"))
    var refused = env
    refused["REMOTE_USER"] = "mallory"
    let r1 = try runProcess(
      ["git", "-C", client.path, "push", "-o", "agentgate.override=hotfix", "origin", "main"], env: refused)
    #expect(r1.status != 0)
    #expect(r1.stderr.contains("Override refused"))
    var allowed = env
    allowed["REMOTE_USER"] = "alice"
    let r2 = try runProcess(
      ["git", "-C", client.path, "push", "-o", "agentgate.override=hotfix", "origin", "main"], env: allowed)
    #expect(r2.status == 0, "\(r2.stderr)")
    #expect(r2.stderr.contains("override by alice honoured"))
  }

  @Test func preCommitRefusesAnAgentsStagedTokenAndAllowsCleanChange() throws {
    let repo = try GitRepo()
    try repo.commit("init", files: ["README.md": "hello\n"])
    try repo.dir.write(".git/hooks/pre-commit", "#!/bin/sh\necho earlier-hook-ran >&2\n", executable: true)
    let install = try runProcess([agentgateBinary(), "install", "--hook", "pre-commit", "--repo", repo.path])
    #expect(install.status == 0, "\(install.stderr)")
    try repo.write("app.py", "API = '\(fakeToken(seed: 13))'\n")
    try repo.git(["add", "app.py"])
    let env = ["CLAUDECODE": "1", "HOME": repo.path]
    let refused = try runProcess(["git", "-C", repo.path, "commit", "-m", "Add api"], env: env)
    #expect(refused.status != 0)
    #expect(refused.stderr.contains("earlier-hook-ran"))
    #expect(refused.stderr.contains("claude-code"))
    try repo.write("app.py", "import os\nAPI = os.environ['API']\n")
    try repo.git(["add", "app.py"])
    let allowed = try runProcess(["git", "-C", repo.path, "commit", "-m", "Add api"], env: env)
    #expect(allowed.status == 0, "\(allowed.stderr)")
  }

  @Test func commitMsgCatchesATrailerOnlyAgentCommit() throws {
    let repo = try GitRepo()
    try repo.write(".agentgate.toml", "[decision.agent]\nrisk_low = \"fail\"\nrisk_medium = \"fail\"\n")
    try repo.commit("init", files: ["README.md": "hello\n"])
    _ = try runProcess([agentgateBinary(), "install", "--hook", "pre-commit", "--repo", repo.path])
    // A test skip is a medium risk: a warning for people, a block for agents under this policy.
    try repo.write("test_x.py", "import pytest\n\n@pytest.mark.skip\ndef test_x():\n    assert 1\n")
    try repo.git(["add", "test_x.py"])
    let human = try runProcess(
      ["git", "-C", repo.path, "commit", "-q", "--dry-run", "-m", "Skip"], env: ["HOME": repo.path])
    #expect(human.status == 0)
    let agent = try runProcess(
      ["git", "-C", repo.path, "commit", "-m", "Skip flaky test" + agentTrailer], env: ["HOME": repo.path])
    #expect(agent.status != 0, "\(agent.stderr)")
    #expect(agent.stderr.contains("claude-code"))
  }

  @Test func badHookInputIsAClearErrorAndNothingHangs() throws {
    let repo = try GitRepo(bare: true)
    let garbage = try runProcess(
      [agentgateBinary(), "pre-receive", "--repo", repo.path], stdin: Data("not a ref update\n".utf8), timeout: 30)
    #expect(garbage.status == 2)
    #expect(garbage.stderr.hasPrefix("agentgate: "))
    let unknown = String(repeating: "1", count: 40)
    let zeros = String(repeating: "0", count: 40)
    let missing = try runProcess(
      [agentgateBinary(), "pre-receive", "--repo", repo.path], stdin: Data("\(zeros) \(unknown) refs/heads/x\n".utf8),
      timeout: 30)
    #expect(missing.status == 2)
    let deletion = try runProcess(
      [agentgateBinary(), "pre-receive", "--repo", repo.path], stdin: Data("\(unknown) \(zeros) refs/heads/x\n".utf8),
      timeout: 30)
    #expect(deletion.status == 0, "\(deletion.stderr)")
  }
  @Test func tagsArePassedWhenTheirCommitsAreAcceptedAndCannotSmuggleASecret() throws {
    let (server, client) = try server()
    try client.commit("init", files: ["README.md": "hello\n"])
    try client.git(["push", "-q", "origin", "main"])
    let env = ["HOME": client.path]
    // Tags of commits the server already has: nothing new to judge, the push passes.
    try client.git(["tag", "-a", "v1", "-m", "release 1"])
    try client.git(["tag", "light"])
    let tags = try runProcess(["git", "-C", client.path, "push", "origin", "v1", "light"], env: env)
    #expect(tags.status == 0, "\(tags.stderr)")
    #expect(try server.git(["rev-parse", "v1^{commit}"]) == client.git(["rev-parse", "main"]))
    // A tag of an agent commit that is on no branch is judged like a branch.
    try client.git(["checkout", "-q", "--detach"])
    let token = fakeToken(seed: 31)
    try client.commit("Add key" + agentTrailer, files: ["key.env": "TOKEN=\(token)\n"])
    try client.git(["tag", "-a", "v2", "-m", "release 2"])
    let smuggled = try runProcess(["git", "-C", client.path, "push", "origin", "v2"], env: env)
    #expect(smuggled.status != 0)
    #expect(smuggled.stderr.contains("push rejected"))
    #expect(smuggled.stderr.contains("key.env:1"))
    #expect(!smuggled.stderr.contains(token))
    let present = try runProcess(["git", "-C", server.path, "rev-parse", "--verify", "-q", "refs/tags/v2"])
    #expect(present.status != 0)
    // A tag of a tree (no commit): nothing to judge, and git accepts it.
    let tree = try client.git(["rev-parse", "HEAD^{tree}"])
    try client.git(["tag", "-a", "tree-tag", "-m", "a tree", tree])
    let treeTag = try runProcess(["git", "-C", client.path, "push", "origin", "tree-tag"], env: env)
    #expect(treeTag.status == 0, "\(treeTag.stderr)")
  }

  @Test(arguments: ["pre-receive", "post-receive", "pre-push"])
  func aTerminalOnStdinIsAClearErrorNotAHang(hook: String) throws {
    let repo = try GitRepo(bare: true)
    // `script` gives the hook a pseudo-terminal as stdin, as when someone runs it by hand.
    func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let command = "\(quote(agentgateBinary())) \(hook) --repo \(quote(repo.path))"
    let r = try runProcess(["script", "-qec", command, "/dev/null"], timeout: 30)
    #expect(r.status == 2, "\(r.stdout)")
    #expect(r.stdout.contains("stdin is a terminal"))
  }

  @Test func postReceiveReusesTheJudgementsOfPreReceive() throws {
    let server = try GitRepo(bare: true)
    let install = try runProcess([agentgateBinary(), "install", "--hook", "pre-receive", "--repo", server.path])
    #expect(install.status == 0, "\(install.stderr)")
    try Data("[replay]\ntest = [\"test -f README.md\"]\n".utf8)
      .write(to: URL(fileURLWithPath: server.path + "/hooks/agentgate.toml"))
    let client = try GitRepo()
    try client.git(["remote", "add", "origin", server.path])
    let base = try client.commit("init", files: ["README.md": "hello\n"])
    try client.commit("Add notes" + agentTrailer, files: ["NOTES.md": "notes\n"])
    let head = try client.commit("Add more", files: ["MORE.md": "more\n"])
    let state = server.dir.file("state")
    let push = try runProcess(
      ["git", "-C", client.path, "push", "origin", "main"], env: ["HOME": client.path, "XDG_STATE_HOME": state])
    #expect(push.status == 0, "\(push.stderr)")

    // The background job judges the same three commits twice (pending, then with the replay):
    // both times from the entries pre-receive stored.
    let (job, verdictPath) = try waitForBackgroundJob(state: state)
    #expect(FileManager.default.fileExists(atPath: verdictPath), "the job wrote no verdict")
    let log = try String(contentsOfFile: "\(job)/log", encoding: .utf8)
    #expect(log.contains("verdict cache: 6 hits, 0 misses, 0 stored"), "\(log)")

    // By hand with --verbose: two of those commits again, both hits; --no-cache judges afresh.
    let input = Data("\(base) \(head) refs/heads/main\n".utf8)
    let again = try runProcess(
      [agentgateBinary(), "pre-receive", "--repo", server.path, "--verbose"], stdin: input, timeout: 60)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stderr.contains("verdict cache: 2 hits, 0 misses, 0 stored"), "\(again.stderr)")
    let fresh = try runProcess(
      [agentgateBinary(), "pre-receive", "--repo", server.path, "--verbose", "--no-cache"], stdin: input, timeout: 60)
    #expect(fresh.status == 0, "\(fresh.stderr)")
    #expect(fresh.stderr.contains("verdict cache: 0 hits, 0 misses, 0 stored"), "\(fresh.stderr)")
  }
  @Test(arguments: [
    ("pre-receive", "not a ref update\n"), ("post-receive", "1234 refs/heads/main\n"),
    ("pre-push", "refs/heads/main abc refs/heads/main def\n"),
    ("pre-receive", "\(String(repeating: "0", count: 40)) \(String(repeating: "a", count: 40)) not-a-ref\n"),
  ])
  func garbageOnStdinIsExitTwoWithTheLineNamed(hook: String, input: String) throws {
    let repo = try GitRepo()
    try repo.commit("init", files: ["README.md": "hello\n"])
    let r = try runProcess(
      [agentgateBinary(), hook, "--repo", repo.path], stdin: Data(input.utf8), timeout: 30)
    #expect(r.status == 2, "\(r.stderr)")
    #expect(r.stderr.hasPrefix("agentgate: "))
    #expect(r.stderr.contains("line 1"), "\(r.stderr)")
  }

  @Test func prePushOfAnUnknownCommitCannotDecide() throws {
    let repo = try GitRepo()
    try repo.commit("init", files: ["README.md": "hello\n"])
    let unknown = String(repeating: "1", count: 40)
    let zeros = String(repeating: "0", count: 40)
    let r = try runProcess(
      [agentgateBinary(), "pre-push", "origin", "/nowhere", "--repo", repo.path],
      stdin: Data("refs/heads/main \(unknown) refs/heads/main \(zeros)\n".utf8), timeout: 30)
    #expect(r.status == 2, "\(r.stderr)")
    #expect(r.stderr.contains(unknown), "\(r.stderr)")
  }
}
