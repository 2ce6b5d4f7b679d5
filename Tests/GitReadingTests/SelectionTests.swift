// Which commits a selection names: revisions with git log's meaning, hook input, shallow clones.

import Foundation
import GateCore
import GitReading
import TestSupport
import Testing

private let zeros = String(repeating: "0", count: 40)

/// main: c1 - c2 - c3 - c4 - c5, plus `feature` from c2 with f1, f2.
private struct Fixture {
  let git: GitRepo
  var c: [String] = []
  var f: [String] = []

  init() throws {
    git = try GitRepo()
    for i in 1...5 {
      c.append(try git.commit("c\(i)", files: ["main.txt": "line \(i)\n"], env: date(i)))
    }
    try git.git(["checkout", "-q", "-b", "feature", c[1]])
    for i in 1...2 {
      f.append(try git.commit("f\(i)", files: ["feature.txt": "f \(i)\n"], env: date(10 + i)))
    }
    try git.git(["checkout", "-q", "main"])
  }

  func date(_ i: Int) -> [String: String] {
    let d = "2026-01-01T00:\(String(format: "%02d", i)):00Z"
    return ["GIT_AUTHOR_DATE": d, "GIT_COMMITTER_DATE": d]
  }
}

@Suite struct SelectionTests {
  @Test func revisionsHaveGitLogMeaning() throws {
    let fx = try Fixture()
    let repo = try open(fx.git)
    #expect(try repo.commitIDs(.revisions(["main"])) == fx.c)
    #expect(try repo.commitIDs(.revisions(["\(fx.c[1])..main"])) == Array(fx.c[2...]))
    #expect(try repo.commitIDs(.revisions(["^\(fx.c[1])", "main"])) == Array(fx.c[2...]))
    #expect(try repo.commitIDs(.revisions(["main..feature"])) == fx.f)
    #expect(Set(try repo.commitIDs(.revisions(["main...feature"]))) == Set(Array(fx.c[2...]) + fx.f))
    #expect(try repo.commitIDs(.commit(fx.c[2])) == [fx.c[2]])
    #expect(try repo.resolveCommit("main~1") == fx.c[3])
    #expect(throws: GitError.self) { try repo.commitIDs(.revisions(["no-such-branch"])) }
  }

