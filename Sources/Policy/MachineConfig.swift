// The machine configuration: settings that belong to whoever runs the gate, never to a repository.
// Read from /etc/agentgate/config.toml, then $XDG_CONFIG_HOME/agentgate/config.toml (default
// ~/.config/agentgate/config.toml), then flags; later sources override earlier ones key by key.

import Foundation
import GateCore
import TOML

/// Which sandbox runs replays.
public enum SandboxBackend: String, Sendable, Equatable, CaseIterable, TOMLEnum {
  case bwrap
  case container
  /// No sandbox: replays cannot run (a policy that asks for one gets `decision.sandbox_missing`).
  case none
}

/// Concrete resource limits: the machine's ceilings, or the effective limits of a replay.
public struct ResourceLimits: Sendable, Equatable {
  public var wallSeconds: Int
  public var memory: Int
  public var processes: Int
  public var cpus: Int
  public var disk: Int
  public var tmp: Int
  public var shm: Int

  public init(wallSeconds: Int, memory: Int, processes: Int, cpus: Int, disk: Int, tmp: Int, shm: Int) {
    self.wallSeconds = wallSeconds
    self.memory = memory
    self.processes = processes
    self.cpus = cpus
    self.disk = disk
    self.tmp = tmp
    self.shm = shm
  }

  /// 15 minutes, 2 GiB of memory, 512 processes, 1 CPU, 1 GiB of disk, 512 MiB of /tmp, 64 MiB of /dev/shm.
  public static let defaultCeilings = ResourceLimits(
    wallSeconds: 900, memory: 2 << 30, processes: 512, cpus: 1, disk: 1 << 30, tmp: 512 << 20, shm: 64 << 20)

  /// The request, each value clamped to `self` (the ceilings); the keys that were clamped.
  public func clamping(_ request: LimitRequest) -> (limits: ResourceLimits, clamped: [String]) {
    var out = self
    var clamped: [String] = []
    func apply(_ key: String, _ asked: Int?, _ kp: WritableKeyPath<ResourceLimits, Int>) {
      guard let asked else { return }
      if asked > self[keyPath: kp] {
        clamped.append(key)
      } else {
        out[keyPath: kp] = asked
      }
    }
    apply("wall_seconds", request.wallSeconds, \.wallSeconds)
    apply("memory", request.memory, \.memory)
    apply("processes", request.processes, \.processes)
    apply("cpus", request.cpus, \.cpus)
    apply("disk", request.disk, \.disk)
    apply("tmp", request.tmp, \.tmp)
    apply("shm", request.shm, \.shm)
    return (out, clamped)
  }
}

extension ResourceLimits: TableConvertible {
  init() { self = .defaultCeilings }

  static let fields: [Field<ResourceLimits>] = [
    .value("wall_seconds", \.wallSeconds, check: positive),
    .bytes("memory", \.memory),
    .value("processes", \.processes, check: positive),
    .value("cpus", \.cpus, check: positive),
    .bytes("disk", \.disk),
    .bytes("tmp", \.tmp),
    .bytes("shm", \.shm),
  ]
}

