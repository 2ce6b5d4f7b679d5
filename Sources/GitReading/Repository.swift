// GitReading: a Git repository read through libgit2, copied out into GateCore values.
//
// Design notes:
// - Opening honours GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE and the push quarantine
//   (GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES, GIT_QUARANTINE_PATH are added to the
//   object database as alternates, so a pre-receive hook reads objects still in quarantine).
// - Changes come from a direct comparison of tree entries (equal subtree ids are skipped), not from
//   git_diff_tree_to_tree, which is ten times slower on whole histories; each blob is read once.
// - libgit2 handles are not thread-safe: each use takes the handle's lock, and `forEachChange` opens
//   one handle per worker thread.

internal import CGit2
import Foundation
import GateCore

/// A Git repository opened with libgit2.
public final class Repository: @unchecked Sendable {
  let handle: RepoHandle
  /// Commits at a shallow clone's boundary (their parents are missing).
  let shallowCommits: Set<ObjectID>

  /// Opens a repository. `path` nil: `GIT_DIR` from `environment`, else discovered from the current
  /// directory upwards. `path` given: discovered from `path` upwards (`--repo DIR`).
  public init(path: String?, environment: [String: String]) throws {
    _ = Library.ready
    let cwd = FileManager.default.currentDirectoryPath
    func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : cwd + "/" + p }
    let gitDir: String
    var workDir: String?
    if let path {
      gitDir = try Repository.discover(from: absolute(path))
    } else if let dir = environment["GIT_DIR"], !dir.isEmpty {
      gitDir = absolute(dir)
      if let tree = environment["GIT_WORK_TREE"], !tree.isEmpty { workDir = absolute(tree) }
    } else {
      gitDir = try Repository.discover(from: cwd)
      if let tree = environment["GIT_WORK_TREE"], !tree.isEmpty { workDir = absolute(tree) }
    }
    var objectDirs: [String] = []
    var candidates: [String] = []
    for key in ["GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY"] {
      if let v = environment[key], !v.isEmpty { candidates.append(v) }
    }
    if let alternates = environment["GIT_ALTERNATE_OBJECT_DIRECTORIES"] {
      candidates += alternates.split(separator: ":").map(String.init).filter { !$0.isEmpty }
    }
    for dir in candidates.map(absolute) where !objectDirs.contains(dir) {
      var isDir: ObjCBool = false
      guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
        throw GitError.io(call: "open object directory", path: dir, errno: ENOENT)
      }
      objectDirs.append(dir)
    }
    let indexFile = environment["GIT_INDEX_FILE"].flatMap { $0.isEmpty ? nil : absolute($0) }
    let spec = OpenSpec(gitDir: gitDir, workDir: workDir, objectDirectories: objectDirs, indexFile: indexFile)
    handle = try RepoHandle(spec: spec)
    shallowCommits = Repository.readShallowFile(handle: handle)
  }

  private static func discover(from start: String) throws -> String {
    _ = Library.ready
    var buf = git_buf()
    defer { git_buf_dispose(&buf) }
    let status = git_repository_discover(&buf, start, 0, nil)
    if status < 0 {
      if status == GIT_EOWNER.rawValue {
        throw GitError.unsafeOwnership(path: start, message: lastErrorMessage())
      }
      throw GitError.notARepository(path: start, message: lastErrorMessage())
    }
    return String(cString: buf.ptr)
  }

  private static func readShallowFile(handle: RepoHandle) -> Set<ObjectID> {
    handle.withLock { repo -> Set<ObjectID> in
      guard git_repository_is_shallow(repo) == 1 else { return [] }
      let path = String(cString: git_repository_path(repo)) + "shallow"
      guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
      return Set(text.split(whereSeparator: \.isNewline).compactMap { try? ObjectID(hex: String($0)) })
    }
  }

  /// The repository's Git directory (with a trailing slash, as libgit2 reports it).
  public var gitDirectory: String { handle.withLock { String(cString: git_repository_path($0)) } }

  /// The work tree, nil for a bare repository.
  public var workDirectory: String? {
    handle.withLock { repo in git_repository_workdir(repo).map { String(cString: $0) } }
  }

  public var isBare: Bool { handle.withLock { git_repository_is_bare($0) == 1 } }

  public var isShallow: Bool { !shallowCommits.isEmpty || handle.withLock { git_repository_is_shallow($0) == 1 } }

  /// The full hex id of the commit `rev` names (tags are peeled).
  public func resolveCommit(_ rev: String) throws -> String {
    try handle.withLock { _ in try handle.resolveCommitID(rev).hex }
  }

  /// One commit's record: ids, signatures, decoded message and trailers.
  public func commit(_ id: String) throws -> CommitRecord {
    try handle.withLock { _ in
      let oid = try handle.resolveCommitID(id)
      let commit = try handle.lookupCommit(oid)
      return makeCommitRecord(commit.pointer)
    }
  }

  /// The file changes of `commit` against its first parent (root: the empty tree; merges: files that
  /// differ from every parent, with only the lines added relative to every parent).
  public func changes(of commit: CommitRecord, options: DiffOptions) throws -> [FileDiff] {
    guard let id = commit.id else {
      return try stagedChange(options: options, environment: [:]).files
    }
    let oid = try ObjectID(hex: id)
    return try handle.withLock { _ in
      try ChangeBuilder(handle: handle, options: options, shallow: shallowCommits, blobs: BlobCache(capacity: 0)).files(
        of: oid)
    }
  }

  /// A file's bytes at a revision, like `git show REV:PATH`; nil when the path does not exist there.
  public func readFile(rev: String, path: String) throws -> [UInt8]? {
    try handle.withLock { repo in
      let tree = try handle.commitTree(try handle.resolveCommitID(rev))
      var entry: OpaquePointer?
      let status = git_tree_entry_bypath(&entry, tree.pointer, path)
      if status == GIT_ENOTFOUND.rawValue { return nil }
      try check(status, "git_tree_entry_bypath(\(path))")
      defer { git_tree_entry_free(entry) }
      guard git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { throw GitError.notAFile(rev: rev, path: path) }
      return try handle.blobBytes(ObjectID(git_tree_entry_id(entry).pointee))
    }
  }

  /// The branch people merge into: in a bare repository HEAD's target; otherwise the remote's HEAD
  /// (refs/remotes/origin/HEAD mapped to refs/heads/...), else HEAD's target. Nil when unknown.
  public func defaultBranch() -> String? {
    handle.withLock { repo in
      func symbolicTarget(_ name: String) -> String? {
        var out: OpaquePointer?
        guard git_reference_lookup(&out, repo, name) == 0, let out else { return nil }
        let ref = GitReference(out)
        guard git_reference_type(ref.pointer) == GIT_REFERENCE_SYMBOLIC,
          let target = git_reference_symbolic_target(ref.pointer)
        else { return nil }
        return String(cString: target)
      }
      if git_repository_is_bare(repo) == 0, let remote = symbolicTarget("refs/remotes/origin/HEAD"),
        remote.hasPrefix("refs/remotes/origin/")
      {
        return "refs/heads/" + remote.dropFirst("refs/remotes/origin/".count)
      }
      return symbolicTarget("HEAD")
    }
  }

  /// A configuration value (repository, global and system files), nil when unset.
  public func configString(_ key: String) -> String? {
    handle.withLock { repo in
      var out: OpaquePointer?
      guard git_repository_config_snapshot(&out, repo) == 0, let out else { return nil }
      let config = GitConfig(out)
      var value: UnsafePointer<CChar>?
      guard git_config_get_string(&value, config.pointer, key) == 0, let value else { return nil }
      return String(cString: value)
    }
  }

  /// The note attached to `commit` under the notes ref `ref` (for example refs/notes/ai).
  public func note(ref: String, commit: String) -> String? {
    handle.withLock { repo in
      guard let oid = try? ObjectID(hex: commit) else { return nil }
      var raw = oid.raw
      var out: OpaquePointer?
      guard git_note_read(&out, repo, ref, &raw) == 0, let out else { return nil }
      defer { git_note_free(out) }
      guard let message = git_note_message(out) else { return nil }
      return String(decoding: UnsafeRawBufferPointer(start: message, count: strlen(message)), as: UTF8.self)
    }
  }
}

/// How file contents are read.
public struct DiffOptions: Sendable, Equatable {
  /// Blobs larger than this are not loaded; their changes are reported as skipped (`.tooLarge`).
  public var maxBlobSize: Int
  /// Bytes of object content a streaming read (`forEachChange`) keeps for reuse: resolved objects
  /// and delta bases of the packs it reads directly, and blobs read through libgit2 (loose objects)
  /// until the next commit that needs them. 0 turns the caches and the direct pack reading off
  /// (every object through libgit2).
  public var cacheSize: Int

  public init(maxBlobSize: Int = 10 << 20, cacheSize: Int = 64 << 20) {
    self.maxBlobSize = maxBlobSize
    self.cacheSize = cacheSize
  }
}
