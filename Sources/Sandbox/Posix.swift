// Thin, Foundation-free wrappers over the system calls the sandbox needs: owned fds, posix_spawn
// with an explicit fd map and an empty signal mask, and file-tree walks that never follow links
// (every step is openat/fstatat relative to a directory fd with O_NOFOLLOW).

#if canImport(Glibc)
  import Glibc
#endif

/// An owned file descriptor, closed in deinit.
final class FileDescriptor: @unchecked Sendable {
  private(set) var raw: Int32
  init(_ raw: Int32) { self.raw = raw }
  deinit { closeNow() }
  /// Closes early; later calls and deinit do nothing.
  func closeNow() {
    if raw >= 0 { close(raw) }
    raw = -1
  }
}

/// One place that turns a failed C status into a typed error naming the call.
@discardableResult
func sys(_ rc: Int32, _ call: @autoclosure () -> String) throws(SandboxError) -> Int32 {
  if rc < 0 { throw .systemCall(call(), errno: errno) }
  return rc
}

/// posix_spawn* return the error number instead of setting errno.
func spawnCheck(_ rc: Int32, _ call: String) throws(SandboxError) {
  if rc != 0 { throw .systemCall(call, errno: rc) }
}

/// A close-on-exec pipe (read end, write end).
func makePipe() throws(SandboxError) -> (FileDescriptor, FileDescriptor) {
  var fds: [Int32] = [-1, -1]
  guard let pipe2 = GNU.pipe2 else { throw .systemCall("pipe2 (not in this libc)", errno: ENOSYS) }
  try sys(pipe2(&fds, O_CLOEXEC), "pipe2")
  return (FileDescriptor(fds[0]), FileDescriptor(fds[1]))
}

/// Starts `path` with exactly `argv`, `env`, stdin on /dev/null and `fds` mapped (source fd ->
/// target fd); every other fd above the largest target is closed in the child.
func spawn(
  path: String, argv: [String], env: [String], fds: [(source: Int32, target: Int32)], cwd: String? = nil
) throws(SandboxError) -> pid_t {
  // Move sources out of the target range first, so one dup2 cannot clobber another's source.
  var moved: [FileDescriptor] = []
  for m in fds {
    let high = fcntl(m.source, F_DUPFD_CLOEXEC, 100)
    guard high >= 0 else { throw .systemCall("fcntl(F_DUPFD_CLOEXEC)", errno: errno) }
    moved.append(FileDescriptor(high))
  }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  var top: Int32 = 2
  for (i, m) in fds.enumerated() {
    posix_spawn_file_actions_adddup2(&actions, moved[i].raw, m.target)
    top = max(top, m.target)
  }
  // glibc 2.34+: without closefrom the child would inherit every fd the gate holds.
  guard let addCloseFrom = GNU.addCloseFrom, let addChdir = GNU.addChdir else {
    throw .systemCall("posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later needed)", errno: ENOSYS)
  }
  try spawnCheck(addCloseFrom(&actions, top + 1), "posix_spawn_file_actions_addclosefrom_np")
  if let cwd { try spawnCheck(addChdir(&actions, cwd), "posix_spawn_file_actions_addchdir_np") }

  var attr = posix_spawnattr_t()
  posix_spawnattr_init(&attr)
  defer { posix_spawnattr_destroy(&attr) }
  var empty = sigset_t()
  sigemptyset(&empty)
  posix_spawnattr_setsigmask(&attr, &empty)
  var all = sigset_t()
  sigfillset(&all)
  posix_spawnattr_setsigdefault(&attr, &all)
  posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

  let cArgv = argv.map { strdup($0) } + [nil]
  let cEnv = env.map { strdup($0) } + [nil]
  defer {
    for p in cArgv { free(p) }
    for p in cEnv { free(p) }
  }
  var pid: pid_t = 0
  let rc = posix_spawn(&pid, path, &actions, &attr, cArgv, cEnv)
  guard rc == 0 else { throw .systemCall("posix_spawn(\(path))", errno: rc) }
  return pid
}

/// Decoded wait status.
struct WaitStatus {
  var exitCode: Int32?
  var signal: Int32?
  init(_ raw: Int32) {
    let low = raw & 0x7f
    if low == 0 {
      exitCode = (raw >> 8) & 0xff
    } else if low != 0x7f {
      signal = low
    }
  }
}

/// Waits for `pid`, retrying on EINTR; returns the status and the child's peak RSS in bytes.
func waitFor(_ pid: pid_t) -> (WaitStatus, Int) {
  var status: Int32 = 0
  var usage = rusage()
  while wait4(pid, &status, 0, &usage) < 0 {
    if errno != EINTR { return (WaitStatus(0x7f00), 0) }
  }
  return (WaitStatus(status), Int(usage.ru_maxrss) * 1024)
}

