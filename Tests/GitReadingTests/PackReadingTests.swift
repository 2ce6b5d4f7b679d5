// The whole-history read path: blobs and trees read straight from packs with deep delta chains, the
// caches shared by the workers, and the same answers as reading every object through libgit2.

import Foundation
import GateCore
import Synchronization
import TestSupport
import Testing

@testable import GitReading

@Suite struct PackReadingTests {
  /// A history whose blobs come back: files grow (so the packer makes delta chains), one file is
  /// reverted to an older version, one renamed, one copied to a second path, one deleted and re-added
  /// with its old content, one made executable, a binary file edited; after `git repack` with deep
  /// chains some commits stay loose on top of the pack.
  static func makeHistory() throws -> GitRepo {
    let git = try GitRepo()
    var stream = ""
    var mark = 0
    var files: [String: [String]] = [:]
    for k in 0..<6 {
      files["src/f\(k).txt"] = (0..<40).map { "file \(k) line \($0) " + String(repeating: "x", count: $0 % 7) }
    }
    var saved: [String] = []
    func commit(_ message: String, _ ops: [String]) {
      mark += 1
      stream += "commit refs/heads/main\nmark :\(mark)\ncommitter Bot <bot@example.com> \(1_700_000_000 + mark) +0000\n"
      stream += "data \(message.utf8.count)\n\(message)\n"
      if mark > 1 { stream += "from :\(mark - 1)\n" }
      for op in ops { stream += op }
    }
    func put(_ path: String, _ content: String, mode: String = "100644") -> String {
      "M \(mode) inline \(path)\ndata \(content.utf8.count)\n\(content)\n"
    }
    func text(_ path: String) -> String { files[path]!.joined(separator: "\n") + "\n" }
    commit("root", files.keys.sorted().map { put($0, text($0)) } + [put("bin/data.bin", "\u{0}\u{1}binary\n")])
    for c in 1...120 {
      // f3 stays deleted from commit 60 until it comes back at 70.
      let path = (60..<70).contains(c) && c % 6 == 3 ? "src/f0.txt" : "src/f\(c % 6).txt"
      files[path]!.insert("inserted in \(c)", at: (c * 7) % files[path]!.count)
      files[path]![(c * 3) % files[path]!.count] = "edited in \(c)"
      var ops = [put(path, text(path))]
      switch c {
      case 20: saved = files["src/f2.txt"]!
      case 40:  // revert f2 to the version saved at commit 20
        files["src/f2.txt"] = saved
        ops.append(put("src/f2.txt", text("src/f2.txt")))
      case 50: ops.append("R src/f5.txt src/renamed.txt\n")
      case 51: ops.append(put("src/copy.txt", text("src/f1.txt")))
      case 60: ops.append("D src/f3.txt\n")
      case 70: ops.append(put("src/f3.txt", text("src/f3.txt")))  // back with its last content
      case 80: ops.append(put("src/f4.txt", text("src/f4.txt"), mode: "100755"))
      case 90: ops.append(put("bin/data.bin", "\u{0}\u{2}binary again\n"))
      default: break
      }
      if c >= 50, path == "src/f5.txt" { ops = [put("src/renamed.txt", text(path))] }
      commit("change \(c)", ops)
    }
    try git.fastImport(stream)
    // A side branch merged back, inside the pack too.
    try git.git(["checkout", "-q", "-b", "side", "main~3"])
    try git.commit("side work", files: ["side.txt": "from the side\n"])
    try git.git(["checkout", "-q", "main"])
    try git.git(["merge", "-q", "--no-ff", "--no-edit", "side"])
    try git.git(["repack", "-adfq", "--depth=50", "--window=50"])
    // Loose objects on top of the pack.
    try git.commit("loose one", files: ["src/f0.txt": text("src/f0.txt") + "loose line\n", "new.txt": "new\n"])
    try git.commit("loose two", files: ["src/f2.txt": text("src/f0.txt")])
    return git
  }

  /// Everything a consumer sees of a change, as comparable text.
  static func digest(_ changes: [CommitChange]) throws -> [String] {
    try changes.map { change in
      var lines = ["commit \(change.commit)"]
      for f in change.files {
        let c = try f.changes.get()
        lines.append(
          "\(f.path) \(f.oldPath ?? "-") \(f.status) \(String(describing: f.oldMode)) \(String(describing: f.newMode)) "
            + "\(f.oldBlob ?? "-") \(f.newBlob ?? "-") \(f.oldSize) \(f.newSize) \(f.isBinary) "
            + "\(String(describing: f.skipped)) \(f.symlinkTarget ?? "-")")
        lines += c.added.lines.map { "+\($0.number) \($0.text)" }
        lines += c.removed.lines.map { "-\($0.number) \($0.text)" }
      }
      return lines.joined(separator: "\n")
    }.sorted()
  }

