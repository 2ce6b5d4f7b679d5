import GateCore

extension AgentRule {
  /// OpenAI Codex: CLI, IDE and app, Codex cloud, the ChatGPT Codex connector.
  public static let openaiCodex = AgentRule(
    id: "openai-codex",
    description: "OpenAI Codex: the Codex <noreply@openai.com> co-author, codex@openai.com, the codex connector bot, "
      + "chatgpt.com/codex task links, codex/ branches, CODEX_THREAD_ID and CODEX_SANDBOX*, a codex process",
    identities: [
      .email("noreply@openai.com"),
      .email("codex@openai.com", .medium),  // a user convention, not the built-in default
      .github(199175422, .medium),  // chatgpt-codex-connector[bot]
      .github(242516109, .low),  // openai-code-agent[bot] (third-party only)
      .github(215057067, .low),  // openai-codex[bot] (third-party lists)
      .github(267193182, .low),  // the `codex` GitHub account (third-party)
    ],
    footers: [FooterMatcher("https://chatgpt.com/codex/tasks/")],
    subjects: [SubjectMatcher(.mergedBranch("codex/"), .medium)],
    env: [
      EnvMatcher("CODEX_THREAD_ID", .nonEmpty),
      EnvMatcher("CODEX_SANDBOX", .namePrefix),
      EnvMatcher("CODEX_CI", .truthy, .medium),
      EnvMatcher("CODEX_MANAGED_BY_NPM", .truthy, .medium),
      EnvMatcher("CODEX_MANAGED_BY_BUN", .truthy, .medium),
    ],
    processes: [ProcessMatcher("codex")],
    names: ["codex", "openai codex", "openai-codex", "codex cli", "codex-cli", "chatgpt codex"],
    positives: [
      .commit("Handle missing config\n\nCo-authored-by: Codex <noreply@openai.com>", .high),
      .commit("Add CSV export\n\nCo-Authored-By: OpenAI Codex <codex@openai.com>", .medium),
      .commit(
        "Fix typo in README", author: "Codex <codex@openai.com>", committer: "Codex <codex@openai.com>", .medium),
      .commit(
        "Apply suggestion",
        author: "chatgpt-codex-connector[bot] <199175422+chatgpt-codex-connector[bot]@users.noreply.github.com>",
        .medium),
      .commit("Merge pull request #6 from acme/codex/add-csv-export\n\nAdd CSV export", .medium),
      .commit(
        "Add CSV export (#6)\n\nAdds an export button.\n\n------\nhttps://chatgpt.com/codex/tasks/task_e_68a1b2c3d4e5f6a7b8c9",
        .high),
      .env(["CODEX_THREAD_ID": "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"], .high),
      .env(["CODEX_SANDBOX_NETWORK_DISABLED": "1"], .high),
      .env(["CODEX_SANDBOX": "seatbelt"], .high),
      .process(["bash", "codex"], .high),
    ],
    negatives: [
      .nearMiss("Update README", author: "Codex <codex@activ8ai.app>"),
      .nearMiss("Add Codex CLI integration docs"),
      .nearMiss("Rename codex module to codec"),
      .quietEnv(["CODEX_HOME": "/home/a/.codex"]),
    ]
  )
}