public struct MachineConfig: Sendable, Equatable {
  // [sandbox]
  public var sandboxBackend: SandboxBackend = .bwrap
  public var bwrapPath = "/usr/bin/bwrap"
  /// The container runtime for the `container` backend (`podman`, `docker` or a path).
  public var containerRuntime = "podman"
  /// Toolchain directories bound read-only into the sandbox.
  public var toolchainBinds: [String] = []
  /// Package caches bound read-only into the sandbox.
  public var cacheBinds: [String] = []
  /// Run replays even where a limit holds more weakly than asked (unprivileged gates); off: such a
  /// replay is an error that names each limit.
  public var allowWeakerLimits = false
  // [proxy]
  /// Hosts the fetch phase may reach through the gate's proxy.
  public var proxyAllowedHosts: [String] = []
  // [limits]
  public var ceilings = ResourceLimits.defaultCeilings
  // [outbox]
  /// Where undelivered verdicts wait (`load` uses $XDG_STATE_HOME/agentgate/outbox).
  public var outboxDir = "/var/lib/agentgate/outbox"
  /// The outbox directory when a configuration file or flag set it; nil when it is only the default
  /// (then the repository's git dir comes first, see `Outbox.defaultDirectory`).
  public var configuredOutboxDir: String? { origins["outbox.dir"] == nil ? nil : outboxDir }
  // [tokens]
  /// Forge name → the environment variable holding its token (the name only, never the value).
  public var tokenVariables: [String: String] = MachineConfig.defaultTokenVariables
  // [override]
  /// Variables the server sets to the pushing user's name, checked in order.
  public var pusherVariables = ["GL_USERNAME", "GITEA_PUSHER_NAME", "GL_USER", "REMOTE_USER"]
  /// Users allowed to override a blocked push (with an `agentgate-override` push option).
  public var overrideUsers: [String] = []
  // [audit]
  /// Where overrides and server-side verdicts are appended (JSON lines); nil: not kept.
  public var auditLog: String? = nil
  // [rules]
  /// Extra rule files (gitleaks-style TOML) loaded with the built-in rules.
  public var extraRulesFiles: [String] = []
  // [jobs]
  /// Where async replay jobs are queued.
  public var asyncJobDir = "/var/lib/agentgate/jobs"

  /// Where each value came from (dotted key → origin).
  public var origins: [String: SettingOrigin] = [:]

  public init() {}

  public static let defaultTokenVariables = [
    "github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN", "gitea": "GITEA_TOKEN", "forgejo": "FORGEJO_TOKEN",
    "bitbucket": "BITBUCKET_TOKEN", "webhook": "AGENTGATE_WEBHOOK_SECRET",
  ]

  /// The top-level tables of the machine configuration; a repository policy may use none of them.
  static let sectionNames: Set<String> = [
    "sandbox", "proxy", "limits", "outbox", "tokens", "override", "audit", "rules", "jobs",
  ]

  /// The default configuration for `environment` (HOME, XDG_* variables); binds only for
  /// directories that exist.
  public static func defaults(environment: [String: String], fileExists: (String) -> Bool) -> MachineConfig {
    var c = MachineConfig()
    let home = environment["HOME"] ?? "/root"
    let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.local/state"
    let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.cache"
    c.outboxDir = "\(state)/agentgate/outbox"
    c.asyncJobDir = "\(state)/agentgate/jobs"
    c.toolchainBinds = ["/opt/swift"].filter(fileExists)
    c.cacheBinds = [
      "\(cache)/org.swift.swiftpm", "\(home)/.cargo/registry", "\(home)/.npm", "\(cache)/pip",
    ].filter(fileExists)
    return c
  }

  /// Command-line settings, applied after both files.
  public struct Overrides: Sendable, Equatable {
    public var sandboxBackend: SandboxBackend?
    public var bwrapPath: String?
    public var outboxDir: String?
    public var auditLog: String?
    public var asyncJobDir: String?
    /// A configuration file read after the user's (`--config FILE`).
    public var configFile: String?

    public init(
      sandboxBackend: SandboxBackend? = nil, bwrapPath: String? = nil, outboxDir: String? = nil,
      auditLog: String? = nil, asyncJobDir: String? = nil, configFile: String? = nil
    ) {
      self.sandboxBackend = sandboxBackend
      self.bwrapPath = bwrapPath
      self.outboxDir = outboxDir
      self.auditLog = auditLog
      self.asyncJobDir = asyncJobDir
      self.configFile = configFile
    }
  }

