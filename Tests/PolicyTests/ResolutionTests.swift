import Foundation
import GateCore
import Policy
import TestSupport
import Testing

/// `PolicyRefReader` over the git CLI, for tests (the product uses libgit2).
struct GitCLIReader: PolicyRefReader {
  let path: String
  let bare: Bool

  init(_ repo: GitRepo, bare: Bool = false) {
    path = repo.path
    self.bare = bare
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  private func git(_ args: [String]) throws -> ProcessResult {
    try runProcess(
      ["git", "-C", path] + args, env: ["GIT_CONFIG_NOSYSTEM": "1", "HOME": path],
      removeEnv: ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"], timeout: 30)
  }

  func resolveCommit(_ rev: String) throws -> String {
    let r = try git(["rev-parse", "--verify", "--quiet", "\(rev)^{commit}"])
    guard r.status == 0 else { throw Failure(description: "'\(rev)' is not a commit") }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  func readFile(rev: String, path file: String) throws -> [UInt8]? {
    let kind = try git(["cat-file", "-t", "\(rev):\(file)"])
    guard kind.status == 0 else { return nil }
    guard kind.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "blob" else {
      throw Failure(description: "\(file) at \(rev) is not a file")
    }
    let r = try git(["cat-file", "blob", "\(rev):\(file)"])
    guard r.status == 0 else { throw Failure(description: r.stderr) }
    return [UInt8](r.stdoutData)
  }

  func defaultBranch() -> String? {
    guard let r = try? git(["symbolic-ref", "HEAD"]), r.status == 0 else { return nil }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  func configString(_ key: String) -> String? {
    guard let r = try? git(["config", "--get", key]), r.status == 0 else { return nil }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  var workTreePath: String? { bare ? nil : path }
}

let strictPolicy = """
  [scanning]
  fail_on = "low"
  baseline = "baseline.json"

  [decision.agent]
  risk_medium = "fail"
  """

let weakPolicy = """
  [scanning]
  fail_on = "critical"
  disabled_rules = ["private-key"]
  baseline = "baseline.json"

  [decision.agent]
  secret = "ignore"
  replay_failure = "ignore"
  """

func resolver(
  _ reader: (any PolicyRefReader)?, machine: MachineConfig = MachineConfig(), cwd: String = "/"
)
  -> PolicyResolver
{
  PolicyResolver(reader: reader, machine: machine, currentDirectory: cwd)
}

@Suite struct LocalHookResolutionTests {
  @Test(arguments: [EntryPoint.preCommit, .commitMsg, .prePush])
  func policyAtHeadNotTheWorkingTree(_ ep: EntryPoint) throws {
    let repo = try GitRepo()
    let head = try repo.commit("policy", files: [".agentgate.toml": strictPolicy])
    // An uncommitted (and a staged) weakening changes nothing.
    try repo.write(".agentgate.toml", weakPolicy)
    try repo.git(["add", ".agentgate.toml"])
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: ep)
    #expect(r.policy.scanning.failOn == .low)
    #expect(r.identity.commit == head)
    #expect(r.identity.source == "HEAD:.agentgate.toml")
    #expect(r.identity.hash == SHA256.hex(Array(strictPolicy.utf8)))
    #expect(r.location == .commit(head))
    #expect(r.origins["scanning.fail_on"] == .file(source: "HEAD:.agentgate.toml", line: 2))
    #expect(r.origins["agents.min_confidence"] == .builtInDefault)
    #expect(r.trail == ["--policy: not given", "HEAD@\(head.prefix(12)): .agentgate.toml used"])
  }

  @Test func unbornHeadGivesTheDefault() throws {
    let repo = try GitRepo()
    try repo.write(".agentgate.toml", weakPolicy)
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .preCommit)
    #expect(r.policy == .default)
    #expect(r.identity.source == "built-in default")
    #expect(r.identity.commit == nil)
    #expect(r.location == .builtIn)
    #expect(r.trail.contains { $0.contains("no commit yet") })
  }

  @Test func headWithoutPolicyGivesTheDefault() throws {
    let repo = try GitRepo()
    try repo.commit("no policy", files: ["README": "x"])
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .preCommit)
    #expect(r.policy == .default)
    #expect(r.trail.contains { $0.contains("no .agentgate.toml") })
  }

  @Test func policyFileFlagWins() throws {
    let repo = try GitRepo()
    try repo.commit("policy", files: [".agentgate.toml": strictPolicy])
    let dir = TempDir()
    try dir.write("mine.toml", "[posting]\ncontext = \"mine\"\n")
    let r = try resolver(GitCLIReader(repo), cwd: dir.path).resolve(entryPoint: .preCommit, policyFile: "mine.toml")
    #expect(r.policy.posting.context == "mine")
    #expect(r.identity.source == dir.file("mine.toml"))
    #expect(r.identity.commit == nil)
    #expect(r.location == .file(path: dir.file("mine.toml")))
  }

  @Test func missingPolicyFileIsAnError() throws {
    let repo = try GitRepo()
    #expect(throws: PolicyError.self) {
      try resolver(GitCLIReader(repo)).resolve(entryPoint: .preCommit, policyFile: "/nonexistent/p.toml")
    }
  }

  @Test(arguments: [EntryPoint.preCommit, .commitMsg, .prePush, .preReceive, .postReceive])
  func policyRefIsRefusedWhereItHasNoPlace(_ ep: EntryPoint) throws {
    let repo = try GitRepo()
    try repo.commit("c")
    do {
      _ = try resolver(GitCLIReader(repo)).resolve(entryPoint: ep, policyRef: "HEAD")
      Issue.record("expected flagNotAllowed")
    } catch {
      guard case .flagNotAllowed(let flag, let name, _) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(flag == "--policy-ref")
      #expect(name == ep.rawValue)
    }
  }

  @Test func policyPathThatIsADirectoryIsAnError() throws {
    let repo = try GitRepo()
    try repo.commit("dir", files: [".agentgate.toml/x": "y"])
    do {
      _ = try resolver(GitCLIReader(repo)).resolve(entryPoint: .preCommit)
      Issue.record("expected an error")
    } catch {
      guard case .refUnreadable(_, let path, _) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(path == ".agentgate.toml")
    }
  }

  @Test func brokenPolicyAtHeadIsAnErrorNotTheDefault() throws {
    let repo = try GitRepo()
    try repo.commit("broken", files: [".agentgate.toml": "[scanning]\nfail_on = \"sometimes\"\n"])
    do {
      _ = try resolver(GitCLIReader(repo)).resolve(entryPoint: .preCommit)
      Issue.record("expected an error")
    } catch {
      #expect(error.key == "scanning.fail_on")
      #expect(error.line == 2)
      #expect(error.description.contains("HEAD:.agentgate.toml"))
    }
  }
}

@Suite struct ServerResolutionTests {
  /// A server repository whose default branch carries `policy`, pushed from a working clone.
  func server(policy: String) throws -> (work: GitRepo, bare: GitRepo, main: String) {
    let bare = try GitRepo(bare: true)
    let work = try GitRepo()
    let main = try work.commit("policy", files: [".agentgate.toml": policy, "baseline.json": "strict-baseline"])
    try work.git(["push", "-q", bare.path, "main"])
    return (work, bare, main)
  }

