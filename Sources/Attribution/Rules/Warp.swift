import GateCore

extension AgentRule {
  /// Warp's agent (Oz).
  public static let warp = AgentRule(
    id: "warp",
    description: "Warp: OZ_RUN_ID on agent commands, the Warp <agent@warp.dev> co-author (a repository convention)",
    identities: [.email("agent@warp.dev", .medium)],
    env: [
      EnvMatcher("OZ_RUN_ID", .nonEmpty),
      EnvMatcher("TERM_PROGRAM", .oneOf(["WarpTerminal"]), .low),  // every Warp window, humans too
    ],
    names: ["warp", "warp agent", "oz"],
    positives: [
      .env(["OZ_RUN_ID": "run_01h2", "TERM_PROGRAM": "WarpTerminal"], .high),
      .commit("Add shell completions\n\nCo-Authored-By: Warp <agent@warp.dev>", .medium),
    ],
    negatives: [
      .nearMiss("Warp speed: cache the index"),
      .quietEnv(["TERM_PROGRAM": "WarpTerminal", "WARP_IS_LOCAL_SHELL_SESSION": "1"]),
    ]
  )
}
