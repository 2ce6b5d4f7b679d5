import GateCore

extension AgentRule {
  /// OpenHands (formerly OpenDevin).
  public static let openhands = AgentRule(
    id: "openhands",
    description: "OpenHands: openhands <openhands@all-hands.dev> as author or co-author, AI_AGENT=openhands",
    identities: [
      .email("openhands@all-hands.dev"),
      .email("contact@all-hands.dev", .low),  // OpenHands Bot: also release commits (platform work)
    ],
    names: ["openhands", "open hands", "opendevin", "all-hands", "all hands"],
    positives: [
      .commit("Fix conversation reload\n\nCo-authored-by: openhands <openhands@all-hands.dev>", .high),
      .commit(
        "Add a unit test", author: "openhands <openhands@all-hands.dev>",
        committer: "openhands <openhands@all-hands.dev>", .high),
      .commit(
        "Handle timeouts\n\nCo-authored-by: openhands <openhands@all-hands.dev>",
        author: "Devin <devinvinson@gmail.com>", .high),
      .env(["AI_AGENT": "openhands"], .high),
    ],
    negatives: [
      .nearMiss("Release v1.4.0", author: "OpenHands Bot <contact@all-hands.dev>"),
      .nearMiss("Add OpenHands integration guide"),
    ]
  )
}