  @Test(arguments: [1, 2])
  func packedHistoryReadsAsThroughLibgit2(parallelism: Int) throws {
    let git = try Self.makeHistory()
    let repo = try open(git)
    let reference = try Self.digest(
      readChanges(repo, .all, options: DiffOptions(cacheSize: 0), parallelism: parallelism))
    #expect(reference.count == 125)
    for cacheSize in [DiffOptions().cacheSize, 8 << 10] {
      let direct = try Self.digest(
        readChanges(repo, .all, options: DiffOptions(cacheSize: cacheSize), parallelism: parallelism))
      #expect(direct == reference, "cache size \(cacheSize)")
    }
    // The revert, rename, copy and re-add are seen as Git sees them.
    let all = try readChanges(repo, .all)
    let renamed = try #require(all.flatMap(\.files).first { $0.path == "src/renamed.txt" && $0.oldPath != nil })
    #expect(renamed.status == .renamed && renamed.oldPath == "src/f5.txt")
    let readded = try #require(
      all.first { $0.commit.message.hasPrefix("change 70") }?.file("src/f3.txt"))
    #expect(readded.status == .added && !readded.addedTexts.isEmpty)
  }

  @Test func packReaderReadsEveryObjectAsLibgit2Does() throws {
    let git = try Self.makeHistory()
    let handle = try RepoHandle(
      spec: OpenSpec(gitDir: git.path + "/.git", workDir: nil, objectDirectories: [], indexFile: nil))
    let packs = PackSet(objectDirectories: handle.objectDirectories())
    #expect(packs.packs.count == 1)
    let reader = PackReader(packs: packs, bases: DeltaBaseCache(capacity: 16 << 10))
    let listing = try git.git(["rev-list", "--objects", "--all"]).split(separator: "\n")
    var blobs = 0
    var deltas = 0
    for line in listing {
      let id = try ObjectID(hex: String(line.prefix(40)))
      let type = try git.git(["cat-file", "-t", id.hex])
      guard type == "blob" || type == "tree" else { continue }
      let expected = try handle.readObject(id, packType: type == "blob" ? 3 : 2)
      let inPack = reader.locate(id) != nil
      let got = reader.readObject(id, type: type == "blob" ? 3 : 2)
      #expect((got != nil) == inPack, "\(id)")
      if let got {
        #expect(got.withBytes { Array($0) } == expected.withBytes { Array($0) }, "\(type) \(id)")
        if type == "blob" {
          blobs += 1
          #expect(reader.blobSize(id) == expected.count)
        }
      }
    }
    for line in try git.git([
      "verify-pack", "-v",
      git.path + "/.git/objects/pack/"
        + (try FileManager.default.contentsOfDirectory(atPath: git.path + "/.git/objects/pack").first {
          $0.hasSuffix(".idx")
        }!),
    ]).split(separator: "\n") where line.split(separator: " ").count >= 7 {
      deltas += 1
    }
    #expect(blobs > 100)
    #expect(deltas > 50)  // the chains this test is about exist
    // Size first, then content (as a whole-history read asks): the delta inflated for the size is
    // the one the read applies; with a sharded cache too.
    for capacity in [16 << 10, 8 << 20] {
      let fresh = PackReader(packs: packs, bases: DeltaBaseCache(capacity: capacity))
      for line in listing {
        let id = try ObjectID(hex: String(line.prefix(40)))
        guard try git.git(["cat-file", "-t", id.hex]) == "blob", fresh.locate(id) != nil else { continue }
        let expected = try handle.readObject(id, packType: 3)
        #expect(fresh.blobSize(id) == expected.count, "\(id)")
        #expect(fresh.readBlob(id)?.withBytes { Array($0) } == expected.withBytes { Array($0) }, "\(id)")
      }
    }
  }

  @Test func newlineCountMatchesAByteLoop() {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    for length in [0, 1, 15, 16, 63, 64, 65, 127, 4_031, 4_032, 4_033, 4_096, 70_001] {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let bytes = (0..<length).map { k -> UInt8 in
        let r = (state >> 29) &+ UInt64(k) &* 0x9E37_79B9
        return r % 7 == 0 ? 0x0A : UInt8(truncatingIfNeeded: r >> 8)
      }
      let expected = bytes.filter { $0 == 0x0A }.count
      let all = [UInt8](repeating: 0x0A, count: length)
      bytes.withUnsafeBufferPointer {
        #expect(LineDiff.countNewlines($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, length) == expected)
      }
      all.withUnsafeBufferPointer {
        #expect(LineDiff.countNewlines($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, length) == length)
      }
    }
  }

  @Test func revisionWalkOverPackedCommitsMatchesLibgit2() throws {
    let git = try Self.makeHistory()
    let repo = try open(git)
    let handle = try RepoHandle(
      spec: OpenSpec(gitDir: git.path + "/.git", workDir: nil, objectDirectories: [], indexFile: nil))
    let reader = PackReader(
      packs: PackSet(objectDirectories: handle.objectDirectories()), bases: DeltaBaseCache(capacity: 1 << 20))
    for selection: CommitSelection in [.all, .revisions(["main~20..main"]), .revisions(["side", "^main~40"])] {
      let direct = try repo.handle.withLock { _ in try repo.selectedCommits(selection, packs: reader) }
      let viaLibgit2 = try repo.handle.withLock { _ in try repo.selectedCommits(selection) }
      #expect(direct == viaLibgit2, "\(selection)")
      #expect(!direct.isEmpty)
    }
  }

  @Test func cachesStayWithinTheirBounds() throws {
    func data(_ n: Int, _ fill: UInt8) -> BlobData {
      let buffer = BlobData.allocate(n)
      buffer.initializeMemory(as: UInt8.self, repeating: fill, count: n)
      return BlobData(owning: buffer, count: n)
    }
    let blobs = BlobCache(capacity: 10_000, maxEntry: 4_000)
    var ids: [ObjectID] = []
    for k in 0..<100 {
      ids.append(try ObjectID(hex: String(repeating: "0", count: 32) + String(format: "%08x", k + 1)))
      blobs.put(ids[k], data(1_000, UInt8(k)))
      #expect(blobs.statistics.bytes <= 10_000)
    }
    blobs.put(ids[0], data(5_000, 0))  // larger than an entry may be: not kept
    #expect(blobs.size(of: ids[0]) == nil)
    // The newest entries are there with their own content, once: a take removes them.
    let last = try #require(blobs.take(ids[99]))
    #expect(last.withBytes { $0.allSatisfy { $0 == 99 } })
    #expect(blobs.take(ids[99]) == nil)
    #expect(blobs.take(ids[5]) == nil)  // long evicted

    let bases = DeltaBaseCache(capacity: 20_000)
    for k in 0..<200 {
      bases.put(.init(pack: 0, offset: k), .init(type: 3, data: data(1_000, UInt8(k % 256))))
    }
    #expect(bases.get(.init(pack: 0, offset: 199))?.data.withBytes { $0.first } == 199)
    #expect(bases.get(.init(pack: 0, offset: 0)) == nil)
    #expect(bases.residentBytes <= 20_000 + 200 * 64)

    // A large cache keeps chain roots apart: found by `get`, and the whole stays within its bound.
    let large = DeltaBaseCache(capacity: 8 << 20)
    large.putRoot(.init(pack: 0, offset: 12), .init(type: 3, data: data(10_000, 7)))
    for k in 0..<4_000 {
      large.put(.init(pack: 0, offset: 100 + k), .init(type: 3, data: data(10_000, UInt8(k % 256))))
    }
    #expect(large.get(.init(pack: 0, offset: 12))?.data.withBytes { $0.first } == 7)
    #expect(large.residentBytes <= (8 << 20) + 4_001 * 64)
  }
}

