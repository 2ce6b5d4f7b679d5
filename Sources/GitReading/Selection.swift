// Which commits to judge: revisions with git log's meaning, one commit, every ref, the staged index,
// or hook input (pre-receive's `old new ref`, pre-push's `local-ref local-sha remote-ref remote-sha`).

internal import CGit2
import Foundation

/// The commits a command judges.
public enum CommitSelection: Sendable, Equatable {
  /// `REV` (everything reachable), `A..B`, `^A B`, `A...B`, as git log reads them.
  case revisions([String])
  /// Exactly one commit.
  case commit(String)
  /// Everything reachable from any ref (notes refs aside) and HEAD.
  case all
  /// The index against HEAD (a pseudo-commit without id).
  case staged
  /// Hook input: the commits a push brings.
  case updates([RefUpdate])
}

/// One line of hook input.
public struct RefUpdate: Sendable, Equatable {
  /// pre-receive: the ref's old value; pre-push: the remote's current value (remote-sha).
  public var oldID: String
  /// pre-receive: the ref's new value; pre-push: the local commit being pushed (local-sha).
  public var newID: String
  /// The ref updated: pre-receive's ref, pre-push's remote ref.
  public var ref: String
  /// pre-push only: the local ref pushed (`(delete)` for deletions).
  public var localRef: String?
  /// pre-push only: the remote's name (the hook's first argument); its tracking refs
  /// `refs/remotes/NAME/*` are what the remote already has. Nil: every `refs/remotes/*`.
  public var remoteName: String?

  public init(oldID: String, newID: String, ref: String, localRef: String? = nil, remoteName: String? = nil) {
    self.oldID = oldID
    self.newID = newID
    self.ref = ref
    self.localRef = localRef
    self.remoteName = remoteName
  }

  /// True for a pre-push line.
  public var isPrePush: Bool { localRef != nil }
  public var isDeletion: Bool { newID.allSatisfy { $0 == "0" } }
  public var isCreation: Bool { oldID.allSatisfy { $0 == "0" } }
}

/// Parses hook input.
public enum RefUpdates {
  /// Three-field pre-receive lines or four-field pre-push lines (not mixed); blank lines are ignored.
  /// `remoteName` is stored in pre-push updates.
  public static func parse(_ text: String, remoteName: String? = nil) throws -> [RefUpdate] {
    var result: [RefUpdate] = []
    var kind: Int?
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    for (n, rawLine) in lines.enumerated() {
      let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
      if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      func fail(_ reason: String) -> GitError { .badUpdateLine(number: n + 1, line: String(line), reason: reason) }
      guard fields.count == 3 || fields.count == 4 else { throw fail("\(fields.count) fields") }
      if let kind, kind != fields.count { throw fail("pre-receive and pre-push lines mixed") }
      kind = fields.count
      func hex(_ s: String, _ what: String) throws -> String {
        guard s.utf8.count == 40, s.utf8.allSatisfy({ isxdigit(Int32($0)) != 0 }) else {
          throw fail("\(what) is not a 40-digit hex id")
        }
        return s.lowercased()
      }
      func refName(_ s: String, _ what: String) throws -> String {
        guard s.hasPrefix("refs/") || s == "HEAD", !s.contains(".."), !s.contains("\0") else {
          throw fail("\(what) '\(s)' is not a ref name")
        }
        return s
      }
      if fields.count == 3 {
        result.append(
          RefUpdate(
            oldID: try hex(fields[0], "old id"), newID: try hex(fields[1], "new id"), ref: try refName(fields[2], "ref")
          ))
      } else {
        let local = fields[0] == "(delete)" ? fields[0] : try refName(fields[0], "local ref")
        let localSHA = try hex(fields[1], "local sha")
        result.append(
          RefUpdate(
            oldID: try hex(fields[3], "remote sha"), newID: localSHA, ref: try refName(fields[2], "remote ref"),
            localRef: local, remoteName: remoteName))
      }
    }
    return result
  }
}

extension Repository {
  /// The selected commits, oldest first: parents before children, older commits first among those
  /// ready (git log --reverse with topological order). Empty for `.staged`.
  public func commitIDs(_ selection: CommitSelection) throws -> [String] {
    try handle.withLock { _ in try selectedCommits(selection).map(\.hex) }
  }

