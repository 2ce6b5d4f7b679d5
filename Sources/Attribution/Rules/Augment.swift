import GateCore

extension AgentRule {
  /// Augment Code (Auggie CLI).
  public static let augment = AgentRule(
    id: "augment",
    description: "Augment (Auggie): AUGMENT_AGENT on its shell commands, Assisted-by: Auggie, an auggie process",
    env: [EnvMatcher("AUGMENT_AGENT")],
    processes: [ProcessMatcher("auggie")],
    names: ["augment", "auggie", "augment code", "augment agent"],
    positives: [
      .env(["AUGMENT_AGENT": "1"], .high),
      .process(["auggie"], .high),
      .commit("Refactor storage\n\nAssisted-by: Auggie", .high),
    ],
    negatives: [.nearMiss("Augment the search index with tags")]
  )
}