  /// Loads the configuration: defaults, then `systemPath` (normally /etc/agentgate/config.toml), then
  /// the user's file under $XDG_CONFIG_HOME (default ~/.config), then `flags`. Missing files are
  /// skipped; a file that exists but cannot be read or parsed is an error. Returns the files read.
  public static func load(
    environment: [String: String], flags: Overrides = Overrides(),
    systemPath: String = "/etc/agentgate/config.toml",
    fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
  ) throws(PolicyError) -> (config: MachineConfig, sources: [String]) {
    var config = defaults(environment: environment, fileExists: fileExists)
    var sources: [String] = []
    let home = environment["HOME"] ?? "/root"
    let xdg = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.config"
    var files = [systemPath, "\(xdg)/agentgate/config.toml"]
    if let explicit = flags.configFile { files.append(explicit) }
    for (n, path) in files.enumerated() {
      let explicit = n == 2
      guard fileExists(path) else {
        if explicit { throw PolicyError.fileMissing(path: path, origin: "--config") }
        continue
      }
      let text = try readText(path)
      try config.apply(text, source: path, home: home)
      sources.append(path)
    }
    if let v = flags.sandboxBackend {
      config.sandboxBackend = v
      config.origins["sandbox.backend"] = .flag("--sandbox")
    }
    if let v = flags.bwrapPath {
      config.bwrapPath = v
      config.origins["sandbox.bwrap"] = .flag("--bwrap")
    }
    if let v = flags.outboxDir {
      config.outboxDir = v
      config.origins["outbox.dir"] = .flag("--outbox")
    }
    if let v = flags.auditLog {
      config.auditLog = v
      config.origins["audit.log"] = .flag("--audit-log")
    }
    if let v = flags.asyncJobDir {
      config.asyncJobDir = v
      config.origins["jobs.dir"] = .flag("--job-dir")
    }
    return (config, sources)
  }

  /// Parses one configuration file over this configuration (only the keys it sets change).
  public mutating func apply(_ text: String, source: String, home: String) throws(PolicyError) {
    let table: TOMLTable
    do {
      table = try TOML.parse(text)
    } catch {
      throw PolicyError.syntax(source: source, error)
    }
    let ctx = DecodeContext(source: source)
    var file = MachineFile(config: self)
    try MachineFile.decodeFields(into: &file, table, prefix: "", ctx: ctx)
    var next = file.config
    next.toolchainBinds = next.toolchainBinds.map { expandHome($0, home) }
    next.cacheBinds = next.cacheBinds.map { expandHome($0, home) }
    next.outboxDir = expandHome(next.outboxDir, home)
    next.asyncJobDir = expandHome(next.asyncJobDir, home)
    next.auditLog = next.auditLog.map { expandHome($0, home) }
    next.extraRulesFiles = next.extraRulesFiles.map { expandHome($0, home) }
    next.origins.merge(ctx.origins) { _, new in new }
    self = next
  }

  /// The configuration as a TOML document (every key).
  public var tomlText: String { TOML.encode(table) }

  /// The configuration as a TOML table (every key).
  public var table: TOMLTable { MachineFile(config: self).tomlTable }
}

private func expandHome(_ path: String, _ home: String) -> String {
  if path == "~" { return home }
  if path.hasPrefix("~/") { return home + path.dropFirst() }
  return path
}

func readText(_ path: String) throws(PolicyError) -> String {
  let data: Data
  do {
    data = try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw PolicyError.fileUnreadable(path: path, reason: (error as NSError).localizedDescription)
  }
  guard let text = String(data: data, encoding: .utf8) else {
    throw PolicyError.fileUnreadable(path: path, reason: "it is not UTF-8 text")
  }
  return text
}

/// The file layout of the machine configuration, over a `MachineConfig`.
private struct MachineFile: TableConvertible {
  var config: MachineConfig

  init() { config = MachineConfig() }
  init(config: MachineConfig) { self.config = config }

  struct Sandbox: TableConvertible {
    var c = MachineConfig()
    static let fields: [Field<Sandbox>] = [
      .value("backend", \.c.sandboxBackend),
      .value("bwrap", \.c.bwrapPath, check: absolutePath),
      .value("container_runtime", \.c.containerRuntime, check: nonEmpty),
      .value("toolchain_binds", \.c.toolchainBinds, check: absolutePaths),
      .value("cache_binds", \.c.cacheBinds, check: absolutePaths),
      .value("allow_weaker_limits", \.c.allowWeakerLimits),
    ]
  }

  struct Proxy: TableConvertible {
    var c = MachineConfig()
    static let fields: [Field<Proxy>] = [.value("allowed_hosts", \.c.proxyAllowedHosts)]
  }

  struct Outbox: TableConvertible {
    var c = MachineConfig()
    static let fields: [Field<Outbox>] = [.value("dir", \.c.outboxDir, check: absolutePath)]
  }

