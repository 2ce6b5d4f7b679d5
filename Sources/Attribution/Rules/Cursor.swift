import GateCore

extension AgentRule {
  /// Cursor: the background/cloud agent, the IDE agent and cursor-agent CLI.
  public static let cursor = AgentRule(
    id: "cursor",
    description: "Cursor: Cursor Agent <cursoragent@cursor.com> as author or co-author, Made-with: Cursor, "
      + "cursor.com agent links, cursor/ branches, CURSOR_AGENT, a cursor-agent process",
    identities: [
      .email("cursoragent@cursor.com"),
      .email("ai@cursor.com", .medium),  // an identity the agent invents
      .github(206951365, .low),  // cursor[bot] (third-party lists)
    ],
    footers: [
      FooterMatcher("Made with [Cursor](https://cursor.com)"),
      FooterMatcher("https://cursor.com/agents/bc-"),
      FooterMatcher("https://cursor.com/background-agent?bcId=bc-"),
    ],
    subjects: [SubjectMatcher(.mergedBranch("cursor/"), .medium)],
    env: [
      EnvMatcher("CURSOR_AGENT"),
      EnvMatcher("CURSOR_EXTENSION_HOST_ROLE", .oneOf(["agent-exec"]), .medium),
      EnvMatcher("CURSOR_TRACE_ID", .nonEmpty, .low),  // every Cursor terminal, humans too
      EnvMatcher("TERM_PROGRAM", .oneOf(["cursor"]), .low),
      EnvMatcher("VSCODE_GIT_ASKPASS_MAIN", .contains(".cursor-server"), .low),
    ],
    processes: [ProcessMatcher("cursor-agent")],
    names: ["cursor", "cursor agent", "cursor-agent", "cursor-cli", "cursor cli", "cursor ide"],
    positives: [
      .commit(
        "Add token refresh\n\nCo-authored-by: dana <dana@example.com>", author: "Cursor Agent <cursoragent@cursor.com>",
        committer: "Cursor Agent <cursoragent@cursor.com>", .high),
      .commit("Refactor search\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>", .high),
      .commit("Fix scroll\n\nCo-authored-by: Cursor <cursoragent@cursor.com>", .high),
      .commit("Speed up glob walk\n\nMade-with: Cursor", .high),
      .commit("Clean up\n\nCo-authored-by: AI Assistant <ai@cursor.com>", .medium),
      .commit(
        "Add rate limiter (#31)\n\nMade with [Cursor](https://cursor.com)\n\n"
          + "https://cursor.com/agents/bc-1f2e3d4c-5b6a-7980-a1b2-c3d4e5f6a7b8", .high),
      .env(["CURSOR_AGENT": "1"], .high),
      .process(["bash", "cursor-agent"], .high),
    ],
    negatives: [
      .nearMiss("Use cursor pagination for list endpoints"),
      .nearMiss("Corriger la position du curseur dans l'éditeur"),
      .nearMiss("Merge pull request #12 from acme/cursor-pagination\n\nCursor pagination"),
      .nearMiss("Add Cursor hyperlink alias"),
      .quietEnv(
        [
          "CURSOR_TRACE_ID": "9f8e7d6c5b4a", "TERM_PROGRAM": "cursor",
          "VSCODE_GIT_ASKPASS_MAIN": "/x/.cursor-server/askpass",
        ]),
    ]
  )
}
