import GateCore

extension AgentRule {
  /// Lovable (formerly GPT Engineer).
  public static let lovable = AgentRule(
    id: "lovable",
    description: "Lovable: gpt-engineer-app[bot] (159125892) or noreply@lovable.dev as author",
    identities: [.github(159125892, .medium), .email("noreply@lovable.dev", .medium)],
    names: ["lovable", "gpt-engineer", "gpt engineer"],
    positives: [
      .commit(
        "Changes", author: "gpt-engineer-app[bot] <159125892+gpt-engineer-app[bot]@users.noreply.github.com>", .medium),
      .commit("Use tailwind typography", author: "Lovable <noreply@lovable.dev>", .medium),
    ],
    negatives: [.nearMiss("Make the onboarding flow more lovable")]
  )
}
