// Tree export: a commit's tree, or the index, written into an empty directory for a replay. Files
// keep their exec bit, symlinks are created as symlinks and never followed (every directory is
// opened relative to its parent with O_NOFOLLOW), submodules become empty directories, and a name
// that could escape or touch a Git directory stops the export with an error.

internal import CGit2
import Foundation

extension Repository {
  /// Writes the tree of `commit` into `directory` (created if missing, else it must be empty).
  public func exportTree(commit: String, into directory: String) throws {
    let root = try TreeWriter.open(directory)
    defer { close(root) }
    let writer = FileWriter()
    do {
      try handle.withLock { _ in
        let tree = try handle.commitTree(try handle.resolveCommitID(commit))
        try writeTree(tree.pointer, dirfd: root, path: "", writer: writer)
      }
    } catch {
      writer.abandon()
      throw error
    }
    try writer.finish()
  }

  /// Writes the index (GIT_INDEX_FILE when set) into `directory` (created if missing, else empty).
  public func exportIndex(into directory: String) throws {
    let root = try TreeWriter.open(directory)
    var dirs = TreeWriter.Directories(root: root)
    defer { dirs.closeAll() }
    let writer = FileWriter()
    defer { writer.abandon() }
    try handle.withLock { _ in
      let index = try openIndex()
      for k in 0..<git_index_entrycount(index.pointer) {
        guard let e = git_index_get_byindex(index.pointer, k) else { continue }
        let path = String(cString: e.pointee.path)
        if (e.pointee.flags & 0x3000) != 0 { throw GitError.unmergedIndex(path: path) }
        let components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for c in components where !TreeWriter.isSafe(c) { throw GitError.unsafePath(path) }
        let parent = try dirs.directory(for: components.dropLast(), fullPath: path)
        try writeEntry(
          name: components.last!, id: ObjectID(e.pointee.id), mode: e.pointee.mode, dirfd: parent, path: path,
          writer: writer)
      }
    }
    try writer.finish()
  }

  private func writeTree(_ tree: OpaquePointer, dirfd: Int32, path: String, writer: FileWriter) throws {
    for k in 0..<git_tree_entrycount(tree) {
      guard let e = git_tree_entry_byindex(tree, k) else { continue }
      let name = String(cString: git_tree_entry_name(e))
      let full = path.isEmpty ? name : path + "/" + name
      guard TreeWriter.isSafe(name) else { throw GitError.unsafePath(full) }
      let id = ObjectID(git_tree_entry_id(e).pointee)
      let mode = git_tree_entry_filemode(e).rawValue
      if mode == 0o040000 {
        let sub = try TreeWriter.makeDirectory(name, in: dirfd, path: full)
        defer { close(sub) }
        try writeTree(try handle.lookupTree(id).pointer, dirfd: sub, path: full, writer: writer)
      } else {
        try writeEntry(name: name, id: id, mode: mode, dirfd: dirfd, path: full, writer: writer)
      }
    }
  }

  private func writeEntry(
    name: String, id: ObjectID, mode: UInt32, dirfd: Int32, path: String, writer: FileWriter
  ) throws {
    switch mode {
    case 0o160000:
      close(try TreeWriter.makeDirectory(name, in: dirfd, path: path))
    case 0o120000:
      let target = String(decoding: try handle.blobBytes(id), as: UTF8.self)
      guard symlinkat(target, dirfd, name) == 0 else { throw GitError.io(call: "symlinkat", path: path, errno: errno) }
    default:
      let perm: mode_t = mode & 0o111 != 0 ? 0o755 : 0o644
      let bytes = try handle.blobBytes(id)
      // The writer thread owns its own descriptor of the directory: the walk closes its own.
      let own = dup(dirfd)
      guard own >= 0 else { throw GitError.io(call: "dup", path: path, errno: errno) }
      try writer.submit(FileWriter.Job(dirfd: own, name: name, path: path, bytes: bytes, perm: perm))
    }
  }
}

/// Writes an export's files on a thread of its own while the export reads the next blobs, so
/// reading and writing overlap as `git archive | tar -x` overlaps its two processes. What waits
/// is bounded in bytes; the first error stops the export.
final class FileWriter: @unchecked Sendable {
  struct Job {
    let dirfd: Int32
    let name: String
    let path: String
    let bytes: [UInt8]
    let perm: mode_t
  }

  static let maxQueuedBytes = 32 << 20
  private let condition = NSCondition()
  private var jobs: [Job] = []
  private var queuedBytes = 0
  private var finished = false
  private var failure: (any Error)?
  private let done = DispatchSemaphore(value: 0)

  init() {
    let thread = Thread { [self] in run() }
    thread.start()
  }

