// `sandbox check`: which guarantees hold on this machine and why not. Each item is probed, not
// assumed: a real sandboxed run reads its own capabilities, seccomp mode and interfaces.

#if canImport(Glibc)
  import Glibc
#endif

public struct SandboxCheck: Sendable, Codable, Equatable {
  public struct Item: Sendable, Codable, Equatable {
    public var name: String
    public var holds: Bool
    public var detail: String
  }
  public var schemaVersion = 1
  public var backend: String
  /// The backend can run commands here at all.
  public var usable: Bool
  public var items: [Item]

  public func item(_ name: String) -> Item? { items.first { $0.name == name } }

  public var text: String {
    var lines = ["sandbox backend: \(backend) (\(usable ? "usable" : "NOT usable: replays will be errors"))"]
    for i in items {
      lines.append("  [\(i.holds ? "ok" : "--")] \(i.name): \(i.detail)")
    }
    return lines.joined(separator: "\n")
  }
}

extension SandboxRunner {
  /// `forwarder`: the agentgate executable; when given, the fetch phase is probed too (the proxy
  /// socket and the forwarder bound into a real sandbox, a CONNECT to a host off the allowlist).
  public func check(forwarder: String? = nil) -> SandboxCheck {
    var items: [SandboxCheck.Item] = []
    func add(_ name: String, _ holds: Bool, _ detail: String) {
      items.append(.init(name: name, holds: holds, detail: detail))
    }
    let isRoot = geteuid() == 0
    var usable = false
    switch policy.backend {
    case .none:
      add("isolation", false, "backend 'none': commands run unsandboxed on this machine")
      usable = true
    case .container:
      let (answers, why) = containerEngineAnswers()
      add("container-engine", answers, why)
      add(
        "image-pinned", policy.containerImage?.contains("@sha256:") == true,
        policy.containerImage ?? "no image configured")
      usable = answers && policy.containerImage?.contains("@sha256:") == true
    case .bwrap:
      do {
        let path = try bwrapExecutable()
        let (_, version) = runHelper(path, ["--version"], timeout: 5)
        add("bwrap-found", true, "\(path) (\(version.trimmingCharacters(in: " \n")))")
      } catch {
        add("bwrap-found", false, error.description)
      }
      usable = probe(&items)
      if let forwarder, usable { probeFetch(&items, forwarder: forwarder) }
    }
    if policy.backend != .container {
      let (answers, why) = containerEngineAnswers()
      add("container-engine", answers, answers ? why : "\(why): the container backend is unavailable")
    }
    if isRoot {
      add("unprivileged-uid", true, "root: each run drops to a locked per-run uid in \(policy.uidRange)")
    } else {
      add("unprivileged-uid", true, "not root: runs as the invoking uid \(getuid()) with no capabilities")
    }
    cgroupItem(&items, isRoot: isRoot)
    if policy.backend == .bwrap {
      let enforcement = limitEnforcement()
      let weaker = enforcement.contains { $0.strength == .weaker }
      for e in enforcement {
        add("limit-\(e.kind.rawValue)", e.strength == .enforced, "\(e.strength.rawValue): \(e.mechanism)")
      }
      if weaker {
        add(
          "weaker-limits", policy.allowWeakerLimits,
          policy.allowWeakerLimits
            ? "allowed by the machine configuration: runs go ahead with the weaker limits above"
            : "NOT allowed: runs fail closed (exit 125, replay error) until the machine configuration allows them")
        usable = usable && policy.allowWeakerLimits
      }
    }
    add(
      "vsock", true,
      access("/dev/vsock", F_OK) == 0
        ? "/dev/vsock present on this host: AF_VSOCK sockets denied by seccomp, device not in /dev"
        : "no vsock on this host")
    return SandboxCheck(backend: policy.backend.rawValue, usable: usable, items: items)
  }

  private func cgroupItem(_ items: inout [SandboxCheck.Item], isRoot: Bool) {
    let fallback = "rlimits only (see the limit-* items for what holds how)"
    guard isRoot else {
      items.append(.init(name: "cgroups", holds: false, detail: "not root: cannot create cgroups; \(fallback)"))
      return
    }
    guard let (version, _) = RunCgroups.parents() else {
      items.append(.init(name: "cgroups", holds: false, detail: "no cgroup layout found; \(fallback)"))
      return
    }
    let probeUID = policy.uidRange.upperBound
    guard let lease = SandboxUIDLease.tryLock(stateDir: policy.stateDir, uid: probeUID) else {
      items.append(.init(name: "cgroups", holds: true, detail: "\(version.rawValue) (not probed: uid busy)"))
      return
    }
    do {
      let cg = try RunCgroups.create(uid: lease.uid, limits: policy.limits)
      cg.remove()
      items.append(
        .init(
          name: "cgroups", holds: true,
          detail: "\(version.rawValue): memory, pids and cpu limits per run under the gate's own cgroup"))
    } catch {
      items.append(
        .init(name: "cgroups", holds: false, detail: "\(version.rawValue) not writable (\(error)); \(fallback)"))
    }
  }

