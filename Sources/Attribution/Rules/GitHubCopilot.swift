import GateCore

extension AgentRule {
  /// GitHub Copilot: the coding agent, the CLI and app, VS Code's AI co-author, review suggestions, Autofix.
  public static let githubCopilot = AgentRule(
    id: "github-copilot",
    description: "GitHub Copilot: copilot-swe-agent[bot] and Copilot noreply ids (198982749, 175728472, 223556219), "
      + "the VS Code copilot@github.com co-author, Agent-Logs-Url, copilot/ branches, a copilot process",
    identities: [
      .github(198982749),  // Copilot coding agent (copilot-swe-agent[bot] / Copilot)
      .github(175728472),  // review suggestions, Copilot Autofix
      .github(223556219),  // Copilot CLI / Copilot App
      .github(167198135, .medium),  // copilot[bot] (third-party lists)
      .email("copilot@github.com", .medium),  // VS Code git.addAICoAuthor, known to fire for non-users
    ],
    trailers: [TrailerMatcher("Agent-Logs-Url", .any, .medium)],
    subjects: [SubjectMatcher(.mergedBranch("copilot/"), .medium)],
    env: [EnvMatcher("TERM_PROGRAM", .oneOf(["vscode"]), .low)],
    processes: [ProcessMatcher("copilot")],
    names: [
      "github copilot", "github-copilot", "github-copilot-cli", "copilot", "copilot cli", "copilot-cli",
      "copilot-swe-agent", "copilot coding agent",
    ],
    positives: [
      .commit(
        "Initial plan", author: "copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>",
        committer: "GitHub <noreply@github.com>", .high),
      .commit(
        "Add pagination to list_issues (#1234)\n\n* Initial plan\n\n* Add pagination to list_issues\n\n---------\n\n"
          + "Co-authored-by: octocat <583231+octocat@users.noreply.github.com>",
        author: "Copilot <198982749+Copilot@users.noreply.github.com>", .high),
      .commit(
        "Fix nil check\n\nAgent-Logs-Url: https://github.com/acme/api/sessions/5b0e6f2c-8d1a-4f0e-9c55-2a6f3d1e7b90\n"
          + "Co-authored-by: octocat <583231+octocat@users.noreply.github.com>",
        author: "copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>", .high),
      .commit("Update handler.go\n\nCo-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>", .high),
      .commit(
        "Potential fix for code scanning alert no. 12: Incomplete URL substring sanitization",
        author: "Copilot Autofix powered by AI <175728472+Copilot@users.noreply.github.com>", .high),
      .commit("Refine prompts\n\nCo-authored-by: Copilot <223556219+Copilot@users.noreply.github.com>", .high),
      .commit("Add unit tests\n\nCo-authored-by: Copilot <copilot@github.com>", .medium),
      .commit("Fix race\n\nAssisted-by: Copilot (GPT-5.4)", .high),
      .commit("Merge pull request #77 from acme/copilot/fix-null-deref\n\nFix null deref", .medium),
      .process(["sh", "copilot", "node"], .high),
      .env(["AI_AGENT": "github-copilot-cli"], .high),
    ],
    negatives: [
      .nearMiss("fix(copilot): handle an empty tool list"),
      .nearMiss(
        "Bump @github/copilot-sdk from 0.1.0 to 0.2.0",
        author: "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>"),
      .nearMiss("Update README.md", committer: "GitHub <noreply@github.com>"),
      .nearMiss("Add Copilot instructions file for contributors"),
      .quietEnv(["TERM_PROGRAM": "vscode", "VSCODE_GIT_IPC_HANDLE": "/run/user/1000/vscode-git.sock"]),
    ]
  )
}
