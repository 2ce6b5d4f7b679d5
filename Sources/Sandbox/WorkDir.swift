// The size-capped writable work dir and the per-run sandbox uid.
//
// As root: a per-run uid from a locked allocator (a lock file per uid, flock'd for the whole
// run; the lock is also the owner lock that lets the next holder sweep a dead run's leftovers),
// and a tmpfs mounted with size= and nr_inodes= at <stateDir>/runs/<uid>/work, owned by that uid,
// so everything written there is capped, many small files included.
// Unprivileged: a plain temp dir that the sandbox copies into a size-capped tmpfs of its own
// (bwrap --size); the host copy is never written by the sandbox.

#if canImport(Glibc)
  import Glibc
#endif

/// A sandbox uid held under lock until released (deinit).
public final class SandboxUIDLease: @unchecked Sendable {
  public let uid: UInt32
  private let lock: FileDescriptor

  init(uid: UInt32, lock: FileDescriptor) {
    self.uid = uid
    self.lock = lock
  }

  /// The lock's fd (a watcher process keeps a copy so the uid stays taken while it may sweep).
  var lockFD: Int32 { lock.raw }

  /// Takes the lowest free uid in `range`: the same few uids serve run after run, so their pooled
  /// cgroups are reused.
  static func acquire(stateDir: String, range: ClosedRange<UInt32>) throws(SandboxError) -> SandboxUIDLease {
    try secureDirectory(stateDir, mode: 0o755)
    try secureDirectory("\(stateDir)/uids", mode: 0o700)
    for uid in range {
      if let lease = tryLock(stateDir: stateDir, uid: uid) { return lease }
    }
    throw .noFreeUID(range: range)
  }

  static func tryLock(stateDir: String, uid: UInt32) -> SandboxUIDLease? {
    let fd = open("\(stateDir)/uids/\(uid).lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { return nil }
    let owned = FileDescriptor(fd)
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return nil }
    return SandboxUIDLease(uid: uid, lock: owned)
  }
}

public enum QuotaMethod: String, Sendable, Codable {
  /// A tmpfs mounted by the gate with size= and nr_inodes= (root).
  case tmpfsMount = "tmpfs-mount"
  /// Unprivileged: a tmpfs with size= and nr_inodes= mounted in a user and mount namespace that a
  /// small holder process keeps alive for the work dir's lifetime; the gate reaches it through
  /// /proc/HOLDER/root, each run enters the namespace (nsenter) before bwrap binds it at /work.
  case userNamespaceMount = "userns-tmpfs-mount"
  /// Unprivileged fallback (no user namespace for the holder): a tmpfs inside the sandbox (bwrap
  /// --size) seeded with a copy of the dir; bytes capped, inodes not; nothing carries over.
  case sandboxTmpfs = "sandbox-tmpfs"
}

/// The process that holds an unprivileged quota mount: `unshare --user --map-root-user --mount`
/// then a shell that mounts the tmpfs and waits on a pipe only the gate holds. When the gate
/// closes it (or dies) the holder exits and the namespace, and the tmpfs with it, are gone.
final class QuotaHolder {
  let pid: pid_t
  private let feed: FileDescriptor
  private var ended = false

