// Pure functions from a policy and a command to the argv of a backend (bwrap or a container
// engine). No I/O: everything they need comes in as arguments, so tests can read the argv.

/// How the work dir reaches the sandbox.
public enum WorkDirBinding: Sendable, Equatable {
  /// A host dir that is already size-capped (a tmpfs mount the gate made): bound read-write.
  case bind(String)
  /// A plain host dir, copied into a size-capped tmpfs inside the sandbox before the command
  /// starts (unprivileged runs: nothing of the host is writable, the copy dies with the sandbox).
  case seed(String)
}

/// Host dirs (already size- and inode-capped mounts) bound as /tmp, $HOME and /dev/shm instead
/// of bwrap's own --size tmpfs (which caps bytes only).
public struct ScratchBinding: Sendable, Equatable {
  public var tmp: String
  public var home: String
  public var shm: String
  public init(tmp: String, home: String, shm: String) {
    self.tmp = tmp
    self.home = home
    self.shm = shm
  }
}

/// The fetch phase's way out, as bwrap sees it: the gate's proxy socket and the forwarder binary
/// (the agentgate executable), with the library dirs it needs outside /usr.
public struct EgressBinding: Sendable, Equatable {
  public var socket: String
  public var forwarder: String
  public var libraryDirs: [String]

  public init(socket: String, forwarder: String, libraryDirs: [String] = []) {
    self.socket = socket
    self.forwarder = forwarder
    self.libraryDirs = libraryDirs
  }

  /// What tools read to find the proxy (the forwarder on the sandbox's own loopback).
  public static let proxyEnvironment: [String: String] = {
    let url = "http://127.0.0.1:\(EgressForwarder.port)"
    return [
      "HTTPS_PROXY": url, "https_proxy": url, "HTTP_PROXY": url, "http_proxy": url, "ALL_PROXY": url,
      "all_proxy": url, "NO_PROXY": "", "no_proxy": "",
    ]
  }()
}

extension SandboxRunner {
  /// Where a seeded work dir's source is bound (read-only) inside the sandbox.
  public static let seedMount = "/.agentgate-seed"
  /// Exit status of the seeding prelude when the tree does not fit (reported as a set-up failure).
  static let seedFailureMarker = "agentgate-sandbox: seeding the work dir failed"
  /// The fetch phase's forwarder did not start inside the sandbox.
  static let forwarderFailureMarker = "agentgate-sandbox: the fetch proxy forwarder did not start"

  /// /etc entries bound read-only from the host when they exist: loader, certificates,
  /// alternatives (compilers are links through it), protocol tables. No passwd/shadow/credentials.
  public static let hostEtcEntries = [
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/ssl",
    "/etc/ca-certificates", "/etc/localtime", "/etc/protocols", "/etc/services", "/etc/os-release",
  ]
  /// Files the gate synthesizes into its per-run etc dir.
  public static let synthesizedEtcFiles = ["passwd", "group", "hosts", "resolv.conf", "nsswitch.conf"]

