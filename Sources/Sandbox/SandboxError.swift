// Errors of the Sandbox module. Every case means "the sandbox could not run as asked": the caller
// turns it into verdict `error` (exit 2) or, for `sandbox run`, exit 125. Never an unsandboxed run.
// User-facing text lives here, in one place.

public enum SandboxError: Error, CustomStringConvertible, Equatable, Sendable {
  /// bwrap is not on PATH nor at the configured path.
  case bwrapMissing(searched: [String])
  /// bwrap ran but could not build the sandbox (user namespaces blocked, mount refused...).
  case sandboxStartFailed(String)
  /// A system call the set-up needs failed.
  case systemCall(String, errno: Int32)
  /// libseccomp refused a step while building the filter.
  case seccomp(String, code: Int32)
  /// No free sandbox uid (every lock in the range is held).
  case noFreeUID(range: ClosedRange<UInt32>)
  /// A path the set-up owns is unsafe (a symlink, the wrong owner, writable by others).
  case unsafePath(String, reason: String)
  /// The work dir could not be prepared or copied.
  case workDir(String)
  /// No container engine answers.
  case containerEngineUnavailable(String)
  /// The container backend needs an image pinned by digest.
  case imageNotPinned(String)
  /// The request itself is unusable (empty command, option not supported in this mode).
  case invalidRequest(String)
  /// Limits that would hold only more weakly than asked here (each "kind: how"), not allowed.
  case limitNotEnforceable([String])

  public var description: String {
    switch self {
    case .bwrapMissing(let searched):
      "bubblewrap (bwrap) was not found (looked in: \(searched.joined(separator: ", "))); install the "
        + "'bubblewrap' package or set the bwrap path in the machine configuration"
    case .sandboxStartFailed(let why):
      "the sandbox could not start: \(why); run 'agentgate sandbox check' to see which guarantee "
        + "is missing on this machine (user namespaces may be blocked)"
    case .systemCall(let call, let errno):
      "sandbox set-up failed: \(call): \(errnoText(errno)) (errno \(errno))"
    case .seccomp(let step, let code):
      "building the seccomp filter failed at \(step) (code \(code)); check that libseccomp is installed"
    case .noFreeUID(let range):
      "no free sandbox uid in \(range.lowerBound)...\(range.upperBound): too many sandboxes run at once; "
        + "wait for runs to finish"
    case .unsafePath(let path, let reason):
      "refusing to use \(path): \(reason); remove it and retry"
    case .workDir(let why):
      "the sandbox work dir could not be prepared: \(why)"
    case .containerEngineUnavailable(let why):
      "no container engine answers (\(why)); use the bwrap backend or start docker/podman"
    case .imageNotPinned(let image):
      "container image '\(image)' is not pinned by digest (name@sha256:...); pin it in the machine "
        + "configuration"
    case .invalidRequest(let why):
      "invalid sandbox request: \(why)"
    case .limitNotEnforceable(let limits):
      "the sandbox cannot enforce these limits as asked on this machine: \(limits.joined(separator: "; ")); "
        + "run as root (cgroups), or accept weaker limits explicitly (machine configuration "
        + "'allow_weaker_limits = true'; 'sandbox run --allow-weaker-limits')"
    }
  }
}

func errnoText(_ code: Int32) -> String {
  guard let s = strerror(code) else { return "error \(code)" }
  return String(cString: s)
}

#if canImport(Glibc)
  import Glibc
#endif
