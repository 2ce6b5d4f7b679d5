import GateCore

extension AgentRule {
  /// Gemini Code Assist review suggestions (suggestion-level help, not an autonomous agent).
  public static let geminiCodeAssist = AgentRule(
    id: "gemini-code-assist",
    description: "Gemini Code Assist: gemini-code-assist[bot] (176961590) as co-author of accepted review suggestions",
    identities: [.github(176961590)],
    names: ["gemini code assist", "gemini-code-assist"],
    positives: [
      .commit(
        "Update orchestrator/main.go\n\n"
          + "Co-authored-by: gemini-code-assist[bot] <176961590+gemini-code-assist[bot]@users.noreply.github.com>",
        committer: "GitHub <noreply@github.com>", .high),
      .commit("Apply suggestion\n\nAssisted-by: Gemini Code Assist", .high),
    ],
    negatives: [
      .nearMiss("Configure gemini-code-assist review settings"),
      .nearMiss("Add .gemini/styleguide.md for the review bot"),
    ]
  )
}