@Suite struct LineDiffTests {
  /// The changes of `new` against `old` computed on the whole files, without the common-ends shortcut.
  static func reference(_ old: [UInt8], _ new: [UInt8]) -> (added: [String], removed: [String]) {
    old.withUnsafeBufferPointer { o in
      new.withUnsafeBufferPointer { n in
        let lo = LineDiff.lines(o)
        let ln = LineDiff.lines(n)
        let (a, r) = LineDiff.diff(old: o, oldLines: lo, new: n, newLines: ln)
        func render(_ b: LineBlock) -> [String] { b.lines.map { "\($0.number):\($0.text)" } }
        return (render(LineDiff.block(n, lines: ln, picking: a)), render(LineDiff.block(o, lines: lo, picking: r)))
      }
    }
  }

  static func shortcut(_ old: [UInt8], _ new: [UInt8]) -> (added: [String], removed: [String]) {
    old.withUnsafeBufferPointer { o in
      new.withUnsafeBufferPointer { n in
        let c = LineDiff.changes(old: o, new: n, otherParents: [])
        return (c.added.lines.map { "\($0.number):\($0.text)" }, c.removed.lines.map { "\($0.number):\($0.text)" })
      }
    }
  }

  /// The shortcut reports what the whole-file comparison reports: the same added and removed line
  /// texts, as many copies of each; which copy of a repeated line is reported may differ (runs of
  /// common lines are matched first), but every reported number names a line with that text.
  static func agree(_ old: [UInt8], _ new: [UInt8]) -> Bool {
    let got = shortcut(old, new)
    let want = reference(old, new)
    func texts(_ rendered: [String]) -> [String] { rendered.map { String($0.drop { $0 != ":" }.dropFirst()) }.sorted() }
    func numbered(_ rendered: [String], in file: [UInt8]) -> Bool {
      let lines = file.split(separator: 0x0A, omittingEmptySubsequences: false).map { Array($0) }
      return rendered.allSatisfy { item in
        guard let colon = item.firstIndex(of: ":"), let number = Int(item[..<colon]), number >= 1,
          number <= lines.count
        else { return false }
        return lines[number - 1] == Array(item[item.index(after: colon)...].utf8)
      }
    }
    return texts(got.added) == texts(want.added) && texts(got.removed) == texts(want.removed)
      && numbered(got.added, in: new) && numbered(got.removed, in: old)
      && Set(got.added).count == got.added.count && Set(got.removed).count == got.removed.count
  }