  /// Mounts a tmpfs of `bytes`/`inodes` over each `path` in a fresh namespace; nil when this
  /// machine does not allow it (no unprivileged user namespaces, no util-linux unshare).
  static func start(mounts: [(path: String, bytes: Int, inodes: Int)]) -> QuotaHolder? {
    guard let unshare = findExecutable("unshare", in: ["/usr/bin", "/bin"]),
      let (inR, inW) = try? makePipe(), let (outR, outW) = try? makePipe()
    else { return nil }
    let script = """
      while [ $# -gt 0 ]; do mount -t tmpfs -o "size=$2,nr_inodes=$3,mode=0700,nosuid,nodev" agentgate-work "$1" \
      || exit 1; shift 3; done; echo ready; read _
      """
    let argv =
      [
        unshare, "--user", "--map-root-user", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script,
        "agentgate-quota",
      ] + mounts.flatMap { [$0.path, String($0.bytes), String($0.inodes)] }
    guard
      let pid = try? spawn(
        path: unshare, argv: argv, env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
        fds: [(inR.raw, 0), (outW.raw, 1), (outW.raw, 2)], cwd: "/")
    else { return nil }
    inR.closeNow()
    outW.closeNow()
    let holder = QuotaHolder(pid: pid, feed: inW)
    // Wait (bounded) for "ready": the mount is in place.
    var got: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 256)
    let deadline = monotonicNow() + 10
    while !got.contains(0x0a) {
      let left = deadline - monotonicNow()
      guard left > 0 else { return nil }
      var p = pollfd(fd: outR.raw, events: Int16(POLLIN), revents: 0)
      let n = poll(&p, 1, Int32((left * 1000).rounded(.up)))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return nil }
      let r = read(outR.raw, &buf, buf.count)
      guard r > 0 else { return nil }
      got += buf[0..<r]
    }
    return String(decoding: got, as: UTF8.self).hasPrefix("ready") ? holder : nil
  }

  private init(pid: pid_t, feed: FileDescriptor) {
    self.pid = pid
    self.feed = feed
  }

  /// Where the holder's mount of `mountPoint` is reachable from the gate.
  func hostPath(_ mountPoint: String) -> String { "/proc/\(pid)/root\(mountPoint)" }

  /// Ends the holder; the namespace and its tmpfs go with it.
  func end() {
    guard !ended else { return }
    ended = true
    feed.closeNow()
    kill(pid, SIGKILL)
    _ = waitFor(pid)
  }

  deinit { end() }
}

/// A writable work dir whose total size (and, as root, inode count) is capped.
public final class QuotaWorkDir: @unchecked Sendable {
  /// Where the caller puts the tree (the lead exports the commit's tree here).
  public let path: String
  public let method: QuotaMethod
  public let diskBytes: Int
  /// Root runs: the sandbox uid that owns the dir and runs in it.
  public let lease: SandboxUIDLease?
  let runDir: String?
  /// Unprivileged quota mount: its holder, and the dir as the holder's namespace names it (what
  /// bwrap binds); `path` is the same dir reached through /proc/HOLDER/root.
  let holder: QuotaHolder?
  let mountPoint: String
  /// Unprivileged quota mount: /tmp, $HOME and /dev/shm, also size- and inode-capped tmpfs in the
  /// holder's namespace (bound by bwrap instead of its own --size tmpfs).
  let scratch: ScratchBinding?
  private let holderBase: String?
  /// Unprivileged: the locked run dir (work dir, mount points, etc files) under the user's own dir.
  private let userRun: UserRunDir?
  private var removed = false
  private var adopted = false

  private init(
    path: String, method: QuotaMethod, diskBytes: Int, lease: SandboxUIDLease?, runDir: String?,
    holder: QuotaHolder? = nil, mountPoint: String? = nil, scratch: ScratchBinding? = nil, holderBase: String? = nil,
    userRun: UserRunDir? = nil
  ) {
    self.path = path
    self.method = method
    self.diskBytes = diskBytes
    self.lease = lease
    self.runDir = runDir
    self.holder = holder
    self.mountPoint = mountPoint ?? path
    self.scratch = scratch
    self.holderBase = holderBase
    self.userRun = userRun
  }

  /// Inodes allowed in a tmpfs of `bytes`: one per 4 KiB, at least 4096.
  public static func inodeCap(forBytes bytes: Int) -> Int { max(4096, bytes / 4096) }

