import ArgumentParser

/// `agentgate post` (the verdicts issue fills this in).
struct PostCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "post", abstract: "Post a saved verdict to a CI system or webhook.")
}

/// `agentgate report` (the verdicts issue fills this in).
struct ReportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report", abstract: "Render a saved verdict in another format, or merge shards.")
}

/// `agentgate outbox list|flush|drop` (the verdicts issue fills this in).
struct OutboxCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "outbox", abstract: "Verdicts that could not be delivered: list, flush, drop.")
}
