import GateCore

extension AgentRule {
  /// Claude Code (CLI, IDE, SDK, on the web), the Claude GitHub App and claude-code-action.
  public static let claudeCode = AgentRule(
    id: "claude-code",
    description: "Claude Code: the noreply@anthropic.com co-author, the Generated with [Claude Code] footer, "
      + "Claude-Session trailers, claude[bot] identities, CLAUDECODE and CLAUDE_CODE_* variables, a claude process",
    identities: [
      .email("noreply@anthropic.com"),
      .github(209825114),  // claude[bot], the Claude GitHub App
      .github(41898282, login: "claude[bot]"),  // claude-code-action's default bot_id (shared with github-actions)
      .github(242468646, .medium),  // anthropic-code-agent[bot], Claude as a GitHub-hosted agent
      .github(208546643, .low),  // claude-code-action[bot] (third-party lists only)
      .github(215619710, .low),  // anthropic-claude[bot] (third-party lists only)
    ],
    trailers: [TrailerMatcher("Claude-Session")],
    footers: [FooterMatcher("Generated with [Claude Code]"), FooterMatcher("https://claude.ai/code/session_")],
    subjects: [SubjectMatcher(.mergedBranch("claude/"), .medium)],
    env: [
      EnvMatcher("CLAUDECODE"),
      EnvMatcher("CLAUDE_CODE_ENTRYPOINT", .nonEmpty),
      EnvMatcher("CLAUDE_CODE_ACTION"),
      EnvMatcher("CLAUDE_CODE_SESSION_ID", .nonEmpty, .medium),
      EnvMatcher("CLAUDE_CODE_CHILD_SESSION", .nonEmpty, .medium),
      EnvMatcher("CLAUDE_CODE_EXECPATH", .nonEmpty, .medium),
      EnvMatcher("CLAUDE_CODE_IS_COWORK", .truthy, .medium),
      EnvMatcher("CLAUDE_CODE_REMOTE", .oneOf(["true", "1"]), .medium),
      EnvMatcher("CLAUDE_CODE_REMOTE_SESSION_ID", .nonEmpty, .medium),
    ],
    processes: [ProcessMatcher("claude")],
    names: ["claude code", "claude-code", "claude", "claude-cli", "anthropic claude", "claude code action"],
    positives: [
      .commit(
        "Fix parser crash on empty input\n\nHandle the empty case before tokenizing.\n\n"
          + "🤖 Generated with [Claude Code](https://claude.ai/code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
        .high),
      .commit(
        "Add retry to the uploader\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
          + "Co-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>\n", .high),
      .commit("Tighten types\n\nCo-Authored-By: Claude Fable 5 <noreply@anthropic.com>", .high),
      .commit(
        "Refactor config loading\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n"
          + "Claude-Session: https://claude.ai/code/session_01AbCdEfGhIjKlMnOpQrStUv\n", .high),
      .commit("Update docs\n\nhttps://claude.ai/code/session_01XyZaBcDeFgHiJkLmNoPq", .high),
      .commit(
        "Fix lint errors\n\nCo-authored-by: octocat <583231+octocat@users.noreply.github.com>",
        author: "claude[bot] <209825114+claude[bot]@users.noreply.github.com>", .high),
      .commit(
        "Apply review feedback\n\nCo-authored-by: claude[bot] <41898282+claude[bot]@users.noreply.github.com>", .high),
      .commit(
        "mm: fix off-by-one in page walk\n\nAssisted-by: Claude Code:claude-opus-4.6 coccinelle\n"
          + "Signed-off-by: Alex Doe <alex.doe@example.org>", .high),
      .commit("Tidy imports\n\nCo-authored-by-AI: Claude Code (claude-sonnet-4-6)", .high),
      .commit("Fix flaky test\n\nassisted-by: Claude", .high),
      .commit("Fix CRLF handling\r\n\r\nCo-Authored-By: Claude <noreply@anthropic.com>\r\n", .high),
      .commit("Fix width\n\nCo-Authored-By：Claude <noreply@anthropic.com>", .high),
      .commit("Fix width\n\n  Co-Authored-By: Claude <noreply@anthropic.com>", .high),
      .commit(
        "Release 2.1 (#88)\n\n* Add cache\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n\n* Fix cache key\n\n"
          + "Co-authored-by: Sam Roe <sam@example.org>", .medium),
      .commit("Merge pull request #41 from acme/claude/fix-login-redirect\n\nFix login redirect", .medium),
      .env(["CLAUDECODE": "1", "CLAUDE_CODE_ENTRYPOINT": "cli"], .high),
      .env(["CLAUDE_CODE_REMOTE": "true", "CLAUDE_CODE_REMOTE_SESSION_ID": "cse_0123"], .medium),
      .process(["bash", "claude", "zsh", "sshd"], .high),
      .message(
        "Fix parser\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n# Please enter the commit message.\n", .high),
    ],
    negatives: [
      .nearMiss("Add water lilies palette", author: "Claude Monet <claude@monet.fr>"),
      .nearMiss(
        "Fixed #35712 -- Updated French localflavor translations.",
        author: "Claude Paroz <claude@2xlibre.net>", committer: "Claude Paroz <claude@2xlibre.net>"),
      .nearMiss("Update the tutorial\n\nCo-authored-by: Claude Paroz <claude@2xlibre.net>"),
      .nearMiss("Fix sidebar", author: "Claudia Rossi <claudia.rossi@example.it>"),
      .nearMiss(
        "Document the attribution trailer\n\nAgents add this line:\n\n```\nCo-authored-by: Claude <noreply@anthropic.com>\n```\n\n"
          + "Our hook strips it."),
      .nearMiss("Explain the trailer\n\nExample:\n\n    Co-Authored-By: Claude <noreply@anthropic.com>\n"),
      .nearMiss("Quote the report\n\n> Co-Authored-By: Claude <noreply@anthropic.com>\n> was added by default"),
      .nearMiss("Add Claude Code support to the hooks installer"),
      .nearMiss(
        "Strip agent footers\n\nWe now remove the 🤖 Generated with [Claude Code] footer and any\n"
          + "`Co-Authored-By: Claude <noreply@anthropic.com>` line before pushing."),
      .nearMiss("Merge branch 'claudette/fix-nav'"),
      .nearMiss(
        "Bump actions/checkout\n\nSigned-off-by: github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>",
        author: "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"),
      .quietMessage(
        "Fix parser\n\n# ------------------------ >8 ------------------------\n"
          + "Co-Authored-By: Claude <noreply@anthropic.com>\n"),
      AgentExample(.environment(["CLAUDE_HOME": "/home/a/.claude"], processChain: ["bash"], author: nil), nobody: true),
    ]
  )
}
