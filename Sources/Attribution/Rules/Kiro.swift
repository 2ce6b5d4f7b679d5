import GateCore

extension AgentRule {
  /// Kiro (AWS).
  public static let kiro = AgentRule(
    id: "kiro",
    description:
      "Kiro: the Kiro <noreply@kiro.dev> co-author, a kiro-cli process; TERM_PROGRAM=kiro is low (humans too)",
    identities: [.email("noreply@kiro.dev", .medium)],
    env: [
      EnvMatcher("TERM_PROGRAM", .oneOf(["kiro"]), .low),
      EnvMatcher("__CFBundleIdentifier", .oneOf(["dev.kiro.desktop"]), .low),
    ],
    processes: [ProcessMatcher("kiro-cli", .medium)],
    names: ["kiro", "kiro-cli", "kiro cli"],
    positives: [
      .commit("Implement spec task 3\n\nCo-authored-by: Kiro <noreply@kiro.dev>", .medium),
      .commit("Implement spec task 4\n\nAssisted-by: Kiro", .high),
      .process(["bash", "kiro-cli"], .medium),
    ],
    negatives: [
      .nearMiss("Fix the release notes", author: "Kiro Tanaka <kiro@example.jp>"),
      .quietEnv(["TERM_PROGRAM": "kiro"]),
    ]
  )
}
