import Foundation
import TestSupport
import Testing

/// The project's root (for scripts/).
private let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

@Suite(.serialized) struct DebPackageTests {
  /// scripts/build-deb.sh packages the binary the tests run (a release build would take minutes),
  /// dpkg-deb reads its control fields and unpacks it into a temp root, and the unpacked binary and
  /// hook shims run.
  @Test func theDebBuildsUnpacksAndItsBinaryRuns() throws {
    let out = TempDir(prefix: "agentgate-deb")
    let build = try runProcess(
      [projectRoot + "/scripts/build-deb.sh", "--bin", agentgateBinary(), "--out", out.file("dist")], cwd: projectRoot,
      timeout: 300)
    #expect(build.status == 0, "\(build.stderr)")
    let deb = build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(deb.hasPrefix(out.file("dist/agentgate_")) && deb.hasSuffix(".deb"))

    let fields = try runProcess(["dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends"])
    #expect(fields.status == 0, "\(fields.stderr)")
    var control: [String: String] = [:]
    for line in fields.stdout.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      if parts.count == 2 { control[parts[0]] = parts[1] }
    }
    #expect(control["Package"] == "agentgate")
    let version = try runProcess([agentgateBinary(), "--version"]).stdout.trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(control["Version"] == version)
    let arch = try runProcess(["dpkg", "--print-architecture"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(control["Architecture"] == arch)
    let depends = Set((control["Depends"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    for needed in ["libgit2-1.5", "libcurl4", "libpcre2-8-0", "libseccomp2", "zlib1g", "bubblewrap", "git", "libc6"] {
      #expect(depends.contains(needed), "Depends lacks \(needed): \(depends.sorted())")
    }

    let root = out.file("root")
    let unpack = try runProcess(["dpkg-deb", "-x", deb, root])
    #expect(unpack.status == 0, "\(unpack.stderr)")
    let binary = root + "/usr/bin/agentgate"
    #expect(FileManager.default.isExecutableFile(atPath: binary))
    for hook in ["pre-commit", "commit-msg", "pre-push", "pre-receive", "post-receive"] {
      #expect(FileManager.default.isExecutableFile(atPath: "\(root)/usr/share/agentgate/hooks/\(hook)"))
    }
    #expect(FileManager.default.fileExists(atPath: root + "/usr/share/doc/agentgate/README.md"))

    let ran = try runProcess([binary, "--version"])
    #expect(ran.status == 0, "\(ran.stderr)")
    #expect(ran.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == version)

    // The unpacked binary judges a real repository.
    let repo = try GitRepo()
    try repo.commit("init", files: ["a.txt": "1\n"])
    try repo.commit("Refactor\n\nCo-Authored-By: Claude <noreply@anthropic.com>", files: ["b.txt": "2\n"])
    let detect = try runProcess([binary, "detect", "--repo", repo.path, "--all", "--format", "json"])
    #expect(detect.status == 0, "\(detect.stderr)")
    let doc = try #require(try JSONSerialization.jsonObject(with: detect.stdoutData) as? [String: Any])
    let commits = try #require(doc["commits"] as? [[String: Any]])
    #expect(commits.count == 2)
    #expect(commits.contains { $0["agent"] as? String == "claude-code" })

    // The packaged pre-commit shim runs the unpacked binary: a staged token from an agent is refused.
    try repo.write("app.py", "API = '\(fakeToken(seed: 41))'\n")
    try repo.git(["add", "app.py"])
    let shim = try runProcess(
      ["\(root)/usr/share/agentgate/hooks/pre-commit"], cwd: repo.path, env: ["AGENTGATE": binary, "CLAUDECODE": "1"],
      removeEnv: ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"], timeout: 60)
    #expect(shim.status == 1, "\(shim.stderr)")
    #expect(shim.stderr.contains("claude-code"))
  }

  @Test func buildDebRefusesWhatItCannotPackage() throws {
    let script = projectRoot + "/scripts/build-deb.sh"
    let unknown = try runProcess([script, "--no-such-flag"], cwd: projectRoot, timeout: 30)
    #expect(unknown.status == 2)
    #expect(unknown.stderr.contains("unknown argument"))
    let out = TempDir(prefix: "agentgate-deb")
    let missing = try runProcess(
      [script, "--bin", out.file("nothing"), "--out", out.path], cwd: projectRoot, timeout: 30)
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("is not an executable"))
    // A binary whose --version prints no version.
    try out.write("fake", "#!/bin/sh\necho 'not a version'\n", executable: true)
    let fake = try runProcess([script, "--bin", out.file("fake"), "--out", out.path], cwd: projectRoot, timeout: 30)
    #expect(fake.status == 2)
    #expect(fake.stderr.contains("not a version"))
  }
}