  @Test(arguments: [
    ("a\nb", "a\nb\n"), ("a\nb\n", "a\nb"), ("x\nx\n", "x\n"), ("", "a"), ("a\n", ""), ("a\nb\nc\n", "a\nc\n"),
    ("same\n", "same\n"), ("one\r\ntwo\r\n", "one\r\n2\r\ntwo\r\n"), ("m\na\nb\n", "a\nb\nm\n"),
    ("p\nq\nq\nq\n", "p\nq\nq\n"), ("long line one\nshort\n", "long line one\nshorter\n"),
  ])
  func commonEndsShortcutMatchesWholeFiles(old: String, new: String) {
    let o = Array(old.utf8)
    let n = Array(new.utf8)
    #expect(Self.agree(o, n), "\(Self.shortcut(o, n)) vs \(Self.reference(o, n))")
  }

  @Test func commonEndsShortcutMatchesWholeFilesOnSeededEdits() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    for _ in 0..<300 {
      var lines = (0..<next(30)).map { _ in ["a", "b", "c", "dd", "", "eee"][next(6)] }
      let old = lines.joined(separator: "\n") + (next(2) == 0 ? "\n" : "")
      for _ in 0..<next(4) {
        switch next(3) {
        case 0: lines.insert(["a", "x", "", "yy"][next(4)], at: next(lines.count + 1))
        case 1: if !lines.isEmpty { lines.remove(at: next(lines.count)) }
        default: if !lines.isEmpty { lines[next(lines.count)] = ["b", "z", ""][next(3)] }
        }
      }
      let new = lines.joined(separator: "\n") + (next(2) == 0 ? "\n" : "")
      #expect(Self.agree(Array(old.utf8), Array(new.utf8)), "\(old.debugDescription) -> \(new.debugDescription)")
    }
  }
}

extension LineDiffTests {
  /// Longer files with longer, often repeated lines and edits spread through them: the runs between
  /// edits are long enough to anchor on, and what is reported still agrees with the whole files.
  @Test func anchoredRunsAgreeWithWholeFilesOnSpreadEdits() {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    let pool = [
      "    return value;", "  }", "", "/* Copyright (C) 1998 - 2020 */", "static int parse(const char *text) {",
      "    if(!text) return -1;", "#include <stdio.h>", "    count += 1;", "x",
    ]
    for _ in 0..<300 {
      var lines = (0..<next(200)).map { _ in next(3) == 0 ? "line \(next(50))" : pool[next(pool.count)] }
      let old = lines.joined(separator: "\n") + (next(2) == 0 ? "\n" : "")
      for _ in 0..<next(8) {
        let edit = ["/* Copyright (C) 1998 - 2021 */", "    token = \"abc\";", "  }", "", "line \(next(60))"][next(5)]
        switch next(4) {
        case 0: lines.insert(edit, at: next(lines.count + 1))
        case 1: if !lines.isEmpty { lines.remove(at: next(lines.count)) }
        case 2:
          let at = next(lines.count + 1)
          lines.insert(contentsOf: (0..<next(30)).map { _ in pool[next(pool.count)] }, at: at)
        default: if !lines.isEmpty { lines[next(lines.count)] = edit }
        }
      }
      let new = lines.joined(separator: "\n") + (next(2) == 0 ? "\n" : "")
      #expect(Self.agree(Array(old.utf8), Array(new.utf8)), "\(old.debugDescription) -> \(new.debugDescription)")
    }
  }
}

