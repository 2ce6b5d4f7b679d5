// The agentgate command line: parses, wires the real implementations, maps verdicts to exit codes.
//
// Exit codes are a contract for commands that judge: 0 pass (warnings allowed), 1 blocked,
// 2 could not decide. Argument errors and every thrown error exit 2 with a one-line reason on
// stderr (swift-argument-parser's own defaults, 64 and 1, would break that contract).

import ArgumentParser
import Foundation
import Gate
import GateCore

@main
struct AgentGate {
  static func main() async {
    let code = await CLIEntry.run(
      AgentGateCommand.self, arguments: Array(CommandLine.arguments.dropFirst()))
    exit(code)
  }
}

struct AgentGateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "agentgate",
    abstract: "Judge commits written by AI coding agents: attribute, scan, replay, decide, post.",
    version: AgentGateVersion.string,
    subcommands: [
      DetectCommand.self, ScanCommand.self, CICommand.self, ReplayCommand.self, PreCommitCommand.self,
      CommitMsgCommand.self, PrePushCommand.self, PreReceiveCommand.self, PostReceiveCommand.self,
      InitCommand.self, InstallCommand.self, PolicyCommand.self, RulesCommand.self, BaselineCommand.self,
      SandboxCommand.self, PostCommand.self, ReportCommand.self, OutboxCommand.self, DebugCommand.self,
    ])
}
