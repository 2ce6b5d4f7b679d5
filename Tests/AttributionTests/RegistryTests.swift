// The registry is complete, sorted and consistent with the canonical ids and the schema.

import Attribution
import Foundation
import GateCore
import Testing

let canonicalIDs = [
  "claude-code", "github-copilot", "openai-codex", "cursor", "aider", "devin", "google-jules", "gemini-cli",
  "gemini-code-assist", "openhands", "amp", "replit-agent", "crush", "goose", "opencode", "factory-droid", "lovable",
  "warp", "amazon-q", "kiro", "windsurf", "cline", "qwen-code", "augment", "unknown-agent",
]

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

@Suite struct Registry {
  @Test func everyCanonicalAgentHasOneRuleInIDOrder() {
    let ids = AgentRules.all.map(\.id)
    #expect(ids == ids.sorted())
    #expect(Set(ids).count == ids.count)
    #expect(Set(ids) == Set(canonicalIDs))
    #expect(ids.allSatisfy(isKebabCase))
    #expect(AgentRules.rule("cursor")?.id == "cursor")
    #expect(AgentRules.rule("claude") == nil)
  }

  @Test(arguments: AgentRules.all.map(\.id))
  func ruleHasExamplesAndADescription(id: String) throws {
    let rule = try #require(AgentRules.rule(id))
    #expect(!rule.description.isEmpty)
    #expect(!rule.positives.isEmpty)
    #expect(!rule.negatives.isEmpty)
    #expect(rule.negatives.contains { $0.nobody }, "each rule carries at least one near-miss")
  }

  @Test func everyCommitMarkerAgentHasACommitPositive() {
    // Agents with commit-level markers prove them with a commit example.
    for rule in AgentRules.all where !rule.identities.isEmpty || !rule.trailers.isEmpty || !rule.footers.isEmpty {
      let commits = rule.positives.filter {
        if case .commit = $0.input { return true }
        return false
      }
      #expect(!commits.isEmpty, "\(rule.id)")
    }
  }

  @Test func metadataForTheRulesCommand() {
    let metadata = agentRulesMetadata
    #expect(metadata.map(\.id) == AgentRules.all.map(\.id))
    #expect(metadata.allSatisfy { $0.family == .agent && $0.severity == nil && !$0.positives.isEmpty })
    let claude = metadata.first { $0.id == "claude-code" }
    #expect(claude?.positives.contains { $0.contains("Co-Authored-By: Claude <noreply@anthropic.com>") } == true)
    #expect(claude?.negatives.contains { $0.contains("Claude Monet") } == true)
  }

  @Test func schemaListsExactlyTheRegisteredAgents() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/schemas/attribution.schema.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let defs = try #require(json["$defs"] as? [String: Any])
    let agent = try #require(defs["agentId"] as? [String: Any])
    let listed = try #require(agent["enum"] as? [String])
    #expect(listed == AgentRules.all.map(\.id))
  }
}