  struct Override: TableConvertible {
    var c = MachineConfig()
    static let fields: [Field<Override>] = [
      .value("pusher_variables", \.c.pusherVariables), .value("users", \.c.overrideUsers),
    ]
  }

  struct Audit: TableConvertible {
    var c = MachineConfig()
    static let fields: [Field<Audit>] = [.optional("log", \.c.auditLog, check: absolutePath)]
  }

  struct Rules: TableConvertible {
    var c = MachineConfig()
    static let fields: [Field<Rules>] = [.value("extra_files", \.c.extraRulesFiles, check: absolutePaths)]
  }

  struct Jobs: TableConvertible {
    var c = MachineConfig()
    static let fields: [Field<Jobs>] = [.value("dir", \.c.asyncJobDir, check: absolutePath)]
  }

  /// A section that reads and writes a view of the whole configuration.
  static func section<T: TableConvertible>(
    _ key: String, _ type: T.Type, _ get: @escaping @Sendable (MachineConfig) -> T,
    _ set: @escaping @Sendable (T) -> MachineConfig
  ) -> Field<MachineFile> {
    Field(
      key: key,
      decode: { s, v, full, line, ctx throws(PolicyError) in
        guard case .table(let t) = v else { throw ctx.wrongType(full, line, expected: "a table", found: v) }
        var view = get(s.config)
        try T.decodeFields(into: &view, t, prefix: full, ctx: ctx)
        s.config = set(view)
      }, encode: { get($0.config).toml })
  }

  static let fields: [Field<MachineFile>] = [
    section("sandbox", Sandbox.self, { Sandbox(c: $0) }, { $0.c }),
    section("proxy", Proxy.self, { Proxy(c: $0) }, { $0.c }),
    Field(
      key: "limits",
      decode: { s, v, full, line, ctx throws(PolicyError) in
        guard case .table(let t) = v else { throw ctx.wrongType(full, line, expected: "a table", found: v) }
        var limits = s.config.ceilings
        try ResourceLimits.decodeFields(into: &limits, t, prefix: full, ctx: ctx)
        s.config.ceilings = limits
      }, encode: { $0.config.ceilings.toml }),
    section("outbox", Outbox.self, { Outbox(c: $0) }, { $0.c }),
    Field(
      key: "tokens",
      decode: { s, v, full, line, ctx throws(PolicyError) in
        guard case .table(let t) = v else { throw ctx.wrongType(full, line, expected: "a table", found: v) }
        let map = try [String: String].decode(v, key: full, line: line, ctx: ctx)
        for (forge, name) in map where !isEnvironmentName(name) {
          // The value may be a token pasted by mistake: never echo it.
          throw PolicyError.badValue(
            source: ctx.source, key: "\(full).\(forge)", line: t.line(of: forge) ?? line, value: "(value not shown)",
            expected: "the NAME of an environment variable in capitals (like GITHUB_TOKEN), never a token")
        }
        s.config.tokenVariables.merge(map) { _, new in new }
      }, encode: { $0.config.tokenVariables.toml }),
    section("override", Override.self, { Override(c: $0) }, { $0.c }),
    section("audit", Audit.self, { Audit(c: $0) }, { $0.c }),
    section("rules", Rules.self, { Rules(c: $0) }, { $0.c }),
    section("jobs", Jobs.self, { Jobs(c: $0) }, { $0.c }),
  ]
}

@Sendable private func absolutePath(_ s: String) -> String? {
  s.hasPrefix("/") || s.hasPrefix("~/") || s == "~" ? nil : "an absolute path (or one starting with ~/)"
}

@Sendable private func absolutePaths(_ list: [String]) -> String? {
  list.allSatisfy { absolutePath($0) == nil } ? nil : "absolute paths (or ones starting with ~/)"
}

/// `[A-Z_][A-Z0-9_]*`, at most 64 characters: what a token variable name looks like (tokens have
/// lowercase letters or dashes, so a pasted token is refused).
func isEnvironmentName(_ s: String) -> Bool {
  guard let first = s.unicodeScalars.first, first == "_" || ("A"..."Z").contains(first), s.count <= 64 else {
    return false
  }
  return s.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
}
