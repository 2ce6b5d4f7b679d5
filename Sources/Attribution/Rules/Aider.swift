import GateCore

extension AgentRule {
  /// Aider: ` (aider)` identities, the aider co-author, the `aider: ` subject prefix.
  public static let aider = AgentRule(
    id: "aider",
    description: "Aider: a name ending in (aider), the aider <aider@aider.chat> co-author, the aider: subject prefix, "
      + "OR_APP_NAME=Aider, GIT_AUTHOR_NAME ending in (aider), an aider process",
    identities: [
      .email("aider@aider.chat"),
      .email("noreply@aider.dev"),
      // As the committer only, aider committed a person's edits (/commit): medium.
      IdentityMatcher(.nameSuffix(" (aider)"), .high, committer: .medium),
    ],
    subjects: [SubjectMatcher(.prefix("aider:"), .high)],
    env: [
      EnvMatcher("OR_APP_NAME", .oneOf(["aider"])),
      EnvMatcher("OR_SITE_URL", .contains("aider.chat"), .medium),
      EnvMatcher("GIT_AUTHOR_NAME", .suffix("(aider)")),
      EnvMatcher("GIT_COMMITTER_NAME", .suffix("(aider)"), .medium),
    ],
    processes: [ProcessMatcher("aider")],
    names: ["aider", "aider-chat"],
    positives: [
      .commit(
        "feat: Add --watch-files option", author: "Paul Gauthier (aider) <paul@gauthier.example>",
        committer: "Paul Gauthier (aider) <paul@gauthier.example>", .high),
      .commit(
        "fix: Handle empty repo map\n\nCo-authored-by: aider (anthropic/claude-sonnet-4-20250514) <aider@aider.chat>",
        .high),
      .commit("refactor: split io\n\nCo-authored-by: aider (gpt-4o) <noreply@aider.dev>", .high),
      .commit("aider: Added unit tests for the tokenizer.", .high),
      .commit("Aider: fixed the lint", .high),
      .commit("Update history", committer: "Paul Gauthier (aider) <paul@gauthier.example>", .medium),
      .env(["GIT_AUTHOR_NAME": "Jane Doe (aider)"], .high),
      .env(["OR_APP_NAME": "Aider", "OR_SITE_URL": "https://aider.chat", "LITELLM_MODE": "PRODUCTION"], .high),
      .process(["git", "python3.12", "aider"], .high),
    ],
    negatives: [
      .nearMiss("Aider à corriger les erreurs de saisie"),
      .nearMiss("aider les utilisateurs à trouver une aide"),
      .nearMiss("raider: fix spawn timer"),
      .nearMiss("Add aider to the list of supported agents"),
      .nearMiss("feat: implement Co-authored-by attribution option"),
      .quietEnv(["AIDER_MODEL": "sonnet", "AIDER_AUTO_COMMITS": "false"]),
    ]
  )
}
