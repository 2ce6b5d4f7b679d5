// Streaming a selection's changes on several threads, and the staged pseudo-commit.

internal import CGit2
import Foundation
import GateCore
import Synchronization

/// Holds a worker function for threads that may outlive the call that made it (see `forEachChange`);
/// written before the threads start and after they have all signalled completion.
private final class WorkBox: @unchecked Sendable {
  var work: (@Sendable (Int) -> Void)?
  init(_ work: @escaping @Sendable (Int) -> Void) { self.work = work }
}

extension Repository {
  /// Calls `body` with every selected commit's change. `parallelism` worker threads each open their
  /// own libgit2 handle and take the next commit from the ordered list; `body` may run concurrently
  /// and sees commits in any order. Memory stays bounded: a worker holds one commit at a time. The
  /// first error (reading or from `body`) stops the workers and is rethrown.
  public func forEachChange(
    _ selection: CommitSelection, options: DiffOptions, parallelism: Int,
    _ body: @Sendable (CommitChange) throws -> Void
  ) throws {
    if case .staged = selection {
      try body(try stagedChange(options: options, environment: ProcessInfo.processInfo.environment))
      return
    }
    // Newest first: packs store the newest version of a file whole and older ones as deltas against
    // newer ones, so reading history backwards resolves each blob from the one read just before
    // (libgit2 keeps that base in its delta-base cache); forwards, every blob would be rebuilt from
    // the far end of its delta chain.
    // Packed objects are read directly and cached by the pack reader (commits of the walk, trees,
    // blobs); the blob cache serves the objects libgit2 reads.
    let packs =
      options.cacheSize > 0 ? PackSet(objectDirectories: handle.withLock { _ in handle.objectDirectories() }) : nil
    let bases = DeltaBaseCache(capacity: options.cacheSize)
    let ids = Array(
      try handle.withLock { _ in
        try selectedCommits(selection, packs: packs.map { PackReader(packs: $0, bases: bases) })
      }.reversed())
    let workers = max(1, min(parallelism, ids.count))
    let next = Mutex(0)
    let failure = Mutex<(any Error)?>(nil)
    let shallow = shallowCommits
    let primary = handle
    let spec = handle.spec
    let blobs = BlobCache(capacity: packs.map { $0.packs.isEmpty } ?? true ? options.cacheSize : options.cacheSize / 8)
    // Runs of consecutive commits go to one worker: a commit's parent is usually the next commit, and
    // its trees are then still in that worker's parsed-tree memo.
    let run = 64
    // One thread per worker, started here (a dispatch pool may run the workers one after another
    // when its threads are busy); the calling thread is worker 0, and all are joined before return.
    withoutActuallyEscaping(body) { body in
      let work: @Sendable (Int) -> Void = { worker in
        do {
          let handle = worker == 0 ? primary : try RepoHandle(spec: spec)
          var builder = ChangeBuilder(handle: handle, options: options, shallow: shallow, blobs: blobs)
          builder.packs = packs.map { PackReader(packs: $0, bases: bases) }
          builder.memo = options.cacheSize > 0 ? WorkerMemo() : nil
          while failure.withLock({ $0 == nil }) {
            let first = next.withLock { n -> Int in
              defer { n += run }
              return n
            }
            if first >= ids.count { break }
            // Every 1,024 commits, hand the heap's free pages back (bounds resident memory).
            if first % 8192 < run { _ = cgit2_malloc_trim() }
            for k in first..<min(first + run, ids.count) {
              if failure.withLock({ $0 != nil }) { break }
              let change = try handle.withLock { _ in try builder.change(of: ids[k]) }
              try body(change)
            }
          }
        } catch {
          failure.withLock { if $0 == nil { $0 = error } }
        }
      }
      // The threads reach `work` (and so `body`) through a box emptied once they have all finished,
      // so nothing holds `body` past this call.
      let box = WorkBox(work)
      let finished = DispatchSemaphore(value: 0)
      for worker in 1..<workers {
        let thread = Thread {
          box.work?(worker)
          finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
      }
      work(0)
      for _ in 1..<workers { finished.wait() }
      box.work = nil
    }
    if let error = failure.withLock({ $0 }) { throw error }
  }

  /// The index against HEAD (the empty tree before the first commit), as a pseudo-commit without id.
  /// Author and committer come from GIT_AUTHOR_*/GIT_COMMITTER_* in `environment`, else from
  /// user.name and user.email.
  public func stagedChange(options: DiffOptions, environment: [String: String]) throws -> CommitChange {
    let (files, head) = try handle.withLock { repo -> ([FileDiff], String?) in
      let index = try openIndex()
      let headCommit = try? handle.resolveCommitID("HEAD")
      var headEntries: [String: (id: ObjectID, mode: UInt32)] = [:]
      if let headCommit {
        try flatten(try handle.commitTree(headCommit).pointer, prefix: "", into: &headEntries)
      }
      var raw: [RawChange] = []
      let count = git_index_entrycount(index.pointer)
      var seen = Set<String>()
      for k in 0..<count {
        guard let e = git_index_get_byindex(index.pointer, k) else { continue }
        let path = String(cString: e.pointee.path)
        if (e.pointee.flags & 0x3000) != 0 { throw GitError.unmergedIndex(path: path) }
        if (e.pointee.flags_extended & UInt16(GIT_INDEX_ENTRY_INTENT_TO_ADD.rawValue)) != 0 { continue }
        seen.insert(path)
        let id = ObjectID(e.pointee.id)
        let mode = e.pointee.mode
        if let old = headEntries[path] {
          if old.id == id && old.mode == mode { continue }
          raw.append(RawChange(path: path, oldID: old.id, newID: id, oldMode: old.mode, newMode: mode))
        } else {
          raw.append(RawChange(path: path, oldID: nil, newID: id, oldMode: 0, newMode: mode))
        }
      }
      for (path, old) in headEntries where !seen.contains(path) {
        raw.append(RawChange(path: path, oldID: old.id, newID: nil, oldMode: old.mode, newMode: 0))
      }
      raw.sort { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
      let builder = ChangeBuilder(handle: handle, options: options, shallow: [], blobs: BlobCache(capacity: 0))
      raw = builder.detectExactRenames(raw)
      var budget = ChangeBuilder.retainBudget
      let files = try raw.map { try builder.fileDiff($0, otherParentBlobs: [], budget: &budget) }
      _ = repo
      return (files, headCommit?.hex)
    }
    func identity(_ role: String) -> Signature {
      let name = environment["GIT_\(role)_NAME"] ?? configString("user.name") ?? ""
      let email = environment["GIT_\(role)_EMAIL"] ?? configString("user.email") ?? ""
      return Signature(name: name, email: email, time: Int64(Date().timeIntervalSince1970), offsetMinutes: 0)
    }
    let record = CommitRecord(
      id: nil, parents: head.map { [$0] } ?? [], author: identity("AUTHOR"), committer: identity("COMMITTER"),
      message: "")
    return CommitChange(commit: record, files: files)
  }

  /// The index named by GIT_INDEX_FILE when it was set, else the repository's (under the lock).
  func openIndex() throws -> GitIndex {
    var out: OpaquePointer?
    if let file = handle.spec.indexFile {
      try check(git_index_open(&out, file), "git_index_open(\(file))")
    } else {
      try check(git_repository_index(&out, handle.repo), "git_repository_index")
      let index = GitIndex(out!)
      try check(git_index_read(index.pointer, 0), "git_index_read")
      return index
    }
    return GitIndex(out!)
  }

  /// Every non-tree entry of a tree by full path (under the lock).
  func flatten(_ tree: OpaquePointer, prefix: String, into out: inout [String: (id: ObjectID, mode: UInt32)]) throws {
    for k in 0..<git_tree_entrycount(tree) {
      guard let e = git_tree_entry_byindex(tree, k) else { continue }
      let path = prefix + String(cString: git_tree_entry_name(e))
      let id = ObjectID(git_tree_entry_id(e).pointee)
      let mode = git_tree_entry_filemode(e).rawValue
      if mode == 0o040000 {
        try flatten(try handle.lookupTree(id).pointer, prefix: path + "/", into: &out)
      } else {
        out[path] = (id, mode)
      }
    }
  }
}