@Suite struct RawCommitTests {
  /// Writes a raw commit object with `git hash-object` and points `refs/heads/<name>` at it.
  static func rawCommit(_ git: GitRepo, _ name: String, _ body: String) throws {
    let id = try git.git(["hash-object", "-t", "commit", "-w", "--literally", "--stdin"], stdin: Data(body.utf8))
    try git.git(["update-ref", "refs/heads/\(name)", id])
  }

  @Test func packedCommitsParseAsLibgit2ParsesThem() throws {
    let git = try GitRepo()
    try git.commit(
      "subject\n\nbody line\n\nSigned-off-by: A <a@example.com>\nCo-authored-by: Bot <bot@example.com>\n",
      files: ["a.txt": "a\n"], author: (name: "  Spaced Name ", email: "spaced@example.com"))
    let tree = try git.git(["rev-parse", "HEAD^{tree}"])
    let head = try git.git(["rev-parse", "HEAD"])
    let shapes: [(String, String)] = [
      (
        "latin1",
        "tree \(tree)\nparent \(head)\nauthor J\u{F6}rg <j@example.com> 1700000000 +0100\ncommitter C <c@example.com> 1700000001 -0530\nencoding ISO-8859-1\n\nMessage\n"
      ),
      (
        "twoauthors",
        "tree \(tree)\nauthor One <1@example.com> 1700000000 +0000\nauthor Two <2@example.com> 1 +0000\ncommitter C <c@example.com> 5 +0000\n\nx\n"
      ),
      ("nozone", "tree \(tree)\nauthor A <a@example.com> 1700000000\ncommitter C <c@example.com> 5 +0000\n\nx\n"),
      (
        "bigzone", "tree \(tree)\nauthor A <a@example.com> 1700000000 +1575\ncommitter C <c@example.com> 5 -9999\n\nx\n"
      ),
      (
        "leadingnewlines",
        "tree \(tree)\nauthor A <a@example.com> 1 +0000\ncommitter C <c@example.com> 5 +0000\ngpgsig -----BEGIN-----\n abc\n -----END-----\n\n\n\nafter blank lines\n"
      ),
      (
        "nulmessage",
        "tree \(tree)\nauthor A <a@example.com> 1 +0000\ncommitter C <c@example.com> 5 +0000\n\nbefore\u{0}after\n"
      ),
      ("oddemail", "tree \(tree)\nauthor A <weird <a@example.com>> 1 +0000\ncommitter   <  > 5 +0000\n\nx\n"),
      (
        "crud",
        "tree \(tree)\nauthor Philip H. <'a@example.com.'> 1 +0000\ncommitter \"C;\" <,c@example.com:> 5 +0000\n\nx\n"
      ),
      (
        "merge",
        "tree \(tree)\nparent \(head)\nparent \(head)\nauthor A <a@example.com> 1 +0000\ncommitter C <c@example.com> 5 +0200\n\nmerge\n"
      ),
    ]
    for (name, body) in shapes { try Self.rawCommit(git, name, body) }
    try git.git(["repack", "-adq"])
    let repo = try open(git)
    let handle = repo.handle
    let reader = PackReader(
      packs: PackSet(objectDirectories: handle.objectDirectories()), bases: DeltaBaseCache(capacity: 1 << 20))
    var parsed = 0
    for name in ["main"] + shapes.map(\.0) {
      let id = try ObjectID(hex: try git.git(["rev-parse", "refs/heads/\(name)"]))
      let expected = try handle.withLock { _ in makeCommitRecord(try handle.lookupCommit(id).pointer) }
      let raw = try #require(reader.readObject(id, type: 1), "\(name) is packed")
      if let mine = RawCommit(raw, id: id) {
        parsed += 1
        #expect(mine.record == expected, "\(name)")
        #expect(mine.parents.map(\.hex) == expected.parents)
      }
    }
    #expect(parsed >= 6)  // the usual shapes are parsed here, the odd ones left to libgit2
  }
}