  /// Must run under the handle's lock.
  func selectedCommits(_ selection: CommitSelection, packs: PackReader? = nil) throws -> [ObjectID] {
    do {
      return try selectedCommitsUnchecked(selection, packs: packs)
    } catch GitError.badRevision(let rev, let message) where !shallowCommits.isEmpty {
      throw GitError.badRevision(
        rev, message: message + "; this clone is shallow: fetch deeper if it lies beyond the boundary")
    }
  }

  private func selectedCommitsUnchecked(_ selection: CommitSelection, packs: PackReader?) throws -> [ObjectID] {
    var include: [ObjectID] = []
    var exclude: [ObjectID] = []
    switch selection {
    case .staged:
      return []
    case .commit(let rev):
      let id = try handle.resolveCommitID(rev)
      if shallowCommits.contains(id), try handle.parentCount(id) > 0 { throw GitError.shallowBoundary(commit: id.hex) }
      return [id]
    case .all:
      include = try handle.allReferences().filter { !$0.name.hasPrefix("refs/notes/") }.map(\.commit)
      if let head = try? handle.resolveCommitID("HEAD") { include.append(head) }
    case .revisions(let revs):
      for rev in revs {
        if rev.hasPrefix("^") {
          exclude.append(try handle.resolveCommitID(String(rev.dropFirst())))
        } else if let r = rev.range(of: "...") {
          let a = try handle.resolveCommitID(r.lowerBound == rev.startIndex ? "HEAD" : String(rev[..<r.lowerBound]))
          let b = try handle.resolveCommitID(r.upperBound == rev.endIndex ? "HEAD" : String(rev[r.upperBound...]))
          include += [a, b]
          exclude += try handle.mergeBases(a, b)
        } else if let r = rev.range(of: "..") {
          exclude.append(
            try handle.resolveCommitID(r.lowerBound == rev.startIndex ? "HEAD" : String(rev[..<r.lowerBound])))
          include.append(
            try handle.resolveCommitID(r.upperBound == rev.endIndex ? "HEAD" : String(rev[r.upperBound...])))
        } else {
          include.append(try handle.resolveCommitID(rev))
        }
      }
    case .updates(let updates):
      let updated = Set(updates.map(\.ref))
      let refs = try handle.allReferences()
      var tracking = false
      for u in updates where !u.isDeletion {
        let new = try ObjectID(hex: u.newID)
        guard let commit = try handle.peelExisting(new, what: "\(u.ref) new value") else { continue }
        include.append(commit)
        if !u.isCreation, let old = try? ObjectID(hex: u.oldID), let oldCommit = handle.peelToCommit(old) {
          exclude.append(oldCommit)
        }
        if u.isPrePush { tracking = true }
      }
      if tracking {
        let names = Set(updates.compactMap { $0.isPrePush ? $0.remoteName : nil })
        for r in refs where r.name.hasPrefix("refs/remotes/") {
          let remote = r.name.dropFirst("refs/remotes/".count).split(separator: "/").first.map(String.init) ?? ""
          if names.isEmpty || names.contains(remote) { exclude.append(r.commit) }
        }
      } else {
        exclude += refs.filter { !updated.contains($0.name) }.map(\.commit)
      }
    }
    guard !include.isEmpty else { return [] }
    var walk = RevisionWalk(handle: handle, shallow: shallowCommits)
    walk.packs = packs
    return try walk.run(include: include, exclude: exclude)
  }
}

extension RepoHandle {
  func parentCount(_ id: ObjectID) throws -> Int {
    Int(git_commit_parentcount(try lookupCommit(id).pointer))
  }

  func mergeBases(_ a: ObjectID, _ b: ObjectID) throws -> [ObjectID] {
    var out = git_oidarray()
    var x = a.raw
    var y = b.raw
    let status = git_merge_bases(&out, repo, &x, &y)
    if status == GIT_ENOTFOUND.rawValue { return [] }
    try check(status, "git_merge_bases(\(a), \(b))")
    defer { git_oidarray_dispose(&out) }
    return (0..<out.count).map { ObjectID(out.ids[$0]) }
  }

  /// Peels a pushed object to a commit: nil when it is a tag of a tree or blob (nothing to judge);
  /// throws when the object is missing (fail closed).
  func peelExisting(_ id: ObjectID, what: String) throws -> ObjectID? {
    var obj: OpaquePointer?
    var oid = id.raw
    try check(git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY), "git_object_lookup(\(what) \(id))")
    let object = GitObject(obj!)
    var peeled: OpaquePointer?
    guard git_object_peel(&peeled, object.pointer, GIT_OBJECT_COMMIT) == 0, let peeled else { return nil }
    return ObjectID(git_commit_id(GitObject(peeled).pointer).pointee)
  }
}

