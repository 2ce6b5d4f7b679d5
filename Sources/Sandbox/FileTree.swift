// File-tree operations that treat the tree as hostile: every step is relative to an open
// directory fd, opened with O_NOFOLLOW, so a symlink planted by the build is copied or removed as
// a link and never followed. Depth is bounded so a deeply nested tree cannot exhaust fds or stack.

#if canImport(Glibc)
  import Glibc
#endif

enum FileTree {
  static let maxDepth = 512

  /// Opens a directory by absolute path without following a final symlink.
  static func openDirectory(_ path: String) throws(SandboxError) -> FileDescriptor {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    guard fd >= 0 else { throw .systemCall("open(\(path))", errno: errno) }
    return FileDescriptor(fd)
  }

  static func openChildDirectory(_ parent: Int32, _ name: String) -> FileDescriptor? {
    let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    return fd >= 0 ? FileDescriptor(fd) : nil
  }

  /// Names in a directory (without . and ..). The fd stays owned by the caller.
  static func entries(_ dir: Int32) throws(SandboxError) -> [String] {
    let dup = fcntl(dir, F_DUPFD_CLOEXEC, 0)
    guard dup >= 0, let stream = fdopendir(dup) else {
      throw .systemCall("fdopendir", errno: errno)
    }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  static func lstatAt(_ dir: Int32, _ name: String) -> stat? {
    var st = stat()
    return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st : nil
  }

  static func isDir(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFDIR }
  static func isReg(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFREG }
  static func isLink(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFLNK }

  /// Removes `name` in `dir` whatever it is, never following links.
  static func removeEntry(_ dir: Int32, _ name: String, depth: Int = 0) {
    if unlinkat(dir, name, 0) == 0 { return }
    guard depth < maxDepth, let child = openChildDirectory(dir, name) else { return }
    // A read-only directory left by the build: make it writable to empty it.
    fchmod(child.raw, 0o700)
    if let names = try? entries(child.raw) {
      for n in names { removeEntry(child.raw, n, depth: depth + 1) }
    }
    child.closeNow()
    unlinkat(dir, name, AT_REMOVEDIR)
  }

  /// Removes everything inside the directory at `path` (not the directory itself).
  static func emptyDirectory(_ path: String) {
    guard let dir = try? openDirectory(path), let names = try? entries(dir.raw) else { return }
    fchmod(dir.raw, 0o700)
    for n in names { removeEntry(dir.raw, n) }
  }

  /// Removes the tree at `path` (absolute), never following links.
  static func removeTree(_ path: String) {
    let slash = path.lastIndex(of: "/") ?? path.startIndex
    let parentPath = slash == path.startIndex ? "/" : String(path[..<slash])
    let name = String(path[path.index(after: slash)...])
    guard !name.isEmpty, let parent = try? openDirectory(parentPath) else { return }
    removeEntry(parent.raw, name)
  }

  /// Copies the contents of `src` into `dst` (both open directory fds): directories, regular
  /// files (permission bits only: setuid/setgid dropped) and symlinks as links; other kinds are
  /// skipped. An existing destination entry of another kind is removed first, so a symlink in
  /// `dst` is replaced, never written through. With `owner`, everything created is lchown'd.
  static func copyContents(
    from src: Int32, to dst: Int32, owner: (uid: UInt32, gid: UInt32)?, depth: Int = 0
  ) throws(SandboxError) {
    guard depth < maxDepth else { throw .workDir("the tree is nested deeper than \(maxDepth) levels") }
    for name in try entries(src) {
      guard let st = lstatAt(src, name) else { continue }
      let existing = lstatAt(dst, name)
      if isDir(st) {
        if let e = existing, !isDir(e) { removeEntry(dst, name) }
        if existing == nil || !isDir(existing!) {
          try sys(mkdirat(dst, name, 0o700), "mkdir(\(name))")
        }
        guard let s = openChildDirectory(src, name), let d = openChildDirectory(dst, name) else {
          throw .workDir("cannot open directory \(name) while copying")
        }
        fchmod(d.raw, 0o700)
        try copyContents(from: s.raw, to: d.raw, owner: owner, depth: depth + 1)
        if let owner { fchown(d.raw, owner.uid, owner.gid) }
        fchmod(d.raw, st.st_mode & 0o777 | 0o700)
      } else if isReg(st) {
        if let e = existing, !isReg(e) { removeEntry(dst, name) }
        try copyFile(src, dst, name, mode: st.st_mode & 0o777, owner: owner)
      } else if isLink(st) {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(src, name, &buf, buf.count - 1)
        guard n >= 0 else { continue }
        buf[n] = 0
        if existing != nil { removeEntry(dst, name) }
        try sys(symlinkat(buf, dst, name), "symlink(\(name))")
        if let owner { fchownat(dst, name, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW) }
      }
    }
  }

  private static func copyFile(
    _ src: Int32, _ dst: Int32, _ name: String, mode: mode_t, owner: (uid: UInt32, gid: UInt32)?
  ) throws(SandboxError) {
    let i = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard i >= 0 else { throw .systemCall("open(\(name))", errno: errno) }
    let input = FileDescriptor(i)
    var o = openat(dst, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
    if o < 0 && errno == ELOOP {
      unlinkat(dst, name, 0)
      o = openat(dst, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
    }
    guard o >= 0 else { throw .systemCall("create(\(name))", errno: errno) }
    let output = FileDescriptor(o)
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = read(input.raw, &buf, buf.count)
      if n < 0 && errno == EINTR { continue }
      guard n >= 0 else { throw .systemCall("read(\(name))", errno: errno) }
      if n == 0 { break }
      var off = 0
      while off < n {
        let w = buf.withUnsafeBytes { write(output.raw, $0.baseAddress! + off, n - off) }
        if w < 0 && errno == EINTR { continue }
        guard w > 0 else { throw .systemCall("write(\(name))", errno: errno) }
        off += w
      }
    }
    if let owner { fchown(output.raw, owner.uid, owner.gid) }
    fchmod(output.raw, mode)
  }
}

extension FileTree {
  /// lchown's everything below `dir` (links themselves, never their targets).
  static func chownContents(_ dir: Int32, owner: (uid: UInt32, gid: UInt32), depth: Int = 0) throws(SandboxError) {
    guard depth < maxDepth else { throw .workDir("the tree is nested deeper than \(maxDepth) levels") }
    fchown(dir, owner.uid, owner.gid)
    for name in try entries(dir) {
      guard let st = lstatAt(dir, name) else { continue }
      fchownat(dir, name, owner.uid, owner.gid, AT_SYMLINK_NOFOLLOW)
      if isDir(st), let child = openChildDirectory(dir, name) {
        try chownContents(child.raw, owner: owner, depth: depth + 1)
      }
    }
  }
}
