import GateCore

extension AgentRule {
  /// OpenCode (sst / anomalyco).
  public static let opencode = AgentRule(
    id: "opencode",
    description: "OpenCode: OPENCODE=1 (with AGENT=1), the Generated with opencode footer and "
      + "opencode <noreply@opencode.ai> co-author repositories ask for, an opencode process",
    identities: [.email("noreply@opencode.ai", .medium)],
    footers: [FooterMatcher("Generated with opencode"), FooterMatcher("Generated with [opencode]")],
    env: [
      EnvMatcher("OPENCODE"),
      EnvMatcher("OPENCODE_PID", .nonEmpty, .medium),
      EnvMatcher("OPENCODE_SESSION_ID", .nonEmpty, .medium),
    ],
    processes: [ProcessMatcher("opencode")],
    names: ["opencode", "open code", "opencode-ai", "sst opencode"],
    positives: [
      .env(["OPENCODE": "1", "AGENT": "1"], .high),
      .commit(
        "Add health endpoint\n\n🤖 Generated with opencode\n\nCo-Authored-By: opencode <noreply@opencode.ai>", .high),
      .commit("Fix build\n\nGenerated-by: OpenCode:claude-opus-4.6", .high),
      .process(["bash", "opencode"], .high),
    ],
    negatives: [
      .nearMiss("Support OpenCode config files in the loader"),
      .quietEnv(["OPENCODE_BIN_PATH": "/usr/local/bin/opencode"]),
    ]
  )
}
