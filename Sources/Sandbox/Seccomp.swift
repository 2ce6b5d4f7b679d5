// The seccomp filter, built with libseccomp and exported as BPF into a memfd that bwrap reads
// (`--seccomp FD`). A deny-list over a default of ALLOW (build tools call everything); what it
// denies is what lets a build reach the kernel or the host beyond its namespaces.

internal import CSeccomp
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// What the filter denies, as data (documented in docs/sandbox.md, read by tests).
public enum SeccompRules {
  /// Denied with EPERM whatever the arguments.
  public static let deniedSyscalls = [
    // tracing and reading other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    // kernel attack surface
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "keyctl", "add_key", "request_key",
    // mounts and namespaces
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "move_mount", "open_tree", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr",
    // the machine itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon",
    "swapoff", "acct", "quotactl", "syslog", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
    "sethostname", "setdomainname", "iopl", "ioperm", "vhangup", "name_to_handle_at",
    "open_by_handle_at", "lookup_dcookie",
  ]
  /// clone3 answers ENOSYS (its flags live in memory seccomp cannot read): libc falls back to clone.
  public static let enosysSyscalls = ["clone3"]
  /// clone with any of these flags is refused.
  public static let namespaceCloneFlags: [UInt64] = [
    0x0002_0000,  // CLONE_NEWNS
    0x0200_0000,  // CLONE_NEWCGROUP
    0x0400_0000,  // CLONE_NEWUTS
    0x0800_0000,  // CLONE_NEWIPC
    0x1000_0000,  // CLONE_NEWUSER
    0x2000_0000,  // CLONE_NEWPID
    0x4000_0000,  // CLONE_NEWNET
    0x0000_0080,  // CLONE_NEWTIME
  ]
  /// socket() families allowed; everything else (AF_VSOCK, AF_PACKET, AF_ALG...) is EAFNOSUPPORT.
  public static let allowedSocketFamilies: [UInt64] = [1, 2, 10, 16]  // UNIX, INET, INET6, NETLINK
  /// ioctl requests refused: TIOCSTI (push input into the terminal), TIOCLINUX.
  public static let deniedIoctls: [UInt64] = [0x5412, 0x541C]
}

/// Owns a libseccomp context; freed in deinit.
final class SeccompFilter {
  private let ctx: scmp_filter_ctx

  private static func actErrno(_ code: Int32) -> UInt32 { 0x0005_0000 | (UInt32(code) & 0xffff) }

  init() throws(SandboxError) {
    guard let c = seccomp_init(SCMP_ACT_ALLOW) else { throw .seccomp("seccomp_init", code: -1) }
    ctx = c
    // Non-native ABIs (ia32, x32) are not in the filter: the bad-arch action kills the process.
    try check(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "attr badarch")
    for name in SeccompRules.deniedSyscalls {
      try add(name, action: Self.actErrno(EPERM), [])
    }
    for name in SeccompRules.enosysSyscalls {
      try add(name, action: Self.actErrno(ENOSYS), [])
    }
    for flag in SeccompRules.namespaceCloneFlags {
      try add("clone", action: Self.actErrno(EPERM), [cmp(0, SCMP_CMP_MASKED_EQ, flag, flag)])
    }
    // socket(family, ...): deny every family below the largest allowed one that is not allowed,
    // and everything above it. Comparisons are 64-bit, so junk in the upper half is denied too.
    let allowed = SeccompRules.allowedSocketFamilies
    let top = allowed.max() ?? 0
    let noFamily = Self.actErrno(EAFNOSUPPORT)
    for family in 0..<top where !allowed.contains(family) {
      try add("socket", action: noFamily, [cmp(0, SCMP_CMP_EQ, family, 0)])
    }
    try add("socket", action: noFamily, [cmp(0, SCMP_CMP_GT, top, 0)])
    for request in SeccompRules.deniedIoctls {
      try add("ioctl", action: Self.actErrno(EPERM), [cmp(1, SCMP_CMP_MASKED_EQ, 0xffff_ffff, request)])
    }
  }

  deinit { seccomp_release(ctx) }

  private func cmp(_ arg: UInt32, _ op: scmp_compare, _ a: UInt64, _ b: UInt64) -> scmp_arg_cmp {
    scmp_arg_cmp(arg: arg, op: op, datum_a: a, datum_b: b)
  }

  private func add(_ name: String, action: UInt32, _ args: [scmp_arg_cmp]) throws(SandboxError) {
    let nr = seccomp_syscall_resolve_name(name)
    // A syscall this libseccomp does not know cannot be named; skip it (documented caveat).
    guard nr != __NR_SCMP_ERROR else { return }
    let rc = args.withUnsafeBufferPointer {
      seccomp_rule_add_array(ctx, action, nr, UInt32($0.count), $0.baseAddress)
    }
    try check(rc, "seccomp_rule_add(\(name))")
  }

  private func check(_ rc: Int32, _ step: String) throws(SandboxError) {
    if rc < 0 { throw .seccomp(step, code: rc) }
  }

  /// Writes the BPF program into a fresh memfd (close-on-exec, offset 0) and returns it.
  func exportBPF() throws(SandboxError) -> FileDescriptor {
    guard let memfdCreate = GNU.memfdCreate else { throw .systemCall("memfd_create", errno: ENOSYS) }
    let fd = memfdCreate("agentgate-seccomp", GNU.MFD_CLOEXEC)
    guard fd >= 0 else { throw .systemCall("memfd_create", errno: errno) }
    let owned = FileDescriptor(fd)
    try check(seccomp_export_bpf(ctx, fd), "seccomp_export_bpf")
    guard lseek(fd, 0, SEEK_SET) == 0 else { throw .systemCall("lseek(seccomp memfd)", errno: errno) }
    return owned
  }
}

/// The filter's BPF program, built once per runner and handed to each run in a fresh memfd
/// (libseccomp's rule compilation is then off the per-run path).
final class SeccompProgram: Sendable {
  private let bytes = Mutex<[UInt8]?>(nil)

  /// A memfd (offset 0) holding the program, built on first use.
  func memfd() throws(SandboxError) -> FileDescriptor {
    let program = try bytes.withLock { cached throws(SandboxError) -> [UInt8] in
      if let cached { return cached }
      let fd = try SeccompFilter().exportBPF()
      var out: [UInt8] = []
      var buf = [UInt8](repeating: 0, count: 4096)
      while true {
        let n = read(fd.raw, &buf, buf.count)
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { throw .systemCall("read(seccomp memfd)", errno: errno) }
        if n == 0 { break }
        out += buf[0..<n]
      }
      guard !out.isEmpty else { throw .seccomp("seccomp_export_bpf wrote nothing", code: -1) }
      cached = out
      return out
    }
    guard let memfdCreate = GNU.memfdCreate else { throw .systemCall("memfd_create", errno: ENOSYS) }
    let raw = memfdCreate("agentgate-seccomp", GNU.MFD_CLOEXEC)
    guard raw >= 0 else { throw .systemCall("memfd_create", errno: errno) }
    let fd = FileDescriptor(raw)
    let ok = program.withUnsafeBytes { p in write(raw, p.baseAddress, p.count) == p.count }
    guard ok, lseek(raw, 0, SEEK_SET) == 0 else { throw .systemCall("write(seccomp memfd)", errno: errno) }
    return fd
  }
}