  @Test func allIsEveryRefOldestFirstWithParentsBeforeChildren() throws {
    let fx = try Fixture()
    try fx.git.git(["merge", "-q", "--no-edit", "feature"])
    let merge = try fx.git.git(["rev-parse", "HEAD"])
    let ids = try open(fx.git).commitIDs(.all)
    #expect(Set(ids) == Set(fx.c + fx.f + [merge]))
    #expect(ids.first == fx.c[0])
    #expect(ids.last == merge)
    let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
    for (earlier, later) in zip(fx.c, fx.c.dropFirst()) { #expect(position[earlier]! < position[later]!) }
    #expect(position[fx.f[0]]! < position[fx.f[1]]!)
  }

  @Test func newBranchYieldsCommitsNoOtherRefReaches() throws {
    let fx = try Fixture()
    let repo = try open(fx.git)
    let update = RefUpdate(oldID: zeros, newID: fx.f[1], ref: "refs/heads/feature")
    #expect(try repo.commitIDs(.updates([update])) == fx.f)
    // The same commits pushed under a new name are reached by `feature`: nothing new.
    let copy = RefUpdate(oldID: zeros, newID: fx.f[1], ref: "refs/heads/copy")
    #expect(try repo.commitIDs(.updates([copy])).isEmpty)
  }

  @Test func deletedRefYieldsNothing() throws {
    let fx = try Fixture()
    let update = RefUpdate(oldID: fx.f[1], newID: zeros, ref: "refs/heads/feature")
    #expect(try open(fx.git).commitIDs(.updates([update])).isEmpty)
  }

  @Test func fastForwardAndForcePush() throws {
    let fx = try Fixture()
    let repo = try open(fx.git)
    let ff = RefUpdate(oldID: fx.c[2], newID: fx.c[4], ref: "refs/heads/main")
    #expect(try repo.commitIDs(.updates([ff])) == [fx.c[3], fx.c[4]])
    // A rewritten main: x on top of c1, replacing c2..c5.
    try fx.git.git(["checkout", "-q", "-b", "rewrite", fx.c[0]])
    let x = try fx.git.commit("x", files: ["x.txt": "x\n"])
    try fx.git.git(["checkout", "-q", "main"])
    try fx.git.git(["branch", "-q", "-D", "rewrite"])
    let force = RefUpdate(oldID: fx.c[4], newID: x, ref: "refs/heads/main")
    #expect(try open(fx.git).commitIDs(.updates([force])) == [x])
  }

  @Test func annotatedTagIsPeeledToItsCommit() throws {
    let fx = try Fixture()
    try fx.git.git(["checkout", "-q", "--detach", fx.c[4]])
    let loose = try fx.git.commit("only tagged", files: ["t.txt": "t\n"])
    try fx.git.git(["tag", "-a", "v1", "-m", "release", loose])
    try fx.git.git(["checkout", "-q", "main"])
    let tagObject = try fx.git.git(["rev-parse", "v1"])
    #expect(tagObject != loose)
    let repo = try open(fx.git)
    #expect(try repo.resolveCommit("v1") == loose)
    let update = RefUpdate(oldID: zeros, newID: tagObject, ref: "refs/tags/v1")
    #expect(try repo.commitIDs(.updates([update])) == [loose])
  }

  @Test func prePushJudgesWhatTheRemoteTrackingRefsDoNotReach() throws {
    let fx = try Fixture()
    try fx.git.git(["update-ref", "refs/remotes/origin/main", fx.c[2]])
    try fx.git.git(["update-ref", "refs/remotes/other/main", fx.c[4]])
    let repo = try open(fx.git)
    let text = "refs/heads/main \(fx.c[4]) refs/heads/main \(fx.c[2])\n"
    let updates = try RefUpdates.parse(text, remoteName: "origin")
    #expect(try repo.commitIDs(.updates(updates)) == [fx.c[3], fx.c[4]])
    let newBranch = try RefUpdates.parse(
      "refs/heads/feature \(fx.f[1]) refs/heads/feature \(zeros)\n", remoteName: "origin")
    #expect(try repo.commitIDs(.updates(newBranch)) == fx.f)
    let toOther = try RefUpdates.parse(text, remoteName: "other")
    #expect(try repo.commitIDs(.updates(toOther)).isEmpty)
  }

  @Test func refUpdatesParseBothHookFormats() throws {
    let a = String(repeating: "a", count: 40)
    let b = String(repeating: "B", count: 40)
    let pre = try RefUpdates.parse("\(a) \(b) refs/heads/main\n\n\(zeros) \(a) refs/tags/v1\r\n")
    #expect(
      pre == [
        RefUpdate(oldID: a, newID: b.lowercased(), ref: "refs/heads/main"),
        RefUpdate(oldID: zeros, newID: a, ref: "refs/tags/v1"),
      ])
    #expect(pre[1].isCreation && !pre[1].isPrePush)
    let push = try RefUpdates.parse(
      "refs/heads/x \(a) refs/heads/y \(b)\n(delete) \(zeros) refs/heads/z \(a)\n", remoteName: "up")
    #expect(
      push[0]
        == RefUpdate(oldID: b.lowercased(), newID: a, ref: "refs/heads/y", localRef: "refs/heads/x", remoteName: "up"))
    #expect(push[1].isDeletion && push[1].localRef == "(delete)")
    #expect(try RefUpdates.parse("").isEmpty)
  }

  @Test(arguments: [
    "garbage",
    "abc def refs/heads/main",
    "\(String(repeating: "a", count: 40)) \(String(repeating: "b", count: 40))",
    "\(String(repeating: "a", count: 40)) \(String(repeating: "b", count: 40)) main",
    "\(String(repeating: "a", count: 40)) \(String(repeating: "b", count: 40)) refs/heads/a extra more",
    "\(String(repeating: "a", count: 40)) \(String(repeating: "b", count: 40)) refs/heads/a\nrefs/heads/x \(String(repeating: "a", count: 40)) refs/heads/y \(String(repeating: "b", count: 40))",
  ])
  func garbageHookInputIsAClearError(input: String) throws {
    do {
      _ = try RefUpdates.parse(input)
      Issue.record("parsed garbage: \(input)")
    } catch let error as GitError {
      #expect(error.description.contains("is not a ref update"))
    }
  }

  @Test func shallowCloneReadsUpToItsBoundaryAndAsksToFetchDeeper() throws {
    let fx = try Fixture()
    let clone = TempDir(prefix: "agentgate-shallow")
    try runProcess([
      "git", "clone", "-q", "--depth", "3", "--branch", "main", "file://\(fx.git.path)", clone.path + "/c",
    ])
    let repo = try Repository(path: clone.path + "/c", environment: [:])
    #expect(repo.isShallow)
    #expect(try repo.commitIDs(.revisions(["HEAD~2..HEAD"])) == [fx.c[3], fx.c[4]])
    #expect(try readChanges(repo, .revisions(["HEAD~2..HEAD"])).count == 2)
    #expect(try repo.readFile(rev: "HEAD", path: "main.txt") == Array("line 5\n".utf8))
    for selection in [CommitSelection.revisions(["HEAD"]), .all, .revisions(["HEAD~3..HEAD"]), .commit(fx.c[2])] {
      do {
        _ = try repo.commitIDs(selection)
        Issue.record("\(selection) crossed the shallow boundary without an error")
      } catch let error as GitError {
        #expect(error.description.contains("fetch deeper"))
      }
    }
  }

  @Test func readFileAtARevisionLikeGitShow() throws {
    let git = try GitRepo()
    try git.commit("one", files: ["dir/policy.toml": "v = 1\n"])
    let two = try git.commit("two", files: ["dir/policy.toml": "v = 2\n"])
    let repo = try open(git)
    #expect(try repo.readFile(rev: "main", path: "dir/policy.toml") == Array("v = 2\n".utf8))
    #expect(try repo.readFile(rev: "\(two)~1", path: "dir/policy.toml") == Array("v = 1\n".utf8))
    #expect(try repo.readFile(rev: "main", path: "missing.toml") == nil)
    #expect(throws: GitError.self) { try repo.readFile(rev: "main", path: "dir") }
    #expect(throws: GitError.self) { try repo.readFile(rev: "nope", path: "dir/policy.toml") }
  }

  @Test func configDefaultBranchAndNotes() throws {
    let bare = try GitRepo(bare: true)
    let bareRepo = try open(bare)
    #expect(bareRepo.isBare)
    #expect(bareRepo.workDirectory == nil)
    #expect(bareRepo.defaultBranch() == "refs/heads/main")
    let git = try GitRepo()
    let id = try git.commit("noted", files: ["a": "a\n"])
    try git.git(["notes", "--ref", "refs/notes/ai", "add", "-m", "agent: claude", id])
    let repo = try open(git)
    #expect(repo.note(ref: "refs/notes/ai", commit: id) == "agent: claude\n")
    #expect(repo.note(ref: "refs/notes/other", commit: id) == nil)
    #expect(repo.configString("user.name") == "Test Human")
    #expect(repo.configString("no.such.key") == nil)
    #expect(!repo.isBare && repo.workDirectory != nil)
  }
}
