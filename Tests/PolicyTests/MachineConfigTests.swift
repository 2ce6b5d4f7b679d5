import Foundation
import Policy
import TestSupport
import Testing

@Suite struct MachineConfigTests {
  @Test func defaultsFollowTheEnvironment() throws {
    let dir = TempDir()
    try FileManager.default.createDirectory(atPath: dir.file("cache/pip"), withIntermediateDirectories: true)
    let env = ["HOME": dir.file("home"), "XDG_CACHE_HOME": dir.file("cache"), "XDG_STATE_HOME": dir.file("state")]
    let (c, sources) = try MachineConfig.load(environment: env, systemPath: dir.file("etc/config.toml"))
    #expect(sources.isEmpty)
    #expect(c.sandboxBackend == .bwrap)
    #expect(c.bwrapPath == "/usr/bin/bwrap")
    #expect(c.ceilings == .defaultCeilings)
    #expect(c.ceilings.wallSeconds == 900)
    #expect(c.ceilings.memory == 2 << 30)
    #expect(c.ceilings.processes == 512)
    #expect(c.ceilings.cpus == 1)
    #expect(c.ceilings.disk == 1 << 30)
    #expect(c.ceilings.tmp == 512 << 20)
    #expect(c.ceilings.shm == 64 << 20)
    #expect(c.cacheBinds == [dir.file("cache/pip")])
    #expect(c.toolchainBinds == (FileManager.default.fileExists(atPath: "/opt/swift") ? ["/opt/swift"] : []))
    #expect(c.outboxDir == dir.file("state/agentgate/outbox"))
    #expect(c.configuredOutboxDir == nil)  // only a default: the repository's git dir comes first
    #expect(c.asyncJobDir == dir.file("state/agentgate/jobs"))
    #expect(c.tokenVariables["github"] == "GITHUB_TOKEN")
    #expect(c.pusherVariables == ["GL_USERNAME", "GITEA_PUSHER_NAME", "GL_USER", "REMOTE_USER"])
    #expect(c.overrideUsers.isEmpty)
    #expect(c.auditLog == nil)
  }

  @Test func systemThenUserThenFlags() throws {
    let dir = TempDir()
    try dir.write(
      "etc/config.toml",
      """
      [sandbox]
      backend = "container"
      bwrap = "/opt/bin/bwrap"
      toolchain_binds = ["/opt/toolchain"]

      [limits]
      memory = "4GiB"
      processes = 256

      [override]
      users = ["admin"]

      [tokens]
      gitlab = "MY_GITLAB_TOKEN"
      """)
    try dir.write(
      "xdg/agentgate/config.toml",
      """
      [sandbox]
      backend = "bwrap"
      cache_binds = ["~/.cache/pip"]

      [limits]
      processes = 128

      [proxy]
      allowed_hosts = ["pypi.org", "files.pythonhosted.org"]

      [audit]
      log = "~/audit.jsonl"

      [rules]
      extra_files = ["/etc/agentgate/rules.toml"]

      [jobs]
      dir = "/var/lib/agentgate/jobs"

      [outbox]
      dir = "/var/lib/agentgate/outbox"
      """)
    let env = ["HOME": dir.file("home"), "XDG_CONFIG_HOME": dir.file("xdg")]
    let flags = MachineConfig.Overrides(sandboxBackend: SandboxBackend.none, outboxDir: "/tmp/outbox")
    let (c, sources) = try MachineConfig.load(environment: env, flags: flags, systemPath: dir.file("etc/config.toml"))
    #expect(sources == [dir.file("etc/config.toml"), dir.file("xdg/agentgate/config.toml")])
    #expect(c.sandboxBackend == SandboxBackend.none)
    #expect(c.origins["sandbox.backend"] == .flag("--sandbox"))
    #expect(c.bwrapPath == "/opt/bin/bwrap")
    #expect(c.origins["sandbox.bwrap"] == .file(source: dir.file("etc/config.toml"), line: 3))
    #expect(c.toolchainBinds == ["/opt/toolchain"])
    #expect(c.cacheBinds == [dir.file("home/.cache/pip")])
    #expect(c.ceilings.memory == 4 << 30)
    #expect(c.ceilings.processes == 128)
    #expect(c.origins["limits.processes"] == .file(source: dir.file("xdg/agentgate/config.toml"), line: 6))
    #expect(c.ceilings.wallSeconds == 900)
    #expect(c.overrideUsers == ["admin"])
    #expect(c.tokenVariables["gitlab"] == "MY_GITLAB_TOKEN")
    #expect(c.tokenVariables["github"] == "GITHUB_TOKEN")
    #expect(c.proxyAllowedHosts == ["pypi.org", "files.pythonhosted.org"])
    #expect(c.auditLog == dir.file("home/audit.jsonl"))
    #expect(c.extraRulesFiles == ["/etc/agentgate/rules.toml"])
    #expect(c.asyncJobDir == "/var/lib/agentgate/jobs")
    #expect(c.outboxDir == "/tmp/outbox")
    #expect(c.configuredOutboxDir == "/tmp/outbox")
    let (fromFile, _) = try MachineConfig.load(
      environment: env, flags: MachineConfig.Overrides(), systemPath: dir.file("etc/config.toml"))
    #expect(fromFile.configuredOutboxDir == "/var/lib/agentgate/outbox")
  }

