// The registry: every agent rule, sorted by id. Adding an agent is one file under Rules/ and one line
// here (a test checks the order and that every canonical id is present).

import GateCore

public enum AgentRules {
  public static let all: [AgentRule] = [
    .aider,
    .amazonQ,
    .amp,
    .augment,
    .claudeCode,
    .cline,
    .crush,
    .cursor,
    .devin,
    .factoryDroid,
    .geminiCLI,
    .geminiCodeAssist,
    .githubCopilot,
    .googleJules,
    .goose,
    .kiro,
    .lovable,
    .openaiCodex,
    .opencode,
    .openhands,
    .qwenCode,
    .replitAgent,
    .unknownAgent,
    .warp,
    .windsurf,
  ]

  /// The rule with this id.
  public static func rule(_ id: String) -> AgentRule? { all.first { $0.id == id } }
}

/// The agent rules as `agentgate rules` lists them (examples rendered as text).
public var agentRulesMetadata: [RuleMetadata] {
  AgentRules.all.map { rule in
    RuleMetadata(
      id: rule.id, family: .agent, description: rule.description,
      positives: rule.positives.map(\.description), negatives: rule.negatives.map(\.description))
  }
}

/// `Name <email>` as a signature (examples and tests); text without `<…>` is all name.
public func signature(_ identity: String, time: Int64 = 0) -> Signature {
  let (name, email) = splitIdentity(identity)
  return Signature(name: name, email: email ?? "", time: time)
}