/// A date-ordered walk like git's limit_list: commits reachable from `include` and not from
/// `exclude`, stopping once only excluded commits remain queued (with git's slop for clock skew).
struct RevisionWalk {
  let handle: RepoHandle
  let shallow: Set<ObjectID>

  private static let uninteresting: UInt8 = 1
  private static let seen: UInt8 = 2
  private static let parsed: UInt8 = 4
  private static let done: UInt8 = 8
  private static let counted: UInt8 = 16

  private var index: [ObjectID: Int32] = [:]
  private var ids: [ObjectID] = []
  private var times: [Int64] = []
  private var flags: [UInt8] = []
  private var parents: [[Int32]] = []
  private var interestingQueued = 0
  /// Reads packed commits directly (a whole-history read); nil: every commit through libgit2.
  var packs: PackReader?

  init(handle: RepoHandle, shallow: Set<ObjectID>) {
    self.handle = handle
    self.shallow = shallow
  }

  private mutating func node(_ id: ObjectID) -> Int32 {
    if let n = index[id] { return n }
    let n = Int32(ids.count)
    index[id] = n
    ids.append(id)
    times.append(0)
    flags.append(0)
    parents.append([])
    return n
  }

  private mutating func parse(_ n: Int32) throws {
    let i = Int(n)
    if flags[i] & Self.parsed != 0 { return }
    var parentIDs: [ObjectID] = []
    if let raw = packs?.readObject(ids[i], type: 1), let header = CommitHeader(raw) {
      times[i] = header.time
      parentIDs = header.parents
    } else {
      let commit = try handle.lookupCommit(ids[i])
      times[i] = Int64(git_commit_time(commit.pointer))
      for k in 0..<git_commit_parentcount(commit.pointer) {
        if let p = git_commit_parent_id(commit.pointer, k) { parentIDs.append(ObjectID(p.pointee)) }
      }
    }
    flags[i] |= Self.parsed
    if shallow.contains(ids[i]) { return }
    parents[i] = parentIDs.map { node($0) }
  }

  private mutating func markUninteresting(_ start: Int32) {
    var stack = [start]
    while let n = stack.popLast() {
      let i = Int(n)
      if flags[i] & Self.uninteresting != 0 { continue }
      flags[i] |= Self.uninteresting
      if flags[i] & Self.counted != 0 {
        flags[i] &= ~Self.counted
        interestingQueued -= 1
      }
      if flags[i] & Self.parsed != 0 { stack += parents[i] }
    }
  }

  mutating func run(include: [ObjectID], exclude: [ObjectID]) throws -> [ObjectID] {
    for id in exclude {
      let n = node(id)
      try parse(n)
      markUninteresting(n)
    }
    for id in include { _ = node(id) }
    // Newest commit first; ties by discovery order.
    var heap = Heap<(Int64, Int32)>(by: { a, b in a.0 != b.0 ? a.0 > b.0 : a.1 < b.1 })
    func enqueue(_ n: Int32, _ walk: inout RevisionWalk, _ heap: inout Heap<(Int64, Int32)>) throws {
      let i = Int(n)
      if walk.flags[i] & Self.seen != 0 { return }
      try walk.parse(n)
      walk.flags[i] |= Self.seen
      if walk.flags[i] & Self.uninteresting == 0 {
        walk.flags[i] |= Self.counted
        walk.interestingQueued += 1
      }
      heap.push((walk.times[i], n))
    }
    for id in exclude { try enqueue(index[id]!, &self, &heap) }
    for id in include { try enqueue(index[id]!, &self, &heap) }
    var order: [Int32] = []
    var slop = 5
    while let (_, n) = heap.pop() {
      let i = Int(n)
      flags[i] |= Self.done
      if flags[i] & Self.counted != 0 {
        flags[i] &= ~Self.counted
        interestingQueued -= 1
      }
      if flags[i] & Self.uninteresting != 0 {
        for p in parents[i] { markUninteresting(p) }
      } else {
        order.append(n)
      }
      for p in parents[i] { try enqueue(p, &self, &heap) }
      if interestingQueued == 0 {
        slop -= 1
        if slop <= 0 { break }
      } else {
        slop = 5
      }
    }
    let selected = order.filter { flags[Int($0)] & Self.uninteresting == 0 }
    for n in selected where shallow.contains(ids[Int(n)]) {
      if try handle.parentCount(ids[Int(n)]) > 0 { throw GitError.shallowBoundary(commit: ids[Int(n)].hex) }
    }
    return topologicalOldestFirst(selected)
  }

