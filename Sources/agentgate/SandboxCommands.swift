import ArgumentParser

/// `agentgate sandbox run|check` (the sandbox issue fills this in).
struct SandboxCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sandbox", abstract: "Run commands in the hardened sandbox, or check what it guarantees here.",
    subcommands: [])
}
