// `agentgate install --hook pre-commit|pre-receive [--repo D] [--uninstall]`.

import ArgumentParser
import Foundation
import Gate
import GitReading
import Policy

struct InstallCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "install", abstract: "Install (or remove) the gate's hooks in a repository.",
    discussion: """
      pre-commit installs the pre-commit and commit-msg hooks of a work tree, chaining existing \
      hooks. pre-receive installs pre-receive and post-receive in a bare (server) repository, a \
      server policy beside them (named by git config agentgate.policy) and enables \
      receive.advertisePushOptions for overrides. Installed hooks exec the absolute path of this \
      agentgate, falling back to PATH. Local hooks are a convenience (--no-verify skips them); \
      pre-receive is the hard gate.
      """)

  @Option(help: "pre-commit or pre-receive.")
  var hook: String

  @Option(name: .customLong("repo"), help: ArgumentHelp("The repository (default: the current one).", valueName: "DIR"))
  var repo: String?

  @Flag(help: "Remove the hooks (and restore chained ones).")
  var uninstall = false

  @OptionGroup var forge: ForgeOptions

  func validate() throws {
    guard ["pre-commit", "pre-receive"].contains(hook) else {
      throw ValidationError("--hook takes pre-commit or pre-receive")
    }
  }

  func run() async throws {
    let env = Environment()
    let repository = try Repository(path: repo, environment: env.values)
    let hooks = hook == "pre-commit" ? ["pre-commit", "commit-msg"] : ["pre-receive", "post-receive"]
    if hook == "pre-receive" && !repository.isBare {
      Terminal.warn("\(repository.gitDirectory) is not bare; pre-receive gates pushes to it all the same")
    }
    let binary =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var hooksDir =
      repository.gitDirectory.hasSuffix("/") ? repository.gitDirectory + "hooks" : repository.gitDirectory + "/hooks"
    if let configured = repository.configString("core.hooksPath") {
      let base = repository.workDirectory ?? repository.gitDirectory
      let path =
        configured.hasPrefix("/") ? configured : URL(fileURLWithPath: base).appendingPathComponent(configured).path
      if let work = repository.workDirectory, path.hasPrefix(work.hasSuffix("/") ? work : work + "/") {
        Terminal.write(HookInstaller.instructions(hooks: hooks, hooksPath: configured, binary: binary))
        return
      }
      hooksDir = path
    }
    if uninstall {
      for line in try HookInstaller.uninstall(hooks: hooks, from: hooksDir) { Terminal.write(line) }
      if hook == "pre-receive" { try repository.unsetConfig("receive.advertisePushOptions") }
      return
    }
    var extra: [String: [String]] = [:]
    if hook == "pre-receive" {
      var forgeArgs: [String] = []
      if let f = forge.forge { forgeArgs += ["--forge", f] }
      if let u = forge.apiURL { forgeArgs += ["--api-url", u] }
      if let r = forge.forgeRepo { forgeArgs += ["--forge-repo", r] }
      if let c = forge.context { forgeArgs += ["--context", c] }
      if let c = forge.cacert { forgeArgs += ["--cacert", absolutePath(c)] }
      extra["post-receive"] = forgeArgs
    }
    for line in try HookInstaller.install(hooks: hooks, into: hooksDir, binary: binary, extraArgs: extra) {
      Terminal.write(line)
    }
    if hook == "pre-receive" {
      let policyPath = "\(hooksDir)/agentgate.toml"
      if !FileManager.default.fileExists(atPath: policyPath) {
        try Data(PolicyTemplates.starter.utf8).write(to: URL(fileURLWithPath: policyPath))
        Terminal.write("wrote the server policy \(policyPath)")
      }
      if repository.configString("agentgate.policy") == nil {
        try repository.setConfigString("agentgate.policy", policyPath)
        Terminal.write("set agentgate.policy = \(policyPath)")
      }
      try repository.setConfigString("receive.advertisePushOptions", "true")
      Terminal.write("set receive.advertisePushOptions = true (for git push -o agentgate.override=...)")
    }
  }
}