  @Test(arguments: [EntryPoint.preReceive, .postReceive])
  func newBranchIsJudgedByTheDefaultBranch(_ ep: EntryPoint) throws {
    let (work, bare, main) = try server(policy: strictPolicy)
    try work.git(["checkout", "-q", "-b", "feature"])
    try work.commit("weaken", files: [".agentgate.toml": weakPolicy, "baseline.json": "weak-baseline"])
    try work.git(["push", "-q", bare.path, "feature"])
    let reader = GitCLIReader(bare, bare: true)
    let res = resolver(reader)
    let r = try res.resolve(entryPoint: ep)
    #expect(r.policy.scanning.failOn == .low)
    #expect(r.policy.decision.agent.secret == .fail)
    #expect(r.identity.source == "refs/heads/main:.agentgate.toml")
    #expect(r.identity.commit == main)
    #expect(r.identity.label == "refs/heads/main:.agentgate.toml@\(main.prefix(12))")
    // The baseline named by the policy comes from the same trusted commit.
    let baseline = try res.readTrusted(path: "baseline.json", for: r)
    #expect(baseline.map { String(decoding: $0, as: UTF8.self) } == "strict-baseline")
  }

  @Test func pushToTheDefaultBranchThatWeakensThePolicyIsJudgedByTheOldTip() throws {
    let (work, bare, main) = try server(policy: strictPolicy)
    let weakening = try work.commit("weaken", files: [".agentgate.toml": weakPolicy])
    // In pre-receive the pushed objects exist but the refs are not updated yet: the objects are
    // sent under a side ref, the default branch still points at the old tip.
    try work.git(["push", "-q", bare.path, "main:refs/incoming/push-1"])
    let r = try resolver(GitCLIReader(bare, bare: true)).resolve(entryPoint: .preReceive)
    #expect(r.identity.commit == main)
    #expect(r.identity.commit != weakening)
    #expect(r.policy.decision.agent.secret == .fail)
    #expect(r.policy.scanning.disabledRules.isEmpty)
  }

