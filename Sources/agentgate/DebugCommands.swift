import ArgumentParser

/// `agentgate debug ...`: hidden commands for benchmarks and diagnosis.
struct DebugCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "debug", abstract: "Diagnostics and benchmark drivers.", shouldDisplay: false,
    subcommands: [])
}
