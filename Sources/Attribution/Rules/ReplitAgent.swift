import GateCore

extension AgentRule {
  /// Replit Agent and Assistant. Deployments and restores carry Replit trailers too, but they are
  /// platform operations, not agent authorship.
  public static let replitAgent = AgentRule(
    id: "replit-agent",
    description: "Replit Agent / Assistant: Replit-Commit-Author: Agent or Assistant (not Deployment, not "
      + "Replit-Restored-To restores), REPLIT_MODE=assistant",
    trailers: [TrailerMatcher("Replit-Commit-Author", .oneOf(["Agent", "Assistant"]))],
    platformOperations: [
      TrailerMatcher("Replit-Commit-Author", .oneOf(["Deployment"])),
      TrailerMatcher("Replit-Commit-Deployment-Build-Id"),
      TrailerMatcher("Replit-Restored-To"),
    ],
    env: [
      EnvMatcher("REPLIT_MODE", .oneOf(["assistant"]), .medium),
      EnvMatcher("REPL_ID", .nonEmpty, .low),  // every Replit workspace, humans too
    ],
    names: ["replit", "replit agent", "replit-agent", "replit assistant"],
    positives: [
      .commit(
        "Add a map view of the school routes\n\nReplit-Commit-Author: Agent\n"
          + "Replit-Commit-Session-Id: 7c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f\n"
          + "Replit-Commit-Checkpoint-Type: full_checkpoint\n"
          + "Replit-Commit-Screenshot-Url: https://storage.googleapis.com/screenshot-production-us-central1/1/2.png",
        author: "melindaarden <41230987-melindaarden@users.noreply.replit.com>", .high),
      .commit(
        "Improve OCR error messages\n\nReplit-Commit-Author: Assistant\n"
          + "Replit-Commit-Session-Id: 0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7",
        author: "megh05 <28311445-megh05@users.noreply.replit.com>", .high),
      .env(["REPLIT_MODE": "assistant", "REPL_ID": "f00d"], .medium),
    ],
    negatives: [
      .nearMiss(
        "Published your App\n\nReplit-Commit-Author: Deployment\n"
          + "Replit-Commit-Session-Id: 7c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f\n"
          + "Replit-Commit-Deployment-Build-Id: 9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4",
        author: "melindaarden <41230987-melindaarden@users.noreply.replit.com>"),
      .nearMiss(
        "Restored to '4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f'\n\nReplit-Restored-To: 4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f\n"
          + "Replit-Commit-Author: Agent",
        author: "melindaarden <41230987-melindaarden@users.noreply.replit.com>"),
      .nearMiss("Update index.html", author: "megh05 <28311445-megh05@users.noreply.replit.com>"),
      .quietEnv(["REPL_ID": "f00d", "REPL_SLUG": "my-app"]),
    ]
  )
}