  /// The bwrap argv (without the bwrap path itself) for `command` under `policy`.
  /// `seccompFD`/`statusFD` are the fd numbers bwrap finds the BPF program and writes its JSON
  /// status on; nil leaves the option out.
  /// With `egress` (the fetch phase), the proxy socket and the forwarder are bound in, the proxy
  /// variables set, and a prelude starts the forwarder before the command.
  public static func bwrapArguments(
    policy: SandboxPolicy, workDir: WorkDirBinding, etcDir: String, command: [String],
    seccompFD: Int32? = 3, statusFD: Int32? = 4, egress: EgressBinding? = nil, scratch: ScratchBinding? = nil
  ) -> [String] {
    var a: [String] = [
      "--unshare-all", "--unshare-user", "--disable-userns",
    ]
    if policy.network { a.append("--share-net") }
    a += [
      "--die-with-parent", "--new-session", "--cap-drop", "ALL",
      "--uid", "1000", "--gid", "1000", "--hostname", "sandbox",
      "--clearenv",
    ]
    var environment = policy.environment
    if egress != nil {
      for (key, value) in EgressBinding.proxyEnvironment { environment[key] = value }
    }
    for key in environment.keys.sorted() {
      a += ["--setenv", key, environment[key]!]
    }
    a += [
      "--ro-bind", "/usr", "/usr",
      "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin",
      "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
      "--dir", "/etc",
    ]
    for name in synthesizedEtcFiles {
      a += ["--ro-bind", "\(etcDir)/\(name)", "/etc/\(name)"]
    }
    for entry in hostEtcEntries {
      a += ["--ro-bind-try", entry, entry]
    }
    for path in policy.readOnlyBinds + policy.cacheBinds {
      a += ["--ro-bind", path, path]
    }
    let home = policy.environment["HOME"] ?? SandboxPolicy.sandboxHome
    a += ["--proc", "/proc", "--dev", "/dev"]
    if let scratch {
      a += ["--bind", scratch.shm, "/dev/shm", "--bind", scratch.tmp, "/tmp", "--bind", scratch.home, home]
    } else {
      a += [
        "--size", String(policy.limits.shmBytes), "--tmpfs", "/dev/shm",
        "--size", String(policy.limits.tmpBytes), "--tmpfs", "/tmp",
        "--size", String(policy.limits.tmpBytes), "--tmpfs", home,
      ]
    }
    var prelude: [String] = []
    switch workDir {
    case .bind(let path):
      a += ["--bind", path, SandboxPolicy.workMount]
    case .seed(let path):
      a += [
        "--size", String(policy.limits.diskBytes), "--tmpfs", SandboxPolicy.workMount,
        "--ro-bind", path, seedMount,
      ]
      // cp -a copies links as links.
      prelude.append(
        "cp -a \(seedMount)/. \(SandboxPolicy.workMount)/ || { echo '\(seedFailureMarker)' >&2; exit 125; }")
    }
    if let egress {
      for dir in egress.libraryDirs { a += ["--ro-bind", dir, dir] }
      a += [
        "--ro-bind", egress.forwarder, EgressForwarder.binaryMount,
        "--bind", egress.socket, EgressForwarder.socketMount,
      ]
      // The forwarder says `ready` on a fifo once it listens; the command starts only then.
      prelude.append(
        "f=$(mktemp -u /tmp/.agentgate-ready.XXXXXX) && mkfifo -m 600 \"$f\" || { echo '\(forwarderFailureMarker)' >&2; exit 125; }; "
          + "\(EgressForwarder.binaryMount) sandbox forward --port \(EgressForwarder.port) "
          + "--socket \(EgressForwarder.socketMount) >\"$f\" 2>/dev/null </dev/null & "
          + "read r <\"$f\"; rm -f \"$f\"; "
          + "[ \"$r\" = ready ] || { echo '\(forwarderFailureMarker)' >&2; exit 125; }")
    }
    var argv = command
    if !prelude.isEmpty {
      // The prelude then replaces itself with the command.
      let script = (prelude + ["cd \(SandboxPolicy.workMount) && exec \"$@\""]).joined(separator: "\n")
      argv = ["/bin/sh", "-c", script, "agentgate-prelude"] + command
    }
    a += ["--chdir", SandboxPolicy.workMount, "--remount-ro", "/"]
    if let seccompFD, policy.seccomp { a += ["--seccomp", String(seccompFD)] }
    if let statusFD { a += ["--json-status-fd", String(statusFD)] }
    a.append("--")
    a += argv
    return a
  }

  /// The container engine argv (engine binary first) for `command` with `workDir` bound at /work.
  /// The image must be pinned by digest; throws otherwise.
  public static func containerArguments(
    policy: SandboxPolicy, workDir: String, command: [String], name: String
  ) throws(SandboxError) -> [String] {
    guard let image = policy.containerImage, image.contains("@sha256:") else {
      throw .imageNotPinned(policy.containerImage ?? "(none)")
    }
    let l = policy.limits
    var a = [
      policy.containerEngine, "run", "--rm", "--name", name, "--init",
      "--network", policy.network ? "bridge" : "none",
      "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
      "--pids-limit", String(l.processes), "--memory", String(l.memoryBytes),
      "--memory-swap", String(l.memoryBytes), "--cpus", String(l.cpus),
      "--user", "1000:1000", "--hostname", "sandbox", "--ipc", "private",
      "--ulimit", "nproc=\(l.processes):\(l.processes)", "--ulimit", "nofile=4096:4096",
      "--ulimit", "fsize=\(l.diskBytes):\(l.diskBytes)", "--ulimit", "core=0:0",
      "--tmpfs", "/tmp:rw,nosuid,nodev,size=\(l.tmpBytes)",
      "--tmpfs", "/dev/shm:rw,nosuid,nodev,size=\(l.shmBytes)",
      "--tmpfs", "\(SandboxPolicy.sandboxHome):rw,nosuid,nodev,size=\(l.tmpBytes),uid=1000,gid=1000",
      "--mount", "type=bind,source=\(workDir),target=\(SandboxPolicy.workMount)",
      "--workdir", SandboxPolicy.workMount,
    ]
    for path in policy.cacheBinds {
      a += ["--mount", "type=bind,source=\(path),target=\(path),readonly"]
    }
    for key in policy.environment.keys.sorted() {
      a += ["--env", "\(key)=\(policy.environment[key]!)"]
    }
    a.append(image)
    a += command
    return a
  }
}
