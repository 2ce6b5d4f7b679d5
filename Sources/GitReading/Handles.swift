// libgit2 handles: process-wide initialisation with deliberate cache and mapped-window limits, the
// object id value, and the final classes that own C handles and free them in deinit.

internal import CGit2
import Foundation

/// libgit2 initialised once per process, with its limits set on purpose (a lazily computed
/// constant, not mutable state).
enum Library {
  static let ready: Void = {
    git_libgit2_init()
    configure()
  }()

  /// Limits chosen for reading whole histories on a small machine:
  /// - object cache 16 MiB in total (libgit2 shares it across handles), trees and commits cached;
  ///   blobs are not cached there: the streaming reader keeps its own caches and reads packed blobs
  ///   and trees itself (`PackReader`), so libgit2 mostly reads commits;
  /// - pack windows of 16 MiB, at most 32 MiB mapped and 256 pack files open (mapped pages count
  ///   towards the process's memory);
  /// - no hash re-verification of every object read (git itself does not verify on read; fsck does):
  ///   it would cost a SHA-1 of every object;
  /// - no check for `.keep` files each time a pack is opened.
  /// A failing option leaves libgit2's default in place (reading stays correct, only slower).
  private static func configure() {
    func opt(_ o: git_libgit2_opt_t) -> Int32 { Int32(truncatingIfNeeded: o.rawValue) }
    _ = cgit2_opts_ssize(opt(GIT_OPT_SET_CACHE_MAX_SIZE), 16 << 20)
    _ = cgit2_opts_type_size(opt(GIT_OPT_SET_CACHE_OBJECT_LIMIT), GIT_OBJECT_TREE, 1 << 20)
    _ = cgit2_opts_type_size(opt(GIT_OPT_SET_CACHE_OBJECT_LIMIT), GIT_OBJECT_COMMIT, 64 << 10)
    _ = cgit2_opts_type_size(opt(GIT_OPT_SET_CACHE_OBJECT_LIMIT), GIT_OBJECT_BLOB, 0)
    _ = cgit2_opts_type_size(opt(GIT_OPT_SET_CACHE_OBJECT_LIMIT), GIT_OBJECT_TAG, 0)
    _ = cgit2_opts_size(opt(GIT_OPT_SET_MWINDOW_SIZE), 16 << 20)
    _ = cgit2_opts_size(opt(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT), 32 << 20)
    _ = cgit2_opts_size(opt(GIT_OPT_SET_MWINDOW_FILE_LIMIT), 256)
    _ = cgit2_opts_int(opt(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION), 0)
    _ = cgit2_opts_int(opt(GIT_OPT_DISABLE_PACK_KEEP_FILE_CHECKS), 1)
  }
}

/// A Git object id (SHA-1), hashable, with hex conversion.
struct ObjectID: Hashable, CustomStringConvertible {
  var raw: git_oid

  init(_ raw: git_oid) { self.raw = raw }

  init(hex: String) throws {
    var oid = git_oid()
    let status = hex.withCString { git_oid_fromstrn(&oid, $0, strlen($0)) }
    guard status == 0, hex.utf8.count == 40 else {
      throw GitError.badRevision(hex, message: "not a 40-digit hex object id")
    }
    raw = oid
  }

  static let zero = ObjectID(git_oid())

  var isZero: Bool { self == .zero }

  static func == (a: ObjectID, b: ObjectID) -> Bool {
    withUnsafeBytes(of: a.raw) { x in
      withUnsafeBytes(of: b.raw) { y in memcmp(x.baseAddress!, y.baseAddress!, 20) == 0 }
    }
  }

  func hash(into hasher: inout Hasher) {
    withUnsafeBytes(of: raw) { hasher.combine(bytes: $0) }
  }

  var hex: String {
    var chars = [UInt8](repeating: 0, count: 40)
    var copy = raw
    chars.withUnsafeMutableBufferPointer { buf in
      buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 40) { _ = git_oid_fmt($0, &copy) }
    }
    return String(decoding: chars, as: UTF8.self)
  }

  var description: String { hex }
}

/// Where and how to open a repository, kept so worker threads can open their own handles.
struct OpenSpec: Sendable {
  var gitDir: String
  var workDir: String?
  /// Extra object directories (push quarantine, GIT_OBJECT_DIRECTORY, alternates).
  var objectDirectories: [String]
  var indexFile: String?
}

/// An open `git_repository` with its object database. libgit2 handles are not safe for concurrent
/// use: every use goes through `withLock`; threads that work in parallel open their own handle.
final class RepoHandle: @unchecked Sendable {
  let repo: OpaquePointer
  let odb: OpaquePointer
  let spec: OpenSpec
  private let lock = NSRecursiveLock()

