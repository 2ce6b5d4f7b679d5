import GateCore

extension AgentRule {
  /// Goose (Block / AAIF).
  public static let goose = AgentRule(
    id: "goose",
    description: "Goose: GOOSE_TERMINAL and AGENT=goose on its shell commands, Assisted-by: Goose, a goose process",
    env: [EnvMatcher("GOOSE_TERMINAL"), EnvMatcher("GOOSE_SESSION_ID", .nonEmpty, .medium)],
    processes: [ProcessMatcher("goose")],
    names: ["goose", "block goose"],
    positives: [
      .env(["GOOSE_TERMINAL": "1", "AGENT": "goose"], .high),
      .commit("Add retry helper\n\nAssisted-by: Goose:gpt-5", .high),
      .process(["bash", "goose"], .high),
    ],
    negatives: [
      .nearMiss("Add goose migration for the users table"),
      .quietEnv(["GOOSE_PROVIDER": "openai", "GOOSE_DRIVER": "postgres"]),
    ]
  )
}