/// Runs a helper program to completion with a deadline (used for probes: `docker info`, `bwrap
/// --version`); returns its exit status (nil when killed or not started) and its output, bounded.
func runHelper(_ path: String, _ args: [String], env: [String] = [], timeout: Double = 10) -> (Int32?, String) {
  guard let (r, w) = try? makePipe() else { return (nil, "") }
  guard
    let pid = try? spawn(
      path: path, argv: [path] + args, env: env, fds: [(w.raw, 1), (w.raw, 2)])
  else { return (nil, "") }
  w.closeNow()
  var bytes: [UInt8] = []
  let deadline = monotonicNow() + timeout
  var killed = false
  var buf = [UInt8](repeating: 0, count: 4096)
  while true {
    let left = deadline - monotonicNow()
    if left <= 0 {
      kill(pid, SIGKILL)
      killed = true
      break
    }
    var p = pollfd(fd: r.raw, events: Int16(POLLIN), revents: 0)
    let n = poll(&p, 1, Int32(min(left * 1000, 1000)))
    if n < 0 && errno == EINTR { continue }
    if n == 0 { continue }
    let got = read(r.raw, &buf, buf.count)
    if got <= 0 { break }
    if bytes.count < 65536 { bytes += buf[0..<got] }
  }
  let (st, _) = waitFor(pid)
  return (killed ? nil : st.exitCode, String(decoding: bytes, as: UTF8.self))
}

/// Waits until process `pid` (not necessarily a child) has exited, or `timeout` passes: a pidfd
/// becomes readable on exit. Without pidfd_open (glibc < 2.36) it returns at once.
func waitForExit(of pid: pid_t, timeout: Double) {
  guard let open = GNU.pidfdOpen else { return }
  let raw = open(pid, 0)
  guard raw >= 0 else { return }  // ESRCH: already gone
  let fd = FileDescriptor(raw)
  var p = pollfd(fd: fd.raw, events: Int16(POLLIN), revents: 0)
  let deadline = monotonicNow() + timeout
  while true {
    let left = deadline - monotonicNow()
    guard left > 0 else { return }
    let n = poll(&p, 1, Int32((left * 1000).rounded(.up)))
    if n < 0 && errno == EINTR { continue }
    return
  }
}

func monotonicNow() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Resolves a program name against PATH-style directories; absolute names must be executable.
func findExecutable(_ name: String, in dirs: [String]) -> String? {
  if name.hasPrefix("/") { return access(name, X_OK) == 0 ? name : nil }
  for d in dirs where !d.isEmpty {
    let c = "\(d)/\(name)"
    if access(c, X_OK) == 0 { return c }
  }
  return nil
}

/// Reads a small file (cgroup and proc files); nil when it cannot be opened.
func readSmallFile(_ path: String, limit: Int = 1 << 16) -> String? {
  let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var out: [UInt8] = []
  var buf = [UInt8](repeating: 0, count: 4096)
  while out.count < limit {
    let n = read(fd, &buf, buf.count)
    if n < 0 && errno == EINTR { continue }
    if n <= 0 { break }
    out += buf[0..<n]
  }
  return String(decoding: out, as: UTF8.self)
}

/// Writes `text` to an existing file (cgroup knobs) or creates it with `mode`.
func writeFile(_ path: String, _ text: String, create: mode_t? = nil) throws(SandboxError) {
  let flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (create != nil ? O_CREAT | O_TRUNC : 0)
  let fd = open(path, flags, create ?? 0)
  guard fd >= 0 else { throw .systemCall("open(\(path))", errno: errno) }
  defer { close(fd) }
  let bytes = Array(text.utf8)
  var off = 0
  while off < bytes.count {
    let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { throw .systemCall("write(\(path))", errno: errno) }
    off += n
  }
  if let create { fchmod(fd, create) }
}

/// Makes (or accepts) a root-owned directory that nobody else can write, refusing links.
func secureDirectory(_ path: String, mode: mode_t) throws(SandboxError) {
  if mkdir(path, mode) != 0 && errno != EEXIST { throw .systemCall("mkdir(\(path))", errno: errno) }
  var st = stat()
  try sys(lstat(path, &st), "lstat(\(path))")
  guard (st.st_mode & S_IFMT) == S_IFDIR else { throw .unsafePath(path, reason: "not a directory") }
  guard st.st_uid == getuid() else { throw .unsafePath(path, reason: "owned by uid \(st.st_uid)") }
  guard st.st_mode & 0o022 == 0 else { throw .unsafePath(path, reason: "writable by group or others") }
  chmod(path, mode)
}

/// True when every directory on the way to `path` lets other users through (o+x) and the path
/// itself is readable (and, with `executable`, executable) by them.
public func isReachableByOthers(_ path: String, executable: Bool = false) -> Bool {
  var current = ""
  let parts = path.split(separator: "/")
  for (i, part) in parts.enumerated() {
    current += "/" + part
    var st = stat()
    guard stat(current, &st) == 0 else { return false }
    let last = i == parts.count - 1
    let needed: mode_t = last ? (S_IROTH | (executable || (st.st_mode & S_IFMT) == S_IFDIR ? S_IXOTH : 0)) : S_IXOTH
    if st.st_mode & needed != needed { return false }
  }
  return true
}