  init(spec: OpenSpec) throws {
    _ = Library.ready
    var out: OpaquePointer?
    let status = spec.gitDir.withCString {
      git_repository_open_ext(&out, $0, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil)
    }
    if status < 0 { throw RepoHandle.openError(status, path: spec.gitDir) }
    guard let repo = out else { throw GitError.notARepository(path: spec.gitDir, message: "no handle") }
    self.repo = repo
    var odbOut: OpaquePointer?
    do {
      if let workDir = spec.workDir {
        try check(git_repository_set_workdir(repo, workDir, 0), "git_repository_set_workdir(\(workDir))")
      }
      try check(git_repository_odb(&odbOut, repo), "git_repository_odb")
      for dir in spec.objectDirectories {
        try check(git_odb_add_disk_alternate(odbOut, dir), "git_odb_add_disk_alternate(\(dir))")
      }
    } catch {
      if let odbOut { git_odb_free(odbOut) }
      git_repository_free(repo)
      throw error
    }
    self.odb = odbOut!
    self.spec = spec
  }

  deinit {
    git_odb_free(odb)
    git_repository_free(repo)
  }

  static func openError(_ status: Int32, path: String) -> GitError {
    let message = lastErrorMessage()
    if status == GIT_EOWNER.rawValue { return .unsafeOwnership(path: path, message: message) }
    if status == GIT_ENOTFOUND.rawValue { return .notARepository(path: path, message: message) }
    return .libgit2(call: "git_repository_open_ext(\(path))", code: status, message: message)
  }

  func withLock<T>(_ body: (OpaquePointer) throws -> T) rethrows -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body(repo)
  }
}

/// Owns one `git_object` (commit, tree, blob, tag) and frees it in deinit.
final class GitObject {
  let pointer: OpaquePointer
  init(_ pointer: OpaquePointer) { self.pointer = pointer }
  deinit { git_object_free(pointer) }
}

/// A blob's (or any object's) content: owns either the `git_odb_object` libgit2 read or a buffer the
/// pack reader filled, and frees it in deinit. Immutable; libgit2 frees such an object with an atomic
/// reference count, so any thread may release it.
final class BlobData: @unchecked Sendable {
  private let object: OpaquePointer?
  private let owned: UnsafeMutableRawPointer?
  private let bytes: UnsafeBufferPointer<UInt8>

  init(_ object: OpaquePointer) {
    self.object = object
    owned = nil
    let size = git_odb_object_size(object)
    if size > 0, let base = git_odb_object_data(object) {
      bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
    } else {
      bytes = UnsafeBufferPointer(start: nil, count: 0)
    }
  }

  /// Memory for `init(owning:count:)`: plain `malloc` (Swift's aligned allocation goes through
  /// `posix_memalign`, measurably slower for the hundreds of thousands of blobs a history read
  /// builds). Never nil: a failed allocation stops the process as Swift's own would.
  static func allocate(_ count: Int) -> UnsafeMutableRawPointer {
    guard let memory = malloc(max(count, 1)) else { fatalError("out of memory allocating \(count) bytes") }
    return memory
  }

  /// Takes ownership of `buffer` (from `BlobData.allocate`).
  init(owning buffer: UnsafeMutableRawPointer, count: Int) {
    object = nil
    owned = buffer
    bytes = UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self), count: count)
  }

  /// No content (an absent side of a change).
  init() {
    object = nil
    owned = nil
    bytes = UnsafeBufferPointer(start: nil, count: 0)
  }

  static let empty = BlobData()

  var count: Int { bytes.count }

  /// The content, valid only inside `body` (the object stays alive until it returns).
  func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try withExtendedLifetime(self) { try body(bytes) }
  }

  deinit {
    if let object { git_odb_object_free(object) }
    free(owned)
  }
}

/// Owns a `git_reference`.
final class GitReference {
  let pointer: OpaquePointer
  init(_ pointer: OpaquePointer) { self.pointer = pointer }
  deinit { git_reference_free(pointer) }
}

/// Owns a `git_index`.
final class GitIndex {
  let pointer: OpaquePointer
  init(_ pointer: OpaquePointer) { self.pointer = pointer }
  deinit { git_index_free(pointer) }
}

/// Owns a `git_config`.
final class GitConfig {
  let pointer: OpaquePointer
  init(_ pointer: OpaquePointer) { self.pointer = pointer }
  deinit { git_config_free(pointer) }
}

// Lookups shared by the repository's parts. All take the raw repository pointer and must run
// under the handle's lock.
extension RepoHandle {
  func lookupTree(_ id: ObjectID) throws -> GitObject {
    var out: OpaquePointer?
    var oid = id.raw
    try check(git_tree_lookup(&out, repo, &oid), "git_tree_lookup(\(id))")
    return GitObject(out!)
  }

  func lookupCommit(_ id: ObjectID) throws -> GitObject {
    var out: OpaquePointer?
    var oid = id.raw
    try check(git_commit_lookup(&out, repo, &oid), "git_commit_lookup(\(id))")
    return GitObject(out!)
  }

