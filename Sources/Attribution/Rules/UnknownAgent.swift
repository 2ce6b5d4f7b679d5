import GateCore

extension AgentRule {
  /// Generic AI disclosures that name no known agent, and agents without a rule of their own.
  public static let unknownAgent = AgentRule(
    id: "unknown-agent",
    description: "A generic AI disclosure: Assisted-by / Generated-by / Co-authored-by-AI naming an unknown tool, "
      + "AI_AGENT or AGENT naming an unknown agent (AGENT=1), other agents' variables (Pi, iFlow, Antigravity, Junie), "
      + "Entire.io session trailers",
    identities: [
      .github(230936708, .low),  // continue[bot] (third-party lists)
      .github(201248094, .low),  // sourcegraph-cody[bot]
      .github(220155983, .low),  // jetbrains-ai[bot]
    ],
    trailers: [
      TrailerMatcher("Entire-Checkpoint", .any, .medium),
      TrailerMatcher("Entire-Session", .any, .medium),
      TrailerMatcher("Entire-Agent", .any, .medium),
    ],
    env: [
      EnvMatcher("AI_AGENT", .namesAgent(generic: .medium, other: .high)),
      EnvMatcher("AGENT", .namesAgent(generic: .medium, other: .low)),
      EnvMatcher("PI_CODING_AGENT"),
      EnvMatcher("IFLOW_CLI"),
      EnvMatcher("ANTIGRAVITY_AGENT"),
      EnvMatcher("JUNIE_DATA", .nonEmpty, .medium),
    ],
    positives: [
      .commit("Fix build on arm64\n\nAssisted-by: generic LLM chatbot", .high),
      .commit("Packaging update\n\nAssisted-by: ChatGPTv5", .high),
      .commit("Add feature\n\nGenerated-by: some-tool", .high),
      .commit("Tweak API\n\nCo-authored-by-AI: SomeBot (model-x)", .high),
      .commit("Refactor\n\nAssisted-by: AI", .high),
      .commit("Port tests\n\nAssisted-by: Generic AI", .high),
      .commit("Port tests\n\nGenerated-by: LLaMA Coder", .high),
      .commit("Port tests\n\nAssisted-by: Jane Roe, some-tool", .high),
      .commit("Update\n\nEntire-Checkpoint: 3f2a1b\nEntire-Session: 2026-01-02-abc", .medium),
      .env(["AGENT": "1"], .medium),
      .env(["AI_AGENT": "v0"], .high),
      .env(["PI_CODING_AGENT": "true"], .high),
      .env(["IFLOW_CLI": "1"], .high),
    ],
    negatives: [
      .nearMiss("Fix importer\n\nAssisted-by: Jane Roe <jane.roe@example.org>"),
      .nearMiss("Fix importer\n\nHelped-by: Jane Roe <jane.roe@example.org>"),
      // Human helpers credited by name only (curl's convention), in the body and as trailers.
      .nearMiss("http2: fix stream window\n\nAssisted-by: Jay Satiro\nReported-by: Max Faxälv\nCloses #1234"),
      .nearMiss("lib: fix leak\n\nAssisted-by: Hendrik Hübner\nAssisted-by: Jan van der Berg"),
      .nearMiss("Squash of fixes\n\n* one\n  Assisted-by: Dan Fandrich\n\n* two\n\nCloses #9"),
      .nearMiss("tool: fix -w\n\nAssisted-by: Steve Holme, Daniel Stenberg\nAssisted-by: Kamil Dudka and Max Dymond"),
      .nearMiss("cmake: fix\n\nAssisted-by: octo-cat@users.noreply.github.com\nAssisted-by: graywolf on github"),
      .nearMiss("docs: fix\n\nAssisted-by: The Infinnovation team\nAssisted-by: Tal Regev via #16045"),
      .nearMiss("Release notes\n\nMade-with: love"),
      .nearMiss("Document the Assisted-by: trailer in CONTRIBUTING"),
      .quietEnv(["AGENT": "0", "AI_AGENT": ""]),
      .quietEnv(["SSH_AGENT_PID": "4242", "GPG_AGENT_INFO": "/run/gpg"]),
    ]
  )
}
