// Per-commit changes by direct comparison of tree entries: both trees are walked in Git's entry
// order, equal entries (same id and mode) are skipped without reading them, so an unchanged subtree
// costs one comparison. Renames are exact (same blob id); a rename with edits is a delete and an add.

internal import CGit2
import Foundation
import GateCore

extension ObjectID: @unchecked Sendable {}

/// One changed path before its content is looked at. Mode 0 means absent on that side.
struct RawChange {
  var path: String
  var oldPath: String?
  var oldID: ObjectID?
  var newID: ObjectID?
  var oldMode: UInt32 = 0
  var newMode: UInt32 = 0
}

private let treeMode: UInt32 = 0o040000
private let emptyBlob = try! ObjectID(hex: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")

/// A tree object's entries, parsed from its raw bytes: `MODE SP NAME NUL ID` each, modes normalised
/// as libgit2 does (a tree, an executable or regular file, a symlink, a submodule).
struct RawTree {
  let data: BlobData
  private struct Entry {
    var nameStart: Int32
    var nameEnd: Int32
    var mode: UInt32
  }
  private var entries: [Entry] = []

  init?(_ data: BlobData) {
    self.data = data
    var entries: [Entry] = []
    entries.reserveCapacity(data.count / 32 + 1)
    let ok = data.withBytes { b -> Bool in
      var at = 0
      while at < b.count {
        var mode: UInt32 = 0
        var digits = 0
        while at < b.count, b[at] != 0x20 {
          let d = b[at] &- 0x30
          guard d < 8, digits < 7 else { return false }
          mode = mode << 3 | UInt32(d)
          digits += 1
          at += 1
        }
        guard digits > 0, at < b.count else { return false }
        at += 1
        let start = at
        guard let nul = memchr(b.baseAddress! + at, 0, b.count - at) else { return false }
        at = b.baseAddress!.distance(to: nul.assumingMemoryBound(to: UInt8.self))
        guard at > start, at + 21 <= b.count else { return false }
        entries.append(Entry(nameStart: Int32(start), nameEnd: Int32(at), mode: RawTree.normalise(mode)))
        at += 21
      }
      return true
    }
    guard ok, data.count < Int(Int32.max) else { return nil }
    self.entries = entries
  }

  var count: Int { entries.count }

  func mode(_ k: Int) -> UInt32 { entries[k].mode }

  func name(_ k: Int) -> String {
    data.withBytes { b in
      String(
        decoding: UnsafeBufferPointer(rebasing: b[Int(entries[k].nameStart)..<Int(entries[k].nameEnd)]), as: UTF8.self)
    }
  }

  func id(_ k: Int) -> ObjectID {
    var oid = git_oid()
    data.withBytes { b in
      withUnsafeMutableBytes(of: &oid) {
        $0.copyMemory(from: UnsafeRawBufferPointer(start: b.baseAddress! + Int(entries[k].nameEnd) + 1, count: 20))
      }
    }
    return ObjectID(oid)
  }

  func sameID(_ k: Int, _ other: RawTree, _ j: Int) -> Bool {
    data.withBytes { a in
      other.data.withBytes { b in
        memcmp(a.baseAddress! + Int(entries[k].nameEnd) + 1, b.baseAddress! + Int(other.entries[j].nameEnd) + 1, 20)
          == 0
      }
    }
  }

  /// Git's tree order: names compared bytewise, a tree's name as if it ended in '/'.
  static func compare(_ x: RawTree, _ i: Int, _ y: RawTree, _ j: Int) -> Int32 {
    x.data.withBytes { a in
      y.data.withBytes { b in
        let ex = x.entries[i]
        let ey = y.entries[j]
        let la = Int(ex.nameEnd - ex.nameStart)
        let lb = Int(ey.nameEnd - ey.nameStart)
        let m = min(la, lb)
        let pa = a.baseAddress! + Int(ex.nameStart)
        let pb = b.baseAddress! + Int(ey.nameStart)
        let c = memcmp(pa, pb, m)
        if c != 0 { return c }
        let ca: Int32 = la > m ? Int32(pa[m]) : (ex.mode == treeMode ? 0x2F : 0)
        let cb: Int32 = lb > m ? Int32(pb[m]) : (ey.mode == treeMode ? 0x2F : 0)
        return ca - cb
      }
    }
  }

  static func normalise(_ mode: UInt32) -> UInt32 {
    let type = mode & 0o170000
    if type == 0o040000 { return 0o040000 }
    if mode & 0o111 != 0 { return 0o100755 }
    if type == 0o160000 { return 0o160000 }
    if type == 0o120000 { return 0o120000 }
    return 0o100644
  }
}

/// Parsed trees of one worker by id, at most `limit` of them (forgotten all at once past it), and the
/// raw parent commits it read for their trees: the worker's next commit is usually that parent, read
/// then from here instead of inflated again. Used under the worker's handle lock only.
final class WorkerMemo: @unchecked Sendable {
  private var entries: [ObjectID: RawTree] = [:]
  private var commits: [ObjectID: BlobData] = [:]
  let limit: Int

  init(limit: Int = 256) { self.limit = limit }

  func getTree(_ id: ObjectID) -> RawTree? { entries[id] }

  func putTree(_ id: ObjectID, _ tree: RawTree) {
    if entries.count >= limit { entries.removeAll(keepingCapacity: true) }
    entries[id] = tree
  }

  /// A parent commit's raw object kept by `keepCommit`, taken out (it is needed once more).
  func takeCommit(_ id: ObjectID) -> BlobData? { commits.removeValue(forKey: id) }

  func keepCommit(_ id: ObjectID, _ raw: BlobData) {
    if commits.count >= 16 { commits.removeAll(keepingCapacity: true) }
    commits[id] = raw
  }
}

/// Reads blobs through a cache: a blob found there is taken out (its second use), a blob read from
/// the object database is left there for its other use. Takes the handle's lock for libgit2 calls.
struct BlobReader: Sendable {
  let handle: RepoHandle
  let cache: BlobCache
  /// Reads packed blobs directly (whole-history reads); nil: everything through libgit2.
  let packs: PackReader?

  func size(of id: ObjectID) throws -> Int {
    if let size = cache.size(of: id) { return size }
    return try handle.withLock { _ in
      if let size = packs?.blobSize(id) { return size }
      return try handle.header(id).size
    }
  }

  /// A packed blob read here stays in the pack reader's base cache (by pack offset), where the next
  /// read finds it; only blobs libgit2 reads (loose, alternates) go to the blob cache.
  func read(_ id: ObjectID) throws -> BlobData {
    if let hit = cache.take(id) { return hit }
    if let packs, let blob = handle.withLock({ _ in packs.readBlob(id) }) { return blob }
    let blob = try handle.withLock { _ in try handle.readBlob(id) }
    cache.put(id, blob)
    return blob
  }
}

/// Builds commit changes on one handle (must run under its lock).
struct ChangeBuilder {
  let handle: RepoHandle
  let options: DiffOptions
  let shallow: Set<ObjectID>
  /// Blobs read by one use and waiting for their other (shared by the workers of one read).
  let blobs: BlobCache
  /// The worker's direct pack reader, if any (see `BlobReader.packs`).
  var packs: PackReader? = nil
  /// The worker's recently parsed trees and parent commits (a commit's trees are its parent's old trees).
  var memo: WorkerMemo? = nil
  /// Bytes of new-side blobs one commit may keep for its lazy line loaders; past it they are re-read.
  static let retainBudget = 64 << 20

  func change(of id: ObjectID) throws -> CommitChange {
    if let packs, let raw = memo?.takeCommit(id) ?? packs.readObject(id, type: 1),
      let parsed = RawCommit(raw, id: id)
    {
      return CommitChange(commit: parsed.record, files: try files(id: id, tree: parsed.tree, parents: parsed.parents))
    }
    let commit = try handle.lookupCommit(id)
    let record = makeCommitRecord(commit.pointer)
    let (tree, parents) = Self.treeAndParents(commit.pointer)
    return CommitChange(commit: record, files: try files(id: id, tree: tree, parents: parents))
  }

  func files(of id: ObjectID) throws -> [FileDiff] {
    let (tree, parents) = Self.treeAndParents(try handle.lookupCommit(id).pointer)
    return try files(id: id, tree: tree, parents: parents)
  }

  private static func treeAndParents(_ commit: OpaquePointer) -> (ObjectID, [ObjectID]) {
    let parents = (0..<git_commit_parentcount(commit)).compactMap { k in
      git_commit_parent_id(commit, k).map { ObjectID($0.pointee) }
    }
    return (ObjectID(git_commit_tree_id(commit).pointee), parents)
  }

  /// The root tree of commit `id` (read directly when packed).
  private func commitTree(_ id: ObjectID) throws -> ObjectID {
    if let packs, let raw = packs.readObject(id, type: 1), let header = CommitHeader(raw), let tree = header.tree {
      memo?.keepCommit(id, raw)
      return tree
    }
    return ObjectID(git_commit_tree_id(try handle.lookupCommit(id).pointer).pointee)
  }

  private func files(id: ObjectID, tree treeID: ObjectID, parents: [ObjectID]) throws -> [FileDiff] {
    if !parents.isEmpty, shallow.contains(id) { throw GitError.shallowBoundary(commit: id.hex) }
    let parentTreeIDs = try parents.map { try commitTree($0) }
    // Other parents of a merge are looked up by path through libgit2.
    let parentTrees = try parentTreeIDs.dropFirst().map { try handle.lookupTree($0) }
    var raw: [RawChange] = []
    try compareTrees(try parentTreeIDs.first.map { try tree($0) }, try tree(treeID), prefix: "", into: &raw)
    raw = detectExactRenames(raw)
    var others: [[ObjectID]] = Array(repeating: [], count: raw.count)
    if !parentTrees.isEmpty {
      var kept: [RawChange] = []
      var keptOthers: [[ObjectID]] = []
      changes: for change in raw {
        var blobs: [ObjectID] = []
        for other in parentTrees {
          let entry = try entry(in: other.pointer, path: change.path)
          if change.newMode == 0 {
            // A deletion already absent in another parent came from that parent.
            if entry == nil { continue changes }
          } else if let entry, entry.id == change.newID, entry.mode == change.newMode {
            continue changes  // taken unchanged from another parent
          } else if let entry, entry.mode != treeMode, entry.mode != 0o160000 {
            blobs.append(entry.id)
          }
        }
        kept.append(change)
        keptOthers.append(blobs)
      }
      raw = kept
      others = keptOthers
    }
    var budget = ChangeBuilder.retainBudget
    var files: [FileDiff] = []
    files.reserveCapacity(raw.count)
    for (k, change) in raw.enumerated() {
      files.append(try fileDiff(change, otherParentBlobs: others[k], budget: &budget))
    }
    return files
  }

  /// The id and mode of `path` in `tree`, nil when absent.
  private func entry(in tree: OpaquePointer, path: String) throws -> (id: ObjectID, mode: UInt32)? {
    var out: OpaquePointer?
    let status = git_tree_entry_bypath(&out, tree, path)
    if status == GIT_ENOTFOUND.rawValue { return nil }
    try check(status, "git_tree_entry_bypath(\(path))")
    defer { git_tree_entry_free(out) }
    return (ObjectID(git_tree_entry_id(out).pointee), git_tree_entry_filemode(out).rawValue)
  }

  /// A tree's entries read from its raw object (through the pack reader when there is one).
  func tree(_ id: ObjectID) throws -> RawTree {
    if let hit = memo?.getTree(id) { return hit }
    let tree = try readTree(id)
    memo?.putTree(id, tree)
    return tree
  }

  private func readTree(_ id: ObjectID) throws -> RawTree {
    let data = try handle.withLock { _ in
      try packs?.readObject(id, type: 2) ?? handle.readObject(id, type: GIT_OBJECT_TREE)
    }
    guard let tree = RawTree(data) else {
      throw GitError.libgit2(call: "reading tree \(id)", code: -1, message: "the tree object is malformed")
    }
    return tree
  }

  func compareTrees(_ old: RawTree?, _ new: RawTree?, prefix: String, into out: inout [RawChange]) throws {
    let oc = old?.count ?? 0
    let nc = new?.count ?? 0
    var i = 0
    var j = 0
    while i < oc || j < nc {
      let order: Int32
      if i < oc, j < nc, let old, let new { order = RawTree.compare(old, i, new, j) } else { order = i < oc ? -1 : 1 }
      if order < 0, let old {
        try side(old, i, prefix: prefix, deleted: true, into: &out)
        i += 1
      } else if order > 0, let new {
        try side(new, j, prefix: prefix, deleted: false, into: &out)
        j += 1
      } else if let old, let new {
        let om = old.mode(i)
        let nm = new.mode(j)
        if om == nm && old.sameID(i, new, j) {
          i += 1
          j += 1
          continue
        }
        let oid = old.id(i)
        let nid = new.id(j)
        if om == treeMode && nm == treeMode {
          try compareTrees(try tree(oid), try tree(nid), prefix: prefix + new.name(j) + "/", into: &out)
        } else {
          out.append(RawChange(path: prefix + new.name(j), oldID: oid, newID: nid, oldMode: om, newMode: nm))
        }
        i += 1
        j += 1
      }
    }
  }

  private func side(_ t: RawTree, _ k: Int, prefix: String, deleted: Bool, into out: inout [RawChange]) throws {
    let id = t.id(k)
    let mode = t.mode(k)
    let path = prefix + t.name(k)
    if mode == treeMode {
      let sub = try tree(id)
      try compareTrees(deleted ? sub : nil, deleted ? nil : sub, prefix: path + "/", into: &out)
    } else if deleted {
      out.append(RawChange(path: path, oldID: id, newID: nil, oldMode: mode, newMode: 0))
    } else {
      out.append(RawChange(path: path, oldID: nil, newID: id, oldMode: 0, newMode: mode))
    }
  }

  /// Pairs deleted and added paths with the same non-empty blob as renames.
  func detectExactRenames(_ changes: [RawChange]) -> [RawChange] {
    var deletedByBlob: [ObjectID: [Int]] = [:]
    for (k, c) in changes.enumerated() where c.newMode == 0 && c.oldMode != 0o160000 {
      if let id = c.oldID, id != emptyBlob { deletedByBlob[id, default: []].append(k) }
    }
    guard !deletedByBlob.isEmpty else { return changes }
    var result = changes
    var consumed = Set<Int>()
    for (k, c) in changes.enumerated() where c.oldMode == 0 && c.newMode != 0o160000 {
      guard let id = c.newID, var candidates = deletedByBlob[id], !candidates.isEmpty else { continue }
      let d = candidates.removeFirst()
      deletedByBlob[id] = candidates
      consumed.insert(d)
      result[k].oldPath = changes[d].path
      result[k].oldID = changes[d].oldID
      result[k].oldMode = changes[d].oldMode
    }
    return result.enumerated().filter { !consumed.contains($0.offset) }.map(\.element)
  }

  /// Turns a raw change into a FileDiff: reads the new blob once (binary check, symlink target) and
  /// leaves the line difference to a lazy loader that reads the old blob.
  func fileDiff(_ c: RawChange, otherParentBlobs: [ObjectID], budget: inout Int) throws -> FileDiff {
    let oldMode = c.oldMode == 0 ? nil : fileMode(c.oldMode)
    let newMode = c.newMode == 0 ? nil : fileMode(c.newMode)
    let status: ChangeStatus
    if c.oldMode == 0 {
      status = .added
    } else if c.newMode == 0 {
      status = .deleted
    } else if c.oldPath != nil && c.oldPath != c.path {
      status = .renamed
    } else if kind(c.oldMode) != kind(c.newMode) {
      status = .typeChanged
    } else {
      status = .modified
    }
    let isOldSubmodule = c.oldMode == 0o160000
    let isNewSubmodule = c.newMode == 0o160000
    var diff = FileDiff(
      path: c.path, oldPath: c.oldPath, status: status, oldMode: oldMode, newMode: newMode,
      oldBlob: c.oldID?.hex, newBlob: c.newID?.hex)
    if (isNewSubmodule || c.newMode == 0) && (isOldSubmodule || c.oldMode == 0) {
      diff.skipped = .submodule
      return diff
    }
    let oldID = isOldSubmodule ? nil : c.oldID
    let oldSize = try oldID.map { try size(of: $0) } ?? 0
    diff.oldSize = oldSize
    let max = options.maxBlobSize
    // The side whose lines matter: the new blob, or the old one for a deletion.
    let mainID = isNewSubmodule ? nil : c.newID
    let mainSize = try mainID.map { try size(of: $0) } ?? 0
    diff.newSize = mainSize
    if isNewSubmodule {
      diff.skipped = .submodule
    }
    if mainID == nil, c.newMode == 0, oldSize > max {
      diff.skipped = .tooLarge
      return diff
    }
    if mainSize > max {
      diff.skipped = .tooLarge
      return diff
    }
    var retained: BlobData?
    if let mainID {
      let blob = try read(mainID)
      let (target, binary) = blob.withBytes { bytes in
        (c.newMode == 0o120000 ? String(decoding: bytes, as: UTF8.self) : nil, LineDiff.isBinary(bytes))
      }
      diff.symlinkTarget = target
      if binary {
        diff.isBinary = true
        diff.skipped = .binary
        return diff
      }
      if blob.count <= budget {
        budget -= blob.count
        retained = blob
      }
    }
    let reader = BlobReader(handle: handle, cache: blobs, packs: packs)
    let loadOld = oldSize <= max ? oldID : nil
    let others = otherParentBlobs
    diff.changes = LazyLineChanges { [retained] in
      let oldBlob = try loadOld.map { try reader.read($0) } ?? .empty
      let newBlob = try retained ?? (mainID.map { try reader.read($0) } ?? .empty)
      let otherBlobs = try others.compactMap { other in try reader.size(of: other) <= max ? try reader.read(other) : nil
      }
      return oldBlob.withBytes { old in
        newBlob.withBytes { new in
          LineDiff.changes(old: old, new: new, otherParents: otherBlobs)
        }
      }
    }
    return diff
  }

  /// A blob's size: from the cache when it holds the blob, else from the object header.
  private func size(of id: ObjectID) throws -> Int {
    try BlobReader(handle: handle, cache: blobs, packs: packs).size(of: id)
  }

  private func read(_ id: ObjectID) throws -> BlobData {
    try BlobReader(handle: handle, cache: blobs, packs: packs).read(id)
  }

  private func kind(_ mode: UInt32) -> UInt32 { mode & 0o170000 }

  private func fileMode(_ mode: UInt32) -> FileMode {
    if let m = FileMode(gitMode: mode) { return m }
    return mode & 0o111 != 0 ? .executable : .regular
  }
}