  @Test func serverConfigPolicyWinsOverTheDefaultBranch() throws {
    let (_, bare, _) = try server(policy: strictPolicy)
    let dir = TempDir()
    try dir.write("server-policy.toml", "[replay]\nmode = \"each\"\n")
    try dir.write("server-baseline.json", "server")
    try bare.git(["config", "agentgate.policy", dir.file("server-policy.toml")])
    let res = resolver(GitCLIReader(bare, bare: true))
    let r = try res.resolve(entryPoint: .preReceive)
    #expect(r.policy.replay.mode == .each)
    #expect(r.policy.scanning.failOn == .medium)
    #expect(r.identity.source == dir.file("server-policy.toml"))
    #expect(r.trail.contains { $0.hasPrefix("git config agentgate.policy") })
    #expect(
      try res.readTrusted(path: "server-baseline.json", for: r).map { String(decoding: $0, as: UTF8.self) } == "server")
    #expect(try res.readTrusted(path: "absent.json", for: r) == nil)
  }

  @Test func serverConfigPolicyMustExistAndBeAbsolute() throws {
    let (_, bare, _) = try server(policy: strictPolicy)
    try bare.git(["config", "agentgate.policy", "/nonexistent/policy.toml"])
    #expect(throws: PolicyError.fileMissing(path: "/nonexistent/policy.toml", origin: "git config agentgate.policy")) {
      try resolver(GitCLIReader(bare, bare: true)).resolve(entryPoint: .preReceive)
    }
    try bare.git(["config", "agentgate.policy", "relative.toml"])
    #expect(throws: PolicyError.self) { try resolver(GitCLIReader(bare, bare: true)).resolve(entryPoint: .preReceive) }
  }

  @Test func emptyServerRepositoryUsesTheDefault() throws {
    let bare = try GitRepo(bare: true)
    let r = try resolver(GitCLIReader(bare, bare: true)).resolve(entryPoint: .preReceive)
    #expect(r.policy == .default)
    #expect(r.identity.source == "built-in default")
  }
}

@Suite struct CIResolutionTests {
  /// A CI clone: `base` carries the strict policy, HEAD (its child) weakens it.
  func checkout() throws -> (repo: GitRepo, base: String, head: String) {
    let repo = try GitRepo()
    let base = try repo.commit("policy", files: [".agentgate.toml": strictPolicy, "baseline.json": "base"])
    let head = try repo.commit("weaken", files: [".agentgate.toml": weakPolicy, "baseline.json": "head"])
    return (repo, base, head)
  }

  @Test func gitlabPushIsJudgedByTheBeforeCommit() throws {
    let (repo, base, head) = try checkout()
    let env = ["GITLAB_CI": "true", "CI_COMMIT_BEFORE_SHA": base, "CI_COMMIT_SHA": head]
    let res = resolver(GitCLIReader(repo))
    let r = try res.resolve(entryPoint: .ci, ciEnvironment: env)
    #expect(r.identity.commit == base)
    #expect(r.policy.scanning.failOn == .low)
    #expect(r.policy.decision.agent.secret == .fail)
    #expect(try res.readTrusted(path: "baseline.json", for: r) == Array("base".utf8))
    #expect(try res.readTrusted(path: "./baseline.json", for: r) == Array("base".utf8))
    #expect(r.trail.contains { $0.contains("CI_COMMIT_BEFORE_SHA") })
  }

