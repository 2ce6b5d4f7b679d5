import GateCore

extension AgentRule {
  /// Cline.
  public static let cline = AgentRule(
    id: "cline",
    description: "Cline: cline[bot] (205137888), CLINE_ACTIVE, Assisted-by: Cline, a cline process",
    identities: [.github(205137888, .medium)],
    env: [EnvMatcher("CLINE_ACTIVE", .truthy, .medium)],
    processes: [ProcessMatcher("cline", .medium)],
    names: ["cline"],
    positives: [
      .commit("Add retry", author: "cline[bot] <205137888+cline[bot]@users.noreply.github.com>", .medium),
      .env(["CLINE_ACTIVE": "true"], .medium),
      .commit("Fix test\n\nAssisted-by: Cline:claude-sonnet-4", .high),
    ],
    negatives: [.nearMiss("Fix incline calculation in the elevation profile")]
  )
}
