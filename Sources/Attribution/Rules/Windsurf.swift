import GateCore

extension AgentRule {
  /// Windsurf / Codeium (Cascade).
  public static let windsurf = AgentRule(
    id: "windsurf",
    description: "Windsurf (Cascade): a Windsurf co-author or disclosure trailer; CODEIUM_EDITOR_APP_ROOT is low "
      + "(every Windsurf terminal)",
    env: [EnvMatcher("CODEIUM_EDITOR_APP_ROOT", .nonEmpty, .low)],
    names: ["windsurf", "windsurf cascade", "cascade", "codeium"],
    positives: [
      .commit("Add dark theme\n\nCo-authored-by: Windsurf", .medium),
      .commit("Add light theme\n\nAssisted-by: Windsurf Cascade", .high),
    ],
    negatives: [
      .nearMiss("Add windsurf board physics to the simulator"),
      .quietEnv(["CODEIUM_EDITOR_APP_ROOT": "/usr/share/windsurf"]),
    ]
  )
}
