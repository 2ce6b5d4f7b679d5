import GateCore

extension AgentRule {
  /// Crush (Charm).
  public static let crush = AgentRule(
    id: "crush",
    description: "Crush: Assisted-by: Crush:<model>, the crush@charm.land co-author, the Generated with Crush footer, "
      + "CRUSH=1 / AGENT=crush / AI_AGENT=crush, a crush process",
    identities: [.email("crush@charm.land")],
    footers: [FooterMatcher("Generated with Crush")],
    env: [EnvMatcher("CRUSH"), EnvMatcher("CRUSH_SESSION_ID", .nonEmpty, .medium)],
    processes: [ProcessMatcher("crush")],
    names: ["crush", "charm crush"],
    positives: [
      .commit("Add config validation\n\n💘 Generated with Crush\n\nAssisted-by: Crush:claude-sonnet-4-5", .high),
      .commit("Fix flag parsing\n\nAssisted-by: Claude Sonnet 4 via Crush <crush@charm.land>", .high),
      .commit("Fix flag parsing\n\nCo-Authored-By: Crush <crush@charm.land>", .high),
      .env(["CRUSH": "1", "AGENT": "crush", "AI_AGENT": "crush"], .high),
      .process(["sh", "crush"], .high),
    ],
    negatives: [
      .nearMiss("Fix crush test flake in the ingest pipeline"),
      .nearMiss("Crush the image sizes down"),
    ]
  )
}