  @Test(arguments: ["CI_MERGE_REQUEST_DIFF_BASE_SHA", "CI_MERGE_REQUEST_TARGET_BRANCH_SHA"])
  func gitlabMergeRequestBase(_ variable: String) throws {
    let (repo, base, _) = try checkout()
    let env = ["GITLAB_CI": "true", variable: base, "CI_COMMIT_BEFORE_SHA": String(repeating: "0", count: 40)]
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, ciEnvironment: env)
    #expect(r.identity.commit == base)
  }

  @Test func gitlabZeroBeforeOnTheDefaultBranchFallsToTheDefaultPolicy() throws {
    let (repo, _, _) = try checkout()
    let env = [
      "GITLAB_CI": "true", "CI_COMMIT_BEFORE_SHA": String(repeating: "0", count: 40), "CI_COMMIT_BRANCH": "main",
      "CI_DEFAULT_BRANCH": "main",
    ]
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, ciEnvironment: env)
    #expect(r.policy == .default)
  }

  @Test func githubPullRequestUsesTheBaseBranch() throws {
    let (repo, base, _) = try checkout()
    try repo.git(["update-ref", "refs/remotes/origin/main", base])
    let env = ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"]
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, ciEnvironment: env)
    #expect(r.identity.commit == base)
    #expect(r.identity.source == "origin/main:.agentgate.toml")
  }

  @Test func githubPushUsesTheEventBefore() throws {
    let (repo, base, _) = try checkout()
    let dir = TempDir()
    try dir.write("event.json", #"{"before": "\#(base)", "repository": {"default_branch": "main"}}"#)
    let env = ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": dir.file("event.json")]
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, ciEnvironment: env)
    #expect(r.identity.commit == base)
  }

  @Test func githubNewBranchUsesTheDefaultBranch() throws {
    let (repo, base, _) = try checkout()
    try repo.git(["update-ref", "refs/remotes/origin/main", base])
    let dir = TempDir()
    try dir.write(
      "event.json", #"{"before": "0000000000000000000000000000000000000000", "repository": {"default_branch": "main"}}"#
    )
    let env = [
      "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": dir.file("event.json"),
      "GITHUB_REF": "refs/heads/feature",
    ]
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, ciEnvironment: env)
    #expect(r.identity.commit == base)
  }

  @Test func unreadableEventPayloadIsAnError() throws {
    let (repo, _, _) = try checkout()
    let env = ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/nonexistent/event.json"]
    #expect(throws: PolicyError.self) { try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, ciEnvironment: env) }
  }

  @Test func baseTheCloneDoesNotHaveIsAnError() throws {
    let (repo, _, _) = try checkout()
    let env = ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "release"]
    do {
      _ = try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, ciEnvironment: env)
      Issue.record("expected an error")
    } catch {
      guard case .unresolvedRevision(let rev, let origin, _) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(rev == "origin/release")
      #expect(origin.contains("GITHUB_BASE_REF"))
      #expect(error.description.contains("Fetch it"))
    }
  }

  @Test func policyRefFlag() throws {
    let (repo, base, head) = try checkout()
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, policyRef: "HEAD~1")
    #expect(r.identity.commit == base)
    #expect(r.identity.commit != head)
    #expect(throws: PolicyError.self) {
      try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, policyRef: "no-such-ref")
    }
  }

  @Test func policyFileInsideTheCheckoutIsRefused() throws {
    let (repo, _, _) = try checkout()
    let res = resolver(GitCLIReader(repo), cwd: repo.path)
    #expect(throws: PolicyError.policyFileInsideCheckout(path: repo.dir.file(".agentgate.toml"), workTree: repo.path)) {
      try res.resolve(entryPoint: .ci, policyFile: ".agentgate.toml")
    }
    let outside = TempDir()
    try outside.write("ci-policy.toml", strictPolicy)
    let r = try res.resolve(entryPoint: .ci, policyFile: outside.file("ci-policy.toml"))
    #expect(r.policy.scanning.failOn == .low)
  }

  @Test func noCIVariablesGivesTheDefault() throws {
    let (repo, _, _) = try checkout()
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .ci, ciEnvironment: [:])
    #expect(r.policy == .default)
  }

  @Test func trustedPathsMustStayInsideTheRepository() throws {
    let (repo, base, _) = try checkout()
    let res = resolver(GitCLIReader(repo))
    let r = try res.resolve(entryPoint: .ci, policyRef: base)
    for bad in ["../secret", "/etc/passwd", "a/../../b", ""] {
      #expect(throws: PolicyError.self, "\(bad)") { try res.readTrusted(path: bad, for: r) }
    }
    #expect(try res.readTrusted(path: "missing.json", for: r) == nil)
  }
}

@Suite struct ScanResolutionTests {
  @Test(arguments: [EntryPoint.scan, .detect, .replay])
  func headThenPolicyRef(_ ep: EntryPoint) throws {
    let repo = try GitRepo()
    let first = try repo.commit("strict", files: [".agentgate.toml": strictPolicy])
    let second = try repo.commit("weak", files: [".agentgate.toml": weakPolicy])
    let atHead = try resolver(GitCLIReader(repo)).resolve(entryPoint: ep)
    #expect(atHead.identity.commit == second)
    #expect(atHead.policy.scanning.failOn == .critical)
    let atRef = try resolver(GitCLIReader(repo)).resolve(entryPoint: ep, policyRef: first)
    #expect(atRef.identity.commit == first)
    #expect(atRef.policy.scanning.failOn == .low)
  }

  @Test func withoutARepositoryTheDefaultApplies() throws {
    let r = try resolver(nil).resolve(entryPoint: .scan)
    #expect(r.policy == .default)
    #expect(throws: PolicyError.self) { try resolver(nil).resolve(entryPoint: .scan, policyRef: "main") }
  }
}