  /// The policy of the check's probes: small limits, and weaker enforcement allowed (the probe is the
  /// gate's own command: it reads what holds, whatever the limits).
  private var probePolicy: SandboxPolicy {
    var small = policy
    small.allowWeakerLimits = true
    small.limits = SandboxLimits(
      wallClockSeconds: 30, memoryBytes: 256 << 20, processes: 64, cpus: 1, diskBytes: 8 << 20,
      tmpBytes: 8 << 20, shmBytes: 8 << 20)
    return small
  }

  /// Runs a fetch-phase sandbox whose command asks the proxy for a host that is not allowed: the
  /// forwarder must start, the proxy must answer 403 and log the refusal. Not part of `usable`
  /// (replays without fetch steps do not need it).
  private func probeFetch(_ items: inout [SandboxCheck.Item], forwarder: String) {
    let small = probePolicy
    let egress = FetchEgress(policy: EgressPolicy(allowedHosts: []), forwarder: forwarder)
    // curl through the proxy variables' address, as a fetch tool would.
    let script =
      "curl -s -o /dev/null -w '%{http_code}' -p -x http://127.0.0.1:3128 http://agentgate-check.invalid:443/ "
      + "2>/dev/null; echo; echo probe-done"
    do {
      let work = try QuotaWorkDir.create(policy: small)
      defer { work.remove() }
      let r = try SandboxRunner(policy: small).run(
        command: ["/bin/sh", "-c", script], in: work, timeout: 30, egress: egress)
      let refused = r.egress.contains { !$0.allowed && $0.host == "agentgate-check.invalid" }
      items.append(
        .init(
          name: "fetch-proxy", holds: refused,
          detail: refused
            ? "forwarder started in the sandbox; the gate's proxy refused a host off the allowlist (403)"
            : "the proxy saw no request from the sandbox (is curl installed?): \(r.outputTail.suffix(200))"))
    } catch {
      items.append(.init(name: "fetch-proxy", holds: false, detail: "fetch phase unavailable: \(error)"))
    }
  }

  /// Runs a real sandbox that reports what it sees; each guarantee becomes an item.
  private func probe(_ items: inout [SandboxCheck.Item]) -> Bool {
    let small = probePolicy
    let script =
      "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status; echo ifaces $(tail -n +3 /proc/net/dev | wc -l); "
      + "unshare -U true 2>/dev/null && echo userns-open || echo userns-closed"
    do {
      let work = try QuotaWorkDir.create(policy: small)
      defer { work.remove() }
      let r = try SandboxRunner(policy: small).run(command: ["/bin/sh", "-c", script], in: work, timeout: 30)
      let out = r.outputTail
      func field(_ key: String) -> String? {
        for line in out.split(separator: "\n") where line.hasPrefix(key) {
          return String(line.dropFirst(key.count)).trimmingCharacters(in: " \t")
        }
        return nil
      }
      items.append(
        .init(
          name: "namespaces", holds: r.exitStatus == 0, detail: "user, pid, net, ipc, uts, cgroup, mount: probe ran"))
      let caps = field("CapEff:")
      items.append(
        .init(
          name: "no-capabilities", holds: caps.map { Int($0, radix: 16) == 0 } ?? false, detail: "CapEff \(caps ?? "?")"
        ))
      let sc = field("Seccomp:")
      items.append(
        .init(
          name: "seccomp", holds: !policy.seccomp || sc == "2",
          detail: policy.seccomp ? "Seccomp mode \(sc ?? "?") (2 = filter)" : "disabled by the machine configuration"))
      items.append(
        .init(
          name: "no-new-privs", holds: field("NoNewPrivs:") == "1", detail: "NoNewPrivs \(field("NoNewPrivs:") ?? "?")")
      )
      let ifaces = field("ifaces")
      items.append(
        .init(
          name: "network", holds: policy.network || ifaces == "1",
          detail: policy.network
            ? "network shared (machine configuration)" : "\(ifaces ?? "?") interface(s): loopback only"))
      items.append(
        .init(
          name: "nested-userns", holds: out.contains("userns-closed"),
          detail: out.contains("userns-closed") ? "denied" : "ALLOWED"))
      return r.exitStatus == 0
    } catch {
      items.append(.init(name: "namespaces", holds: false, detail: "probe failed: \(error)"))
      return false
    }
  }
}
