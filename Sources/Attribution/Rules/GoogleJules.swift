import GateCore

extension AgentRule {
  /// Google Jules: google-labs-jules[bot].
  public static let googleJules = AgentRule(
    id: "google-jules",
    description: "Google Jules: google-labs-jules[bot] (161369871) as author, committer or co-author",
    identities: [.github(161369871)],
    env: [EnvMatcher("USER", .oneOf(["swebot"]), .low)],
    names: ["jules", "google jules", "google-jules", "google-labs-jules"],
    positives: [
      .commit(
        "feat: add dark mode toggle",
        author: "google-labs-jules[bot] <161369871+google-labs-jules[bot]@users.noreply.github.com>",
        committer: "google-labs-jules[bot] <161369871+google-labs-jules[bot]@users.noreply.github.com>", .high),
      .commit(
        "Fix layout\n\nCo-authored-by: google-labs-jules[bot] <161369871+google-labs-jules[bot]@users.noreply.github.com>",
        .high),
      .commit("Add tests\n\nAssisted-by: Jules", .high),
    ],
    negatives: [
      .nearMiss("Add chapter on the Nautilus", author: "Jules Verne <jules@example.fr>"),
      .quietEnv(["USER": "swebot", "HOME": "/home/jules"]),
    ]
  )
}