@Suite struct IdentityAndLimitTests {
  @Test func identityHashFollowsContent() throws {
    let repo = try GitRepo()
    let a = try repo.commit("a", files: [".agentgate.toml": strictPolicy])
    let b = try repo.commit("b", files: [".agentgate.toml": strictPolicy + "\n# comment\n"])
    let c = try repo.commit("c", files: ["other": "x"])
    let res = resolver(GitCLIReader(repo))
    let ra = try res.resolve(entryPoint: .scan, policyRef: a)
    let rb = try res.resolve(entryPoint: .scan, policyRef: b)
    let rc = try res.resolve(entryPoint: .scan, policyRef: c)
    #expect(ra.policy == rb.policy)
    #expect(ra.identity.hash != rb.identity.hash)
    #expect(rb.identity.hash == rc.identity.hash)
    #expect(rb.identity.commit != rc.identity.commit)
    #expect(ra.identity.hash.count == 64)
    let d1 = try resolver(nil).resolve(entryPoint: .scan)
    let d2 = try resolver(nil).resolve(entryPoint: .ci)
    #expect(d1.identity == d2.identity)
    #expect(d1.identity.hash != ra.identity.hash)
  }

  @Test func repositoryCannotLoosenMachineCeilings() throws {
    let repo = try GitRepo()
    try repo.commit(
      "loosen",
      files: [
        ".agentgate.toml": """
        [replay]
        build = ["make"]

        [replay.limits]
        wall_seconds = 86400
        memory = "64GiB"
        processes = 100
        cpus = 64
        tmp = "128MiB"
        """
      ])
    var machine = MachineConfig()
    try machine.apply("[limits]\nmemory = \"1GiB\"\ncpus = 2\n", source: "/etc/agentgate/config.toml", home: "/h")
    let r = try resolver(GitCLIReader(repo), machine: machine).resolve(entryPoint: .preCommit)
    #expect(r.limits.wallSeconds == 900)
    #expect(r.limits.memory == 1 << 30)
    #expect(r.limits.cpus == 2)
    // Tightening is honoured.
    #expect(r.limits.processes == 100)
    #expect(r.limits.tmp == 128 << 20)
    #expect(r.limits.disk == 1 << 30)
    #expect(r.limits.shm == 64 << 20)
    #expect(r.warnings.count == 3)
    #expect(
      r.warnings.contains { $0.contains("replay.limits.memory = \"64GiB\" is above the machine ceiling \"1GiB\"") })
    guard case .clampedToCeiling(let requested, let ceiling) = r.origins["replay.limits.memory"] else {
      Issue.record("memory should be marked clamped: \(String(describing: r.origins["replay.limits.memory"]))")
      return
    }
    #expect(requested.contains("HEAD:.agentgate.toml line 6"))
    #expect(ceiling.contains("/etc/agentgate/config.toml line 2"))
    #expect(r.origins["replay.limits.processes"] == .file(source: "HEAD:.agentgate.toml", line: 7))
    #expect(r.origins["replay.limits.disk"] == .builtInDefault)
    #expect(
      r.origins["replay.limits.cpus"]
        == .clampedToCeiling(
          requested: "the policy asked for 64 (HEAD:.agentgate.toml line 8)",
          ceiling: "2 from /etc/agentgate/config.toml line 3"))
    let text = explain(r)
    #expect(text.contains("replay.limits.memory = \"1GiB\"    # clamped to the machine ceiling"))
    #expect(text.contains("Warnings:"))
  }

  @Test func explainNamesTheSourceOfEachSetting() throws {
    let repo = try GitRepo()
    let head = try repo.commit("p", files: [".agentgate.toml": strictPolicy])
    let r = try resolver(GitCLIReader(repo)).resolve(entryPoint: .prePush)
    let text = explain(r)
    #expect(text.contains("Policy in force: HEAD:.agentgate.toml@\(head.prefix(12))"))
    #expect(text.contains("sha256: \(SHA256.hex(Array(strictPolicy.utf8)))"))
    #expect(text.contains("Entry point: pre-push (replay: off)"))
    #expect(text.contains("scanning.fail_on = \"low\"    # HEAD:.agentgate.toml line 2"))
    #expect(text.contains("decision.agent.risk_medium = \"fail\"    # HEAD:.agentgate.toml line 6"))
    #expect(text.contains("decision.human.secret = \"fail\"    # built-in default"))
    #expect(text.contains("replay.limits.wall_seconds = 900    # built-in default"))
    #expect(text.contains("sandbox.backend = \"bwrap\"    # built-in default"))
    #expect(text.contains("--policy: not given"))
  }
}