  /// Creates the work dir for `policy` (as root a fresh tmpfs mount, else a temp dir).
  public static func create(policy: SandboxPolicy) throws(SandboxError) -> QuotaWorkDir {
    let bytes = policy.limits.diskBytes
    guard geteuid() == 0 else {
      // A run dir under the user's own agentgate dir, locked for the run (a dead gate's are swept);
      // else (that dir is not safe to use) a plain temp dir.
      let userRun = UserRunDir.create()
      let dir: String
      if let userRun {
        dir = userRun.path
      } else {
        var template = Array("\(temporaryDirectory())/agentgate-work.XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
          throw .systemCall("mkdtemp", errno: errno)
        }
        dir = cString(template)
      }
      let l = policy.limits
      let scratch = ScratchBinding(tmp: "\(dir)/tmp", home: "\(dir)/home", shm: "\(dir)/shm")
      let work = "\(dir)/work"
      let mounts = [
        (work, bytes), (scratch.tmp, l.tmpBytes), (scratch.home, l.tmpBytes), (scratch.shm, l.shmBytes),
      ].map { (path: $0.0, bytes: $0.1, inodes: inodeCap(forBytes: $0.1)) }
      if mounts.allSatisfy({ mkdir($0.path, 0o700) == 0 }), let holder = QuotaHolder.start(mounts: mounts) {
        return QuotaWorkDir(
          path: holder.hostPath(work), method: .userNamespaceMount, diskBytes: bytes, lease: nil,
          runDir: userRun?.path, holder: holder, mountPoint: work, scratch: scratch, holderBase: dir,
          userRun: userRun)
      }
      FileTree.emptyDirectory(dir)
      try sys(mkdir(work, 0o700), "mkdir(\(work))")
      return QuotaWorkDir(
        path: work, method: .sandboxTmpfs, diskBytes: bytes, lease: nil, runDir: userRun?.path,
        holderBase: dir, userRun: userRun)
    }
    // Leftovers of dead runs (a gate killed mid-run) go first; live runs hold their locks.
    sweepStale(policy: policy)
    let lease = try SandboxUIDLease.acquire(stateDir: policy.stateDir, range: policy.uidRange)
    try secureDirectory("\(policy.stateDir)/runs", mode: 0o755)
    let runDir = "\(policy.stateDir)/runs/\(lease.uid)"
    // We hold the uid's lock: anything left under its run dir belongs to a dead run.
    sweepRunDir(runDir)
    RunCgroups.sweep(uid: lease.uid)
    try secureDirectory(runDir, mode: 0o755)
    let work = "\(runDir)/work"
    try sys(mkdir(work, 0o700), "mkdir(\(work))")
    let options =
      "size=\(bytes),nr_inodes=\(inodeCap(forBytes: bytes)),mode=0700,uid=\(lease.uid),gid=\(lease.uid)"
    guard mount("agentgate-work", work, "tmpfs", UInt(MS_NOSUID | MS_NODEV), options) == 0 else {
      let e = errno
      rmdir(work)
      throw .systemCall("mount(tmpfs \(work))", errno: e)
    }
    return QuotaWorkDir(path: work, method: .tmpfsMount, diskBytes: bytes, lease: lease, runDir: runDir)
  }

  /// Unmounts and removes what a dead run left in its run dir.
  static func sweepRunDir(_ runDir: String) {
    var st = stat()
    guard lstat(runDir, &st) == 0 else { return }
    while umount2("\(runDir)/work", Int32(MNT_DETACH)) == 0 {}
    FileTree.removeTree(runDir)
  }

  /// Removes every stale run dir and cgroup under `stateDir` whose uid lock is free.
  public static func sweepStale(policy: SandboxPolicy) {
    guard geteuid() == 0, let dir = try? FileTree.openDirectory("\(policy.stateDir)/runs"),
      let names = try? FileTree.entries(dir.raw)
    else { return }
    for name in names {
      guard let uid = UInt32(name), policy.uidRange.contains(uid),
        let lease = SandboxUIDLease.tryLock(stateDir: policy.stateDir, uid: uid)
      else { continue }
      sweepRunDir("\(policy.stateDir)/runs/\(name)")
      RunCgroups.sweep(uid: uid)
      _ = lease
    }
  }

  /// Copies the contents of host dir `source` in, without following links.
  public func fill(from source: String) throws(SandboxError) {
    let src = try FileTree.openDirectory(source)
    let dst = try FileTree.openDirectory(path)
    try FileTree.copyContents(from: src.raw, to: dst.raw, owner: owner)
    adopted = owner == nil
  }

  /// Copies the work dir's contents (hostile) back into `destination`, never following links.
  public func copyBack(to destination: String) throws(SandboxError) {
    guard method != .sandboxTmpfs else {
      throw .invalidRequest(
        "copy-back needs the gate's quota mount (run as root); unprivileged, the work dir lives only inside the sandbox"
      )
    }
    let src = try FileTree.openDirectory(path)
    let dst = try FileTree.openDirectory(destination)
    let me = (uid: getuid(), gid: getgid())
    try FileTree.copyContents(from: src.raw, to: dst.raw, owner: me)
  }

