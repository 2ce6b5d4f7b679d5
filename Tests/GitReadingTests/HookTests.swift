// End to end: the built binary reads real pushes from inside real hooks (pre-receive with the push
// quarantine, pre-push with four-field input), and refuses what it cannot decide.

import Foundation
import GitReading
import TestSupport
import Testing

@Suite struct HookTests {
  private func installHook(_ path: String, _ body: String) throws {
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
  }

  @Test func preReceiveReadsQuarantinedCommitsOfARealPush() throws {
    let server = try GitRepo(bare: true)
    let work = try GitRepo()
    try work.commit("base", files: ["a.txt": "a\n"])
    try work.git(["push", "-q", server.path, "main"])
    let out = TempDir(prefix: "agentgate-hook")
    try installHook(
      server.path + "/hooks/pre-receive",
      """
      "\(agentgateBinary())" debug read-history --stdin-updates > "\(out.file("out"))" 2> "\(out.file("err"))"
      echo "status=$?" >> "\(out.file("out"))"
      if [ -n "$GIT_QUARANTINE_PATH" ]; then echo quarantined >> "\(out.file("out"))"; fi
      exit 1
      """)
    var pushed: [String] = []
    for i in 1...3 { pushed.append(try work.commit("change \(i)", files: ["a.txt": "a\n\(i)\n"])) }
    #expect(throws: TestSupportError.self) { try work.git(["push", "-q", server.path, "main"]) }
    let report = try String(contentsOfFile: out.file("out"), encoding: .utf8)
    let errors = (try? String(contentsOfFile: out.file("err"), encoding: .utf8)) ?? ""
    #expect(report.contains("\"commits\":3"), "hook said: \(report) \(errors)")
    #expect(report.contains("\"addedLines\":3"))
    #expect(report.contains("status=0"))
    #expect(report.contains("quarantined"))
    // The push was rejected, so its objects never left the quarantine: only the hook could read them.
    let probe = try runProcess(["git", "-C", server.path, "cat-file", "-e", pushed[2]], timeout: 30)
    #expect(probe.status != 0)
  }

  @Test func prePushReadsFourFieldInput() throws {
    let server = try GitRepo(bare: true)
    let work = try GitRepo()
    try work.git(["remote", "add", "origin", server.path])
    try work.commit("base", files: ["a.txt": "a\n"])
    try work.git(["push", "-q", "origin", "main"])
    let out = TempDir(prefix: "agentgate-hook")
    try installHook(
      work.path + "/.git/hooks/pre-push",
      """
      cat > "\(out.file("input"))"
      "\(agentgateBinary())" debug read-history --stdin-updates --remote "$1" < "\(out.file("input"))" > "\(out.file("out"))" 2>&1
      """)
    try work.commit("one", files: ["b.txt": "b\n"])
    try work.commit("two", files: ["b.txt": "b\nc\n"])
    try work.git(["push", "-q", "origin", "main"])
    let input = try String(contentsOfFile: out.file("input"), encoding: .utf8)
    #expect(input.split(separator: " ").count == 4)
    let report = try String(contentsOfFile: out.file("out"), encoding: .utf8)
    #expect(report.contains("\"commits\":2"), "hook said: \(report)")
    #expect(report.contains("\"addedLines\":2"))
  }

  @Test func repositoryOwnedByAnotherUserNeedsSafeDirectory() throws {
    guard getuid() == 0 else {
      // Without root the ownership cannot be changed; the same error path is reached by a user who
      // opens a repository it does not own, which this machine's CI (root) always exercises.
      #expect(getuid() != 0)
      return
    }
    let git = try GitRepo()
    try git.commit("base", files: ["a.txt": "a\n"])
    let home = TempDir(prefix: "agentgate-home")
    try runProcess(["chown", "-R", "65534:65534", git.path], timeout: 30)
    defer { _ = try? runProcess(["chown", "-R", "0:0", git.path], timeout: 30) }
    let argv = [agentgateBinary(), "debug", "read-history", "--repo", git.path, "--all"]
    let env = ["HOME": home.path, "XDG_CONFIG_HOME": home.path + "/xdg", "GIT_CONFIG_NOSYSTEM": "1"]
    let refused = try runProcess(argv, env: env, timeout: 60)
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("safe.directory"), "stderr: \(refused.stderr)")
    try home.write(".gitconfig", "[safe]\n\tdirectory = \(git.path)\n")
    let allowed = try runProcess(argv, env: env, timeout: 60)
    #expect(allowed.status == 0, "stderr: \(allowed.stderr)")
    #expect(allowed.stdout.contains("\"commits\":1"))
  }

  @Test func stdinUpdatesFromATerminalFailsAtOnce() throws {
    let r = try runProcess(
      ["/usr/bin/script", "-qec", "\(agentgateBinary()) debug read-history --stdin-updates", "/dev/null"], timeout: 30)
    #expect(r.status == 2)
    #expect(r.stdout.contains("stdin is a terminal"))
  }

  @Test func selectionFlagsAreMutuallyExclusive() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["a.txt": "a\n"])
    let r = try runProcess(
      [agentgateBinary(), "debug", "read-history", "--repo", git.path, "--all", "--commit", "HEAD"], timeout: 30)
    #expect(r.status == 2)
    #expect(r.stderr.contains("mutually exclusive"))
    let ok = try runProcess([agentgateBinary(), "debug", "read-history", "--repo", git.path, "HEAD"], timeout: 30)
    #expect(ok.status == 0)
    #expect(ok.stdout.contains("\"commits\":1,\"files\":1"))
  }
}