  /// Queues a file (blocks while too many bytes wait); throws the writer's first error.
  func submit(_ job: Job) throws {
    condition.lock()
    while queuedBytes > FileWriter.maxQueuedBytes && failure == nil { condition.wait() }
    if let failure {
      condition.unlock()
      close(job.dirfd)
      throw failure
    }
    jobs.append(job)
    queuedBytes += job.bytes.count
    condition.broadcast()
    condition.unlock()
  }

  /// Waits until every queued file is written; throws the first error.
  func finish() throws {
    end()
    if let failure = condition.withLock({ failure }) { throw failure }
  }

  /// Ends the thread without reporting (the export already failed); idempotent.
  func abandon() { end() }

  private func end() {
    condition.lock()
    if finished {
      condition.unlock()
      return
    }
    finished = true
    condition.broadcast()
    condition.unlock()
    done.wait()
  }

  private func run() {
    while true {
      condition.lock()
      while jobs.isEmpty && !finished { condition.wait() }
      if jobs.isEmpty && finished {
        condition.unlock()
        break
      }
      let batch = jobs
      jobs = []
      let failed = failure != nil
      condition.unlock()
      var error: (any Error)?
      var bytes = 0
      for job in batch {
        bytes += job.bytes.count
        defer { close(job.dirfd) }
        if failed || error != nil { continue }
        do { try FileWriter.write(job) } catch let e { error = e }
      }
      condition.lock()
      queuedBytes -= bytes
      if failure == nil, let error { failure = error }
      condition.broadcast()
      condition.unlock()
    }
    done.signal()
  }

  /// Creates the file (never through a symlink, never over an existing name) and writes it.
  private static func write(_ job: Job) throws {
    let fd = openat(job.dirfd, job.name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, job.perm)
    guard fd >= 0 else { throw GitError.io(call: "openat", path: job.path, errno: errno) }
    defer { close(fd) }
    try job.bytes.withUnsafeBytes { buf in
      var offset = 0
      while offset < buf.count {
        let n = Glibc.write(fd, buf.baseAddress! + offset, buf.count - offset)
        if n < 0 {
          if errno == EINTR { continue }
          throw GitError.io(call: "write", path: job.path, errno: errno)
        }
        offset += n
      }
    }
    guard fchmod(fd, job.perm) == 0 else { throw GitError.io(call: "fchmod", path: job.path, errno: errno) }
  }
}

/// File-system steps of an export, all relative to directory descriptors.
enum TreeWriter {
  /// A path component that is safe to create: not empty, not `.` or `..`, no `/`, no NUL, and not a
  /// spelling of `.git` (any case, trailing dots or spaces, or the 8.3 alias `git~1`).
  static func isSafe(_ name: String) -> Bool {
    if name.isEmpty || name == "." || name == ".." || name.contains("/") || name.contains("\0") { return false }
    var trimmed = Substring(name.lowercased())
    while let last = trimmed.last, last == "." || last == " " { trimmed = trimmed.dropLast() }
    return trimmed != ".git" && trimmed != "git~1"
  }

  /// Opens the export root: created when missing; an existing one must be an empty directory.
  static func open(_ directory: String) throws -> Int32 {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
      guard isDir.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty == true else {
        throw GitError.exportTargetNotEmpty(directory)
      }
    } else {
      do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      } catch {
        throw GitError.io(call: "mkdir", path: directory, errno: EACCES)
      }
    }
    let fd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw GitError.io(call: "open", path: directory, errno: errno) }
    return fd
  }

  /// Creates `name` in `dirfd` (or reuses an existing real directory) and opens it without
  /// following a symlink.
  static func makeDirectory(_ name: String, in dirfd: Int32, path: String) throws -> Int32 {
    if mkdirat(dirfd, name, 0o755) != 0 && errno != EEXIST {
      throw GitError.io(call: "mkdirat", path: path, errno: errno)
    }
    let fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { throw GitError.io(call: "openat", path: path, errno: errno) }
    return fd
  }

  /// Open directory descriptors of an index export, by relative path.
  struct Directories {
    let root: Int32
    var open: [String: Int32] = [:]

    init(root: Int32) { self.root = root }

    mutating func directory(for components: ArraySlice<String>, fullPath: String) throws -> Int32 {
      var fd = root
      var path = ""
      for c in components {
        path = path.isEmpty ? c : path + "/" + c
        if let known = open[path] {
          fd = known
          continue
        }
        let sub = try TreeWriter.makeDirectory(c, in: fd, path: path)
        open[path] = sub
        fd = sub
      }
      return fd
    }

    func closeAll() {
      for fd in open.values { close(fd) }
      close(root)
    }
  }
}