  /// The root tree of commit `id`.
  func commitTree(_ id: ObjectID) throws -> GitObject {
    let commit = try lookupCommit(id)
    var out: OpaquePointer?
    try check(git_commit_tree(&out, commit.pointer), "git_commit_tree(\(id))")
    return GitObject(out!)
  }

  /// The object directories whose packs hold this repository's objects: the common directory's
  /// `objects` (shared by linked worktrees) and the extra ones (quarantine, alternates from the
  /// environment).
  func objectDirectories() -> [String] {
    var dirs: [String] = []
    if let common = git_repository_commondir(repo) {
      var path = String(cString: common)
      if path.hasSuffix("/") { path.removeLast() }
      dirs.append(path + "/objects")
    }
    return dirs + spec.objectDirectories
  }

  /// Size and type of an object without loading its content.
  func header(_ id: ObjectID) throws -> (size: Int, type: git_object_t) {
    var size = 0
    var type = GIT_OBJECT_ANY
    var oid = id.raw
    try check(git_odb_read_header(&size, &type, odb, &oid), "git_odb_read_header(\(id))")
    return (size, type)
  }

  /// A blob's bytes, copied out of libgit2.
  func blobBytes(_ id: ObjectID) throws -> [UInt8] {
    try readBlob(id).withBytes { Array($0) }
  }

  /// A blob's content straight from the object database (no object parse, no copy).
  func readBlob(_ id: ObjectID) throws -> BlobData {
    try readObject(id, type: GIT_OBJECT_BLOB)
  }

  /// An object's raw content by pack type number (1 commit, 2 tree, 3 blob, 4 tag).
  func readObject(_ id: ObjectID, packType: UInt8) throws -> BlobData {
    try readObject(id, type: git_object_t(rawValue: Int32(packType)))
  }

  /// An object's raw content from the object database; throws unless it has type `type`.
  func readObject(_ id: ObjectID, type: git_object_t) throws -> BlobData {
    var out: OpaquePointer?
    var oid = id.raw
    try check(git_odb_read(&out, odb, &oid), "git_odb_read(\(id))")
    let data = BlobData(out!)
    guard git_odb_object_type(out) == type else {
      throw GitError.libgit2(
        call: "git_odb_read(\(id))", code: -1,
        message:
          "the object is a \(String(cString: git_object_type2string(git_odb_object_type(out)))), not a \(String(cString: git_object_type2string(type)))"
      )
    }
    return data
  }

  /// Resolves a revision expression (`main`, `HEAD~2`, a tag, an id) to the commit it names.
  func resolveCommitID(_ rev: String) throws -> ObjectID {
    var obj: OpaquePointer?
    let status = git_revparse_single(&obj, repo, rev)
    if status < 0 { throw GitError.badRevision(rev, message: lastErrorMessage()) }
    let object = GitObject(obj!)
    var peeled: OpaquePointer?
    if git_object_peel(&peeled, object.pointer, GIT_OBJECT_COMMIT) < 0 {
      throw GitError.badRevision(rev, message: lastErrorMessage())
    }
    let commit = GitObject(peeled!)
    return ObjectID(git_commit_id(commit.pointer).pointee)
  }

  /// Peels an object id (tag or commit) to a commit id; nil when it names no commit here.
  func peelToCommit(_ id: ObjectID) -> ObjectID? {
    var obj: OpaquePointer?
    var oid = id.raw
    guard git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY) == 0, let obj else { return nil }
    let object = GitObject(obj)
    var peeled: OpaquePointer?
    guard git_object_peel(&peeled, object.pointer, GIT_OBJECT_COMMIT) == 0, let peeled else { return nil }
    let commit = GitObject(peeled)
    return ObjectID(git_commit_id(commit.pointer).pointee)
  }

  /// Every reference name with the commit it peels to (references to trees or blobs are left out).
  func allReferences() throws -> [(name: String, commit: ObjectID)] {
    var iterator: OpaquePointer?
    try check(git_reference_iterator_new(&iterator, repo), "git_reference_iterator_new")
    defer { git_reference_iterator_free(iterator) }
    var result: [(String, ObjectID)] = []
    while true {
      var ref: OpaquePointer?
      let status = git_reference_next(&ref, iterator)
      if status == GIT_ITEROVER.rawValue { break }
      try check(status, "git_reference_next")
      let reference = GitReference(ref!)
      let name = String(cString: git_reference_name(reference.pointer))
      var resolved: OpaquePointer?
      guard git_reference_resolve(&resolved, reference.pointer) == 0, let resolved else { continue }
      let direct = GitReference(resolved)
      guard let target = git_reference_target(direct.pointer) else { continue }
      if let commit = peelToCommit(ObjectID(target.pointee)) { result.append((name, commit)) }
    }
    return result
  }
}