  var owner: (uid: UInt32, gid: UInt32)? { lease.map { (uid: $0.uid, gid: $0.uid) } }

  /// Gives everything in the dir to the sandbox uid (after the caller exported a tree as root).
  func adoptForSandbox() throws(SandboxError) {
    guard let owner, !adopted else { return }
    let dir = try FileTree.openDirectory(path)
    try FileTree.chownContents(dir.raw, owner: owner)
    adopted = true
  }

  /// Free bytes and inodes left (to tell a full disk from other failures).
  var isFull: Bool {
    var s = statvfs()
    guard statvfs(path, &s) == 0 else { return false }
    return s.f_bavail == 0 || s.f_favail == 0
  }

  /// Removes the work dir: unmounts the tmpfs (its contents vanish with it) or removes the temp
  /// tree without following links.
  public func remove() {
    guard !removed else { return }
    removed = true
    holder?.end()
    if let userRun {
      userRun.remove()
    } else if let runDir {
      QuotaWorkDir.sweepRunDir(runDir)
    } else {
      FileTree.removeTree(holderBase ?? path)
    }
  }

  deinit { remove() }
}

func temporaryDirectory() -> String {
  if let t = getenv("TMPDIR"), t.pointee != 0 {
    let s = String(cString: t)
    return s.hasSuffix("/") && s.count > 1 ? String(s.dropLast()) : s
  }
  return "/tmp"
}

/// The text of a NUL-terminated buffer.
func cString(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// An unprivileged run's dir: `$TMPDIR/agentgate-UID/run.S`, owned by a lock file `lock.S` the gate
/// holds (flock) for the run. A gate killed mid-run leaves both; the next unprivileged run of the
/// same user takes the free lock and removes what the dead run left. The lock is taken before the
/// dir exists, so a live run's dir is never swept.
final class UserRunDir: @unchecked Sendable {
  let path: String
  private let lockPath: String
  private let lock: FileDescriptor
  private var removed = false

  private init(path: String, lockPath: String, lock: FileDescriptor) {
    self.path = path
    self.lockPath = lockPath
    self.lock = lock
  }

  static var base: String { "\(temporaryDirectory())/agentgate-\(getuid())" }

  /// Nil when the user's agentgate dir is not safe (not ours, a link, writable by others).
  static func create() -> UserRunDir? {
    let base = base
    guard (try? secureDirectory(base, mode: 0o700)) != nil else { return nil }
    sweep(base)
    for _ in 0..<8 {
      var template = Array("\(base)/lock.XXXXXX".utf8CString)
      let raw = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
      guard raw >= 0 else { return nil }
      _ = fcntl(raw, F_SETFD, FD_CLOEXEC)
      let fd = FileDescriptor(raw)
      let lockPath = cString(template)
      // A sweeper may have taken this fresh lock in the meantime: try another name.
      guard flock(raw, LOCK_EX | LOCK_NB) == 0 else { continue }
      let suffix = lockPath.dropFirst("\(base)/lock.".count)
      let dir = "\(base)/run.\(suffix)"
      guard mkdir(dir, 0o700) == 0 else { continue }
      return UserRunDir(path: dir, lockPath: lockPath, lock: fd)
    }
    return nil
  }

  /// Removes the run dirs of dead gates (their lock is free).
  static func sweep(_ base: String) {
    guard let dir = try? FileTree.openDirectory(base), let names = try? FileTree.entries(dir.raw) else { return }
    for name in names where name.hasPrefix("lock.") {
      let raw = openat(dir.raw, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
      guard raw >= 0 else { continue }
      let fd = FileDescriptor(raw)
      guard flock(fd.raw, LOCK_EX | LOCK_NB) == 0 else { continue }
      FileTree.removeEntry(dir.raw, "run." + String(name.dropFirst("lock.".count)))
      unlinkat(dir.raw, name, 0)
    }
  }

  func remove() {
    guard !removed else { return }
    removed = true
    FileTree.removeTree(path)
    unlink(lockPath)
    lock.closeNow()
  }

  deinit { remove() }
}
