import GateCore

extension AgentRule {
  /// Devin (Cognition): hosted sessions and Devin for Terminal.
  public static let devin = AgentRule(
    id: "devin",
    description: "Devin: devin-ai-integration[bot] (158243242) as author or co-author, the Generated with [Devin] "
      + "footer, app.devin.ai session links, devin/ branches, a devin process",
    identities: [.github(158243242)],
    footers: [
      FooterMatcher("Generated with [Devin]("),
      FooterMatcher("Link to Devin run: https://app.devin.ai/sessions/"),
      FooterMatcher("https://app.devin.ai/sessions/"),
    ],
    subjects: [SubjectMatcher(.mergedBranch("devin/"), .medium)],
    env: [
      EnvMatcher("DEVIN_SESSION_ID", .nonEmpty, .medium),
      EnvMatcher("DEVIN_WRAPPER_ACTIVE", .truthy, .medium),
    ],
    processes: [ProcessMatcher("devin")],
    names: ["devin", "devin ai", "devin-ai", "devin cli"],
    positives: [
      .commit(
        "Add OG image route\n\nCo-Authored-By: sahil@example.com <sahil@example.com>",
        author: "Devin AI <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
        committer: "Devin AI <158243242+devin-ai-integration[bot]@users.noreply.github.com>", .high),
      .commit(
        "Add OG image route (#212)\n\nCo-authored-by: Devin AI <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
        author: "devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>", .high),
      .commit(
        "Fix date parsing\n\nGenerated with [Devin](https://devin.ai)\n\n"
          + "Co-Authored-By: Devin <158243242+devin-ai-integration[bot]@users.noreply.github.com>", .high),
      .commit(
        "Add settings page (#19)\n\nLink to Devin run: https://app.devin.ai/sessions/4f1c2b3a9d8e\nRequested by: Sam (@sam)",
        .high),
      .env(["DEVIN_SESSION_ID": "4f1c2b3a"], .medium),
    ],
    negatives: [
      .nearMiss("Fix typo in docs", author: "Devin <devinvinson@gmail.com>"),
      .nearMiss("Pair on the importer\n\nCo-authored-by: Devin Smith <devin.smith@example.com>"),
      .nearMiss("Bump sandbox template", author: "Devin <mish@e2b.dev>"),
      .nearMiss("Document Devin integration in the README"),
    ]
  )
}
