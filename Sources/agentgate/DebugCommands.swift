import ArgumentParser
import Foundation
import GateCore
import GitReading
import Synchronization

/// `agentgate debug ...`: hidden commands for benchmarks and diagnosis.
struct DebugCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "debug", abstract: "Diagnostics and benchmark drivers.", shouldDisplay: false,
    subcommands: [ReadHistoryCommand.self])
}

/// `agentgate debug read-history`: reads every selected commit's changes, loads every file's lines,
/// and prints totals as JSON (the Git-reading benchmark and a diagnosis of hook input).
struct ReadHistoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "read-history", abstract: "Read the selected commits' changes and print totals as JSON.")

  @OptionGroup var selection: CommitSelectionOptions

  @Option(name: .customLong("max-blob-size"), help: "Blobs larger than this many bytes are skipped.")
  var maxBlobSize: Int = DiffOptions().maxBlobSize

  @Option(
    name: .customLong("cache-size"),
    help: "Bytes of object content kept for reuse (0: every object read through libgit2).")
  var cacheSize: Int = DiffOptions().cacheSize

  @Option(name: .customLong("jobs"), help: "Worker threads (default: the number of cores).")
  var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

  func run() throws {
    let start = Date()
    let environment = ProcessInfo.processInfo.environment
    let repository = try selection.openRepository(environment: environment)
    let chosen = try selection.selection(readingStdin: CommitSelectionOptions.readStandardInput)
    struct Totals {
      var commits = 0
      var files = 0
      var addedBytes = 0
      var addedLines = 0
      var skipped = 0
    }
    let totals = Mutex(Totals())
    try repository.forEachChange(
      chosen, options: DiffOptions(maxBlobSize: maxBlobSize, cacheSize: cacheSize), parallelism: jobs
    ) {
      change in
      var local = Totals(commits: 1, files: change.files.count)
      for file in change.files {
        if file.skipped != nil {
          local.skipped += 1
          continue
        }
        let lines = try file.changes.get()
        local.addedLines += lines.added.count
        local.addedBytes += lines.added.bytes.count
      }
      totals.withLock {
        $0.commits += local.commits
        $0.files += local.files
        $0.addedBytes += local.addedBytes
        $0.addedLines += local.addedLines
        $0.skipped += local.skipped
      }
    }
    let t = totals.withLock { $0 }
    let seconds = Date().timeIntervalSince(start)
    print(
      "{\"commits\":\(t.commits),\"files\":\(t.files),\"skippedFiles\":\(t.skipped),\"addedBytes\":\(t.addedBytes),"
        + "\"addedLines\":\(t.addedLines),\"seconds\":\(String(format: "%.3f", seconds))}")
  }
}
