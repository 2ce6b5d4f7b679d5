// Tree and index export into a directory for replays.

import Foundation
import GateCore
import GitReading
import TestSupport
import Testing

@Suite struct ExportTests {
  private func mode(_ path: String) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
  }

  private func isSymlink(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
  }

  @Test func exportWritesFilesExecBitsSymlinksAndSubmodules() throws {
    let sub = try GitRepo()
    try sub.commit("sub", files: ["s.txt": "s\n"])
    let git = try GitRepo()
    try git.write("bin/run.sh", "#!/bin/sh\necho run\n", executable: true)
    try git.write("src/main.c", "int main(void) { return 0; }\n")
    try FileManager.default.createSymbolicLink(atPath: git.dir.file("secret"), withDestinationPath: "/etc/passwd")
    try FileManager.default.createSymbolicLink(atPath: git.dir.file("srclink"), withDestinationPath: "src")
    try git.git(["-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.path, "deps/sub"])
    let id = try git.commit("tree")
    let out = TempDir(prefix: "agentgate-export")
    let target = out.file("tree")
    try open(git).exportTree(commit: id, into: target)
    #expect(try String(contentsOfFile: target + "/src/main.c", encoding: .utf8) == "int main(void) { return 0; }\n")
    #expect(try mode(target + "/bin/run.sh") == 0o755)
    #expect(try mode(target + "/src/main.c") == 0o644)
    #expect(isSymlink(target + "/secret"))
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: target + "/secret") == "/etc/passwd")
    #expect(isSymlink(target + "/srclink"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: target + "/deps/sub").isEmpty)
    #expect(FileManager.default.fileExists(atPath: target + "/.gitmodules"))
    #expect(!FileManager.default.fileExists(atPath: target + "/.git"))
  }

  /// Files are written on a thread of their own with a bounded queue: a tree of many files and a
  /// few larger than the queue's byte bound comes out byte for byte as committed.
  @Test func exportOfManyAndLargeFilesMatchesTheCommit() throws {
    let git = try GitRepo()
    var files: [String: String] = [:]
    for i in 0..<400 { files["d\(i % 17)/e\(i % 5)/f\(i).txt"] = "file \(i)\n" + String(repeating: "x", count: i) }
    for i in 0..<3 { files["big/\(i).bin"] = String(repeating: "\(i)abcdefgh", count: 2_000_000) }
    let id = try git.commit("many", files: files)
    let out = TempDir(prefix: "agentgate-export")
    try open(git).exportTree(commit: id, into: out.file("ours"))
    for (path, content) in files {
      let ours = try #require(FileManager.default.contents(atPath: out.file("ours/" + path)), "\(path)")
      #expect(ours == Data(content.utf8), "\(path)")
    }
    let listed = try FileManager.default.subpathsOfDirectory(atPath: out.file("ours")).filter {
      var isDir: ObjCBool = false
      return FileManager.default.fileExists(atPath: out.file("ours/" + $0), isDirectory: &isDir) && !isDir.boolValue
    }
    #expect(Set(listed) == Set(files.keys))
  }

  @Test func exportRefusesANonEmptyTarget() throws {
    let git = try GitRepo()
    let id = try git.commit("one", files: ["a": "a\n"])
    let out = TempDir(prefix: "agentgate-export")
    try out.write("already-here", "x")
    #expect(throws: GitError.exportTargetNotEmpty(out.path)) { try open(git).exportTree(commit: id, into: out.path) }
  }

  @Test(arguments: [".git", "..", ".GIT", ".git.", "git~1"])
  func exportRefusesUnsafeNames(name: String) throws {
    let git = try GitRepo()
    try git.commit("base", files: ["ok.txt": "ok\n"])
    let blob = try git.git(["hash-object", "-w", "--stdin"], stdin: Data("[core]\n\thooksPath = /tmp\n".utf8))
    let inner = try git.git(["mktree"], stdin: Data("100644 blob \(blob)\tconfig\n".utf8))
    let tree = try git.git(
      ["mktree"], stdin: Data("040000 tree \(inner)\t\(name)\n100644 blob \(blob)\tplain\n".utf8))
    let commit = try git.git(["commit-tree", tree, "-m", "evil"])
    let out = TempDir(prefix: "agentgate-export")
    do {
      try open(git).exportTree(commit: commit, into: out.file("t"))
      Issue.record("exported an unsafe name \(name)")
    } catch let error as GitError {
      #expect(error.description.contains("unsafe path"))
    }
    #expect(!FileManager.default.fileExists(atPath: out.file("t/\(name)/config")))
  }

  @Test func exportIndexWritesTheStagedContent() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["a/b/c.txt": "committed\n", "keep.txt": "k\n"])
    try git.write("a/b/c.txt", "staged\n")
    try git.write("tool", "#!/bin/sh\n", executable: true)
    try git.git(["add", "a/b/c.txt", "tool"])
    try git.write("a/b/c.txt", "working tree only\n")
    let out = TempDir(prefix: "agentgate-export")
    try open(git).exportIndex(into: out.file("idx"))
    #expect(try String(contentsOfFile: out.file("idx/a/b/c.txt"), encoding: .utf8) == "staged\n")
    #expect(try String(contentsOfFile: out.file("idx/keep.txt"), encoding: .utf8) == "k\n")
    #expect(try mode(out.file("idx/tool")) == 0o755)
  }
}