  /// Parents before children; among commits ready at the same point, the older first.
  private func topologicalOldestFirst(_ selected: [Int32]) -> [ObjectID] {
    var position: [Int32: Int] = [:]
    for (k, n) in selected.enumerated() { position[n] = k }
    var pending = [Int](repeating: 0, count: selected.count)
    var children = [[Int]](repeating: [], count: selected.count)
    for (k, n) in selected.enumerated() {
      for p in Set(parents[Int(n)]) {
        if let pk = position[p] {
          pending[k] += 1
          children[pk].append(k)
        }
      }
    }
    var ready = Heap<(Int64, Int)>(by: { a, b in a.0 != b.0 ? a.0 < b.0 : a.1 > b.1 })
    for k in 0..<selected.count where pending[k] == 0 { ready.push((times[Int(selected[k])], k)) }
    var result: [ObjectID] = []
    result.reserveCapacity(selected.count)
    while let (_, k) = ready.pop() {
      result.append(ids[Int(selected[k])])
      for c in children[k] {
        pending[c] -= 1
        if pending[c] == 0 { ready.push((times[Int(selected[c])], c)) }
      }
    }
    return result
  }
}

/// A binary heap; `by(a, b)` is true when `a` comes out before `b`.
struct Heap<Element> {
  private var items: [Element] = []
  private let before: (Element, Element) -> Bool

  init(by before: @escaping (Element, Element) -> Bool) { self.before = before }

  var isEmpty: Bool { items.isEmpty }

  mutating func push(_ e: Element) {
    items.append(e)
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard before(items[i], items[parent]) else { break }
      items.swapAt(i, parent)
      i = parent
    }
  }

  mutating func pop() -> Element? {
    guard !items.isEmpty else { return nil }
    items.swapAt(0, items.count - 1)
    let top = items.removeLast()
    var i = 0
    while true {
      let l = 2 * i + 1
      let r = l + 1
      var best = i
      if l < items.count, before(items[l], items[best]) { best = l }
      if r < items.count, before(items[r], items[best]) { best = r }
      if best == i { break }
      items.swapAt(i, best)
      i = best
    }
    return top
  }
}

/// The parents and committer time of a raw commit object, as the revision walk needs them:
/// `tree` then `parent` lines, and the time after the last `>` of the `committer` line. Anything
/// unexpected gives nil, and the commit is then read through libgit2.
struct CommitHeader {
  var tree: ObjectID?
  var parents: [ObjectID] = []
  var time: Int64 = 0

  init?(_ data: BlobData) {
    var parents: [ObjectID] = []
    var time: Int64?
    var tree: ObjectID?
    let ok = data.withBytes { b -> Bool in
      var at = 0
      var sawTree = false
      while at < b.count, b[at] != 0x0A {
        guard let end = b[at...].firstIndex(of: 0x0A) else { return false }
        let line = UnsafeBufferPointer(rebasing: b[at..<end])
        if line.starts(with: "tree ".utf8) {
          sawTree = true
          if line.count == 45 {
            tree = try? ObjectID(hex: String(decoding: UnsafeBufferPointer(rebasing: line[5...]), as: UTF8.self))
          }
        } else if line.starts(with: "parent ".utf8) {
          guard sawTree, line.count == 47,
            let id = try? ObjectID(hex: String(decoding: UnsafeBufferPointer(rebasing: line[7...]), as: UTF8.self))
          else { return false }
          parents.append(id)
        } else if time == nil, line.starts(with: "committer ".utf8) {
          guard let close = line.lastIndex(of: UInt8(ascii: ">")) else { return false }
          var k = close + 1
          while k < line.count, line[k] == 0x20 { k += 1 }
          guard let value = readDecimal(line, at: &k, maxDigits: 18) else { return false }
          time = value
        }
        at = end + 1
      }
      return sawTree
    }
    guard ok, let time else { return nil }
    self.tree = tree
    self.parents = parents
    self.time = time
  }
}
