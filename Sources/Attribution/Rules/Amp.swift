import GateCore

extension AgentRule {
  /// Amp (Sourcegraph).
  public static let amp = AgentRule(
    id: "amp",
    description: "Amp: Amp-Thread-ID trailers, the Amp <amp@ampcode.com> co-author, AGENT=amp, AMP_CURRENT_THREAD_ID",
    identities: [.email("amp@ampcode.com")],
    trailers: [TrailerMatcher("Amp-Thread-ID")],
    footers: [FooterMatcher("https://ampcode.com/threads/T-")],
    env: [EnvMatcher("AMP_CURRENT_THREAD_ID", .nonEmpty)],
    processes: [ProcessMatcher("amp", .medium)],
    names: ["amp", "ampcode", "sourcegraph amp"],
    positives: [
      .commit(
        "Add contact form validation\n\nAmp-Thread-ID: https://ampcode.com/threads/T-5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b\n"
          + "Co-authored-by: Amp <amp@ampcode.com>", .high),
      .commit(
        "Fix render loop\n\nAmp-Thread-ID: https://ampcode.com/threads/T-0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9", .high),
      .env(["AGENT": "amp"], .high),
      .env(["AMP_CURRENT_THREAD_ID": "T-0a1b2c3d"], .high),
      .process(["bash", "amp"], .medium),
    ],
    negatives: [
      .nearMiss("Amp up the retry budget"),
      .nearMiss("Fix amp/volt conversion in the meter driver"),
      .quietEnv(["AMPLITUDE_API_KEY": "0123456789abcdef"]),
    ]
  )
}
