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

/// Reads blobs through a cache: a blob found there is taken out (its second use), a blob read from
/// the object database is left there for its other use. Takes the handle's lock for libgit2 calls.
struct BlobReader: Sendable {
  let handle: RepoHandle
  let cache: BlobCache

  func size(of id: ObjectID) throws -> Int {
    if let size = cache.size(of: id) { return size }
    return try handle.withLock { _ in try handle.header(id).size }
  }

  func read(_ id: ObjectID) throws -> BlobData {
    if let hit = cache.take(id) { return hit }
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
  /// Bytes of new-side blobs one commit may keep for its lazy line loaders; past it they are re-read.
  static let retainBudget = 64 << 20

  func change(of id: ObjectID) throws -> CommitChange {
    let commit = try handle.lookupCommit(id)
    let record = makeCommitRecord(commit.pointer)
    return CommitChange(commit: record, files: try files(of: commit, id: id))
  }

  func files(of id: ObjectID) throws -> [FileDiff] {
    try files(of: try handle.lookupCommit(id), id: id)
  }

  private func files(of commit: GitObject, id: ObjectID) throws -> [FileDiff] {
    let parentCount = git_commit_parentcount(commit.pointer)
    if parentCount > 0, shallow.contains(id) { throw GitError.shallowBoundary(commit: id.hex) }
    var treeOut: OpaquePointer?
    try check(git_commit_tree(&treeOut, commit.pointer), "git_commit_tree(\(id))")
    let tree = GitObject(treeOut!)
    var parentTrees: [GitObject] = []
    for k in 0..<parentCount {
      let pid = ObjectID(git_commit_parent_id(commit.pointer, k)!.pointee)
      let parent = try handle.lookupCommit(pid)
      var pt: OpaquePointer?
      try check(git_commit_tree(&pt, parent.pointer), "git_commit_tree(\(pid))")
      parentTrees.append(GitObject(pt!))
    }
    var raw: [RawChange] = []
    try compareTrees(parentTrees.first?.pointer, tree.pointer, prefix: "", into: &raw)
    raw = detectExactRenames(raw)
    var others: [[ObjectID]] = Array(repeating: [], count: raw.count)
    if parentTrees.count > 1 {
      var kept: [RawChange] = []
      var keptOthers: [[ObjectID]] = []
      changes: for change in raw {
        var blobs: [ObjectID] = []
        for other in parentTrees.dropFirst() {
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

  private func isTree(_ e: OpaquePointer) -> Bool { git_tree_entry_filemode(e).rawValue == treeMode }

  /// Git's tree order: names compared bytewise, a tree's name as if it ended in '/'.
  private func compareEntries(_ a: OpaquePointer, _ b: OpaquePointer) -> Int32 {
    let na = git_tree_entry_name(a)!
    let nb = git_tree_entry_name(b)!
    let la = strlen(na)
    let lb = strlen(nb)
    let m = min(la, lb)
    let c = memcmp(na, nb, m)
    if c != 0 { return c }
    let ca: Int32 = la > m ? Int32(UInt8(bitPattern: na[m])) : (isTree(a) ? 0x2F : 0)
    let cb: Int32 = lb > m ? Int32(UInt8(bitPattern: nb[m])) : (isTree(b) ? 0x2F : 0)
    return ca - cb
  }

  private func name(_ e: OpaquePointer, _ prefix: String) -> String {
    prefix + String(cString: git_tree_entry_name(e))
  }

  func compareTrees(_ old: OpaquePointer?, _ new: OpaquePointer?, prefix: String, into out: inout [RawChange]) throws {
    let oc = old.map { git_tree_entrycount($0) } ?? 0
    let nc = new.map { git_tree_entrycount($0) } ?? 0
    var i = 0
    var j = 0
    while i < oc || j < nc {
      let eo = i < oc ? git_tree_entry_byindex(old, i) : nil
      let en = j < nc ? git_tree_entry_byindex(new, j) : nil
      let order: Int32
      if let eo, let en { order = compareEntries(eo, en) } else { order = eo != nil ? -1 : 1 }
      if order < 0, let eo {
        try side(eo, prefix: prefix, deleted: true, into: &out)
        i += 1
      } else if order > 0, let en {
        try side(en, prefix: prefix, deleted: false, into: &out)
        j += 1
      } else if let eo, let en {
        i += 1
        j += 1
        let oid = ObjectID(git_tree_entry_id(eo).pointee)
        let nid = ObjectID(git_tree_entry_id(en).pointee)
        let om = git_tree_entry_filemode(eo).rawValue
        let nm = git_tree_entry_filemode(en).rawValue
        if oid == nid && om == nm { continue }
        if om == treeMode && nm == treeMode {
          let ot = try handle.lookupTree(oid)
          let nt = try handle.lookupTree(nid)
          try compareTrees(ot.pointer, nt.pointer, prefix: name(en, prefix) + "/", into: &out)
        } else {
          out.append(RawChange(path: name(en, prefix), oldID: oid, newID: nid, oldMode: om, newMode: nm))
        }
      }
    }
  }

  private func side(_ e: OpaquePointer, prefix: String, deleted: Bool, into out: inout [RawChange]) throws {
    let id = ObjectID(git_tree_entry_id(e).pointee)
    let mode = git_tree_entry_filemode(e).rawValue
    if mode == treeMode {
      let t = try handle.lookupTree(id)
      try compareTrees(deleted ? t.pointer : nil, deleted ? nil : t.pointer, prefix: name(e, prefix) + "/", into: &out)
    } else if deleted {
      out.append(RawChange(path: name(e, prefix), oldID: id, newID: nil, oldMode: mode, newMode: 0))
    } else {
      out.append(RawChange(path: name(e, prefix), oldID: nil, newID: id, oldMode: 0, newMode: mode))
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
    let reader = BlobReader(handle: handle, cache: blobs)
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
    try BlobReader(handle: handle, cache: blobs).size(of: id)
  }

  private func read(_ id: ObjectID) throws -> BlobData {
    try BlobReader(handle: handle, cache: blobs).read(id)
  }

  private func kind(_ mode: UInt32) -> UInt32 { mode & 0o170000 }

  private func fileMode(_ mode: UInt32) -> FileMode {
    if let m = FileMode(gitMode: mode) { return m }
    return mode & 0o111 != 0 ? .executable : .regular
  }
}
