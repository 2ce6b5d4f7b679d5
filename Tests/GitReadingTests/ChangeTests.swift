// Per-commit changes read with libgit2 from repositories built with the git CLI.

import Foundation
import GateCore
import GitReading
import TestSupport
import Testing

@Suite struct ChangeTests {
  @Test func rootCommitAddsEveryLineAgainstTheEmptyTree() throws {
    let git = try GitRepo()
    let id = try git.commit("first", files: ["a.txt": "one\ntwo\n", "dir/b.txt": "three"])
    let repo = try open(git)
    let changes = try readChanges(repo, .commit(id))
    #expect(changes.count == 1)
    let change = try #require(changes.first)
    #expect(change.commit.id == id)
    #expect(change.commit.parents.isEmpty)
    #expect(change.files.map(\.path).sorted() == ["a.txt", "dir/b.txt"])
    let a = try #require(change.file("a.txt"))
    #expect(a.status == .added)
    #expect(a.newMode == .regular)
    #expect(a.oldMode == nil)
    #expect(a.newSize == 8)
    #expect(a.addedTexts == ["one", "two"])
    #expect(a.addedNumbers == [1, 2])
    #expect(change.file("dir/b.txt")?.addedTexts == ["three"])
  }

  @Test func modificationReportsAddedLinesWithNewNumbersAndRemovedLines() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["f.txt": "a\nb\nc\nd\n"])
    let id = try git.commit("edit", files: ["f.txt": "a\nB\nc\nd\ne\n"])
    let change = try #require(try readChanges(try open(git), .commit(id)).first)
    let f = try #require(change.file("f.txt"))
    #expect(f.status == .modified)
    #expect(f.addedTexts == ["B", "e"])
    #expect(f.addedNumbers == [2, 5])
    #expect(f.removedTexts == ["b"])
    #expect(f.oldBlob != nil && f.newBlob != nil && f.oldBlob != f.newBlob)
  }

  @Test func exactRenameKeepsTheOldPath() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["old/name.txt": "content\n"])
    try git.git(["mv", "old/name.txt", "new-name.txt"])
    let id = try git.commit("rename")
    let change = try #require(try readChanges(try open(git), .commit(id)).first)
    #expect(change.files.count == 1)
    let f = try #require(change.file("new-name.txt"))
    #expect(f.status == .renamed)
    #expect(f.oldPath == "old/name.txt")
    #expect(f.addedTexts.isEmpty)
  }

  @Test func deletedFileListsItsRemovedLines() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["gone.txt": "x\ny\n", "kept.txt": "k\n"])
    try git.git(["rm", "-q", "gone.txt"])
    let id = try git.commit("delete")
    let f = try #require(try readChanges(try open(git), .commit(id)).first?.file("gone.txt"))
    #expect(f.status == .deleted)
    #expect(f.newMode == nil)
    #expect(f.removedTexts == ["x", "y"])
    #expect(f.addedTexts.isEmpty)
  }

  @Test func binaryFileIsFlaggedAndNotSplitIntoLines() throws {
    let git = try GitRepo()
    try git.dir.write("blob.bin", Data([0x50, 0x4B, 0x00, 0x01, 0x0A, 0x41]))
    let id = try git.commit("binary")
    let f = try #require(try readChanges(try open(git), .commit(id)).first?.file("blob.bin"))
    #expect(f.isBinary)
    #expect(f.skipped == .binary)
    #expect(f.newSize == 6)
    #expect(try f.changes.get().added.isEmpty)
  }

  @Test func symlinkCarriesItsTargetAndModes() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["tool.sh": "echo hi\n"])
    try FileManager.default.createSymbolicLink(atPath: git.dir.file("link"), withDestinationPath: "../../etc/passwd")
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: git.dir.file("tool.sh"))
    let id = try git.commit("link and chmod")
    let change = try #require(try readChanges(try open(git), .commit(id)).first)
    let link = try #require(change.file("link"))
    #expect(link.newMode == .symlink)
    #expect(link.symlinkTarget == "../../etc/passwd")
    let tool = try #require(change.file("tool.sh"))
    #expect(tool.status == .modified)
    #expect(tool.oldMode == .regular)
    #expect(tool.newMode == .executable)
    #expect(tool.addedTexts.isEmpty)
  }

  @Test func submoduleEntryIsSkippedAsSubmodule() throws {
    let sub = try GitRepo()
    let subCommit = try sub.commit("sub", files: ["s.txt": "s\n"])
    let git = try GitRepo()
    try git.commit("base", files: ["a.txt": "a\n"])
    try git.git(["-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.path, "vendor/sub"])
    let id = try git.commit("add submodule")
    let change = try #require(try readChanges(try open(git), .commit(id)).first)
    let entry = try #require(change.file("vendor/sub"))
    #expect(entry.newMode == .submodule)
    #expect(entry.skipped == .submodule)
    #expect(entry.newBlob == subCommit)
    #expect(change.file(".gitmodules")?.addedTexts.contains("\tpath = vendor/sub") == true)
  }

  @Test func cleanMergeShowsNothingAndEvilMergeShowsOnlyItsOwnLines() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["f.txt": "1\n2\n3\n", "g.txt": "g\n"])
    try git.git(["checkout", "-q", "-b", "side"])
    try git.commit("side", files: ["g.txt": "g\nside line\n"])
    try git.git(["checkout", "-q", "main"])
    try git.commit("main", files: ["f.txt": "1\n2\n3\nmain line\n"])
    try git.git(["merge", "-q", "--no-edit", "side"])
    let clean = try git.git(["rev-parse", "HEAD"])
    let repo = try open(git)
    let cleanChange = try #require(try readChanges(repo, .commit(clean)).first)
    #expect(cleanChange.commit.isMerge)
    #expect(cleanChange.files.isEmpty)

    try git.git(["reset", "-q", "--hard", "HEAD^"])
    try git.git(["merge", "-q", "--no-commit", "--no-ff", "side"])
    try git.write("g.txt", "g\nside line\nevil line\n")
    try git.git(["add", "g.txt"])
    try git.git(["commit", "-q", "--no-edit"])
    let evil = try git.git(["rev-parse", "HEAD"])
    let evilChange = try #require(try readChanges(try open(git), .commit(evil)).first)
    #expect(evilChange.commit.parents.count == 2)
    #expect(evilChange.files.map(\.path) == ["g.txt"])
    #expect(evilChange.file("g.txt")?.addedTexts == ["evil line"])
    #expect(evilChange.file("g.txt")?.addedNumbers == [3])
  }

  @Test func fileOverTheSizeLimitIsSkippedWithoutLoading() throws {
    let git = try GitRepo()
    let line = String(repeating: "x", count: 1023) + "\n"
    let big = String(repeating: line, count: 50 * 1024)
    let id = try git.commit("big", files: ["big.txt": big, "small.txt": "s\n"])
    let change = try #require(try readChanges(try open(git), .commit(id)).first)
    let f = try #require(change.file("big.txt"))
    #expect(f.skipped == .tooLarge)
    #expect(f.newSize == 50 << 20)
    #expect(try f.changes.get().added.isEmpty)
    #expect(change.file("small.txt")?.addedTexts == ["s"])
    let raised = try #require(
      try readChanges(try open(git), .commit(id), options: DiffOptions(maxBlobSize: 64 << 20)).first)
    #expect(raised.file("big.txt")?.skipped == nil)
  }

  @Test func messageInLatin1IsDecodedByItsEncodingHeader() throws {
    let git = try GitRepo()
    try git.write("a.txt", "a\n")
    try git.git(["add", "a.txt"])
    try git.dir.write("msg", Data([0x43, 0x61, 0x66, 0xE9, 0x0A, 0x0A, 0x52, 0xE9, 0x73, 0x75, 0x6D, 0xE9, 0x0A]))
    try git.git(["-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "-F", git.dir.file("msg")])
    let id = try git.git(["rev-parse", "HEAD"])
    let record = try open(git).commit(id)
    #expect(record.encoding == "ISO-8859-1")
    #expect(record.subject == "Café")
    #expect(record.message == "Café\n\nRésumé\n")
  }

  @Test func invalidUTF8IsReplacedVisibly() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["a.txt": "a\n"])
    // git commit would re-encode the message; write the raw commit object instead.
    let tree = try git.git(["rev-parse", "HEAD^{tree}"])
    var raw = Data("tree \(tree)\nauthor A <a@example.com> 1700000000 +0000\n".utf8)
    raw += Data("committer A <a@example.com> 1700000000 +0000\n\nbad ".utf8)
    raw += Data([0xFF, 0xFE, 0x0A])
    let id = try git.git(["hash-object", "-t", "commit", "-w", "--stdin"], stdin: raw)
    let record = try open(git).commit(id)
    #expect(record.encoding == nil)
    #expect(record.subject == "bad \u{FFFD}\u{FFFD}")
  }

  @Test func commitRecordCarriesSignaturesAndTrailers() throws {
    let git = try GitRepo()
    let id = try git.commit(
      "Add parser\n\nBody text.\nCo-authored-by: Squashed <s@example.com>\n\nSigned-off-by: Dev <dev@example.com>\nAssisted-by: Claude",
      files: ["a": "a\n"], author: ("Ada", "ada@example.com"))
    let record = try open(git).commit(id)
    #expect(record.author == Signature(name: "Ada", email: "ada@example.com", time: 1_767_225_600, offsetMinutes: 0))
    #expect(record.committer.name == "Test Human")
    #expect(
      record.trailers == [
        Trailer(key: "Signed-off-by", value: "Dev <dev@example.com>"),
        Trailer(key: "Assisted-by", value: "Claude"),
        Trailer(key: "Co-authored-by", value: "Squashed <s@example.com>", inTrailerBlock: false),
      ])
  }

  @Test func tenThousandCommitsFromFastImportStreamInOrder() throws {
    let git = try GitRepo()
    try git.fastImport(fastImportStream(count: 10_000))
    let repo = try open(git)
    let ids = try repo.commitIDs(.all)
    #expect(ids.count == 10_000)
    #expect(try repo.commit(ids[0]).subject == "change 1")
    #expect(try repo.commit(ids[9_999]).subject == "change 10000")
    let totals = try readChanges(repo, .all).reduce(into: (commits: 0, lines: 0)) { acc, change in
      acc.commits += 1
      acc.lines += change.files.reduce(0) { $0 + $1.addedTexts.count }
    }
    #expect(totals.commits == 10_000)
    #expect(totals.lines == 20_000)
  }

  @Test func stagedChangeComparesTheIndexWithHead() throws {
    let git = try GitRepo()
    try git.commit("base", files: ["keep.txt": "k\n", "edit.txt": "1\n", "drop.txt": "d\n"])
    try git.write("edit.txt", "1\n2\n")
    try git.write("new.txt", "fresh\n")
    try git.write("unstaged.txt", "not added\n")
    try git.git(["add", "edit.txt", "new.txt"])
    try git.git(["rm", "-q", "drop.txt"])
    let repo = try open(git)
    let change = try repo.stagedChange(
      options: DiffOptions(), environment: ["GIT_AUTHOR_NAME": "Agent", "GIT_AUTHOR_EMAIL": "agent@example.com"])
    #expect(change.commit.id == nil)
    #expect(change.commit.author.name == "Agent")
    #expect(change.commit.committer.name == "Test Human")
    #expect(change.commit.parents == [try git.git(["rev-parse", "HEAD"])])
    #expect(change.files.map(\.path) == ["drop.txt", "edit.txt", "new.txt"])
    #expect(change.file("edit.txt")?.addedTexts == ["2"])
    #expect(change.file("edit.txt")?.addedNumbers == [2])
    #expect(change.file("new.txt")?.status == .added)
    #expect(change.file("drop.txt")?.status == .deleted)
  }

  @Test func emptyRepositoryHasNoCommitsAndStagesAgainstTheEmptyTree() throws {
    let git = try GitRepo()
    let repo = try open(git)
    #expect(try repo.commitIDs(.all).isEmpty)
    #expect(throws: GitError.self) { try repo.resolveCommit("HEAD") }
    #expect(try readChanges(repo, .all).isEmpty)
    try git.write("first.txt", "hello\n")
    try git.git(["add", "first.txt"])
    let staged = try repo.stagedChange(options: DiffOptions(), environment: [:])
    #expect(staged.commit.parents.isEmpty)
    #expect(staged.files.map(\.path) == ["first.txt"])
    #expect(staged.file("first.txt")?.addedTexts == ["hello"])
  }
}