  @Test func defaultUserConfigIsUnderHome() throws {
    let dir = TempDir()
    try dir.write("home/.config/agentgate/config.toml", "[limits]\ncpus = 2\n")
    let (c, sources) = try MachineConfig.load(
      environment: ["HOME": dir.file("home")], systemPath: dir.file("none.toml"))
    #expect(sources == [dir.file("home/.config/agentgate/config.toml")])
    #expect(c.ceilings.cpus == 2)
  }

  @Test func explicitConfigFileMustExist() throws {
    let dir = TempDir()
    #expect(throws: PolicyError.self) {
      try MachineConfig.load(
        environment: ["HOME": dir.path], flags: .init(configFile: dir.file("missing.toml")),
        systemPath: dir.file("none.toml"))
    }
  }

  @Test(arguments: [
    ("[sandbox]\nbackend = \"docker\"\n", "sandbox.backend", 2),
    ("[limits]\nmemory = -1\n", "limits.memory", 2),
    ("[limits]\nwall_seconds = \"long\"\n", "limits.wall_seconds", 2),
    ("[tokens]\ngithub = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n", "tokens.github", 2),
    ("[tokens]\ngithub = \"ghp-secret-value\"\n", "tokens.github", 2),
    ("[sandbox]\nbwrap = \"bwrap\"\n", "sandbox.bwrap", 2),
    ("[outbox]\npath = \"/x\"\n", "outbox.path", 2),
    ("[agents]\nmin_confidence = \"low\"\n", "agents", 1),
  ])
  func badMachineConfigNamesKeyAndLine(_ text: String, _ key: String, _ line: Int) throws {
    let dir = TempDir()
    try dir.write("etc.toml", text)
    do {
      _ = try MachineConfig.load(environment: ["HOME": dir.path], systemPath: dir.file("etc.toml"))
      Issue.record("expected an error for \(text)")
    } catch {
      #expect(error.key == key, "\(error)")
      #expect(error.line == line, "\(error)")
      #expect(error.description.hasPrefix(dir.file("etc.toml")))
      #expect(!error.description.contains("abcdefghijklmnopqrstuvwxyz"), "a token value must not be echoed")
    }
  }

  @Test func configRoundTrips() throws {
    var c = MachineConfig()
    c.sandboxBackend = .container
    c.proxyAllowedHosts = ["a.example"]
    c.ceilings.memory = 3 << 30
    c.overrideUsers = ["root"]
    c.auditLog = "/var/log/a.jsonl"
    var back = MachineConfig()
    try back.apply(c.tomlText, source: "t", home: "/h")
    back.origins = [:]
    #expect(back == c)
  }
}
