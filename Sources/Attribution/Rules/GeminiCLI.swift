import GateCore

extension AgentRule {
  /// Gemini CLI.
  public static let geminiCLI = AgentRule(
    id: "gemini-cli",
    description: "Gemini CLI: GEMINI_CLI on its shell commands, a gemini process, a Gemini <noreply@google.com> "
      + "co-author that users add, git-ai notes from its hooks",
    identities: [.email("noreply@google.com", .medium)],
    env: [EnvMatcher("GEMINI_CLI")],
    processes: [ProcessMatcher("gemini")],
    names: ["gemini cli", "gemini-cli", "gemini", "google gemini", "gemini code"],
    positives: [
      .env(["GEMINI_CLI": "1", "PAGER": "cat", "GIT_PAGER": "cat"], .high),
      .commit("Add retries\n\nCo-Authored-By: Gemini <noreply@google.com>", .medium),
      .commit("Fix typo\n\nAssisted-by: Gemini CLI:gemini-2.5-pro", .high),
      .process(["bash", "gemini"], .high),
      .commit(
        "Add parser",
        note: "src/parse.rs\n  0f1e2d3c4b5a6978 1-40\n---\n"
          + "{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"7734aa\",\"prompts\":{\"0f1e2d3c4b5a6978\":"
          + "{\"agent_id\":{\"tool\":\"gemini\",\"id\":\"s-1\",\"model\":\"gemini-2.5-pro\"},\"messages\":[],"
          + "\"total_additions\":40,\"total_deletions\":0,\"accepted_lines\":40,\"overriden_lines\":0}}}", .high),
    ],
    negatives: [
      .nearMiss("Add Gemini models to the provider list"),
      .quietEnv(["GEMINI_API_KEY": "AIzaSyA-not-a-real-key-000000000000"]),
    ]
  )
}
