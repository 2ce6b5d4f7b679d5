import ArgumentParser
import Foundation
import GateCore
import GitReading
import Synchronization

/// `agentgate debug ...`: hidden commands for benchmarks and diagnosis.
struct DebugCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "debug", abstract: "Diagnostics and benchmark drivers.", shouldDisplay: false,
    subcommands: [ReadHistoryCommand.self, AttributeHistoryCommand.self])
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

  @Flag(
    name: .customLong("digest"),
    help: "Also print an order-independent digest of every record and line read (to compare reading paths).")
  var digest = false

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
      var digest: UInt64 = 0
    }
    /// FNV-1a over a description of everything read for one commit.
    @Sendable func fingerprint(_ change: CommitChange, _ lines: [LineChanges?]) -> UInt64 {
      var text = "\(change.commit)"
      for (file, changes) in zip(change.files, lines) {
        text += "\n\(file.path) \(file.oldPath ?? "-") \(file.status) \(String(describing: file.oldMode)) "
        text += "\(String(describing: file.newMode)) \(file.oldBlob ?? "-") \(file.newBlob ?? "-") \(file.oldSize) "
        text += "\(file.newSize) \(file.isBinary) \(String(describing: file.skipped)) \(file.symlinkTarget ?? "-")"
        if let changes { text += " \(changes.added) \(changes.removed)" }
      }
      var h: UInt64 = 0xcbf2_9ce4_8422_2325
      for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
      return h
    }
    let wantDigest = digest
    let totals = Mutex(Totals())
    try repository.forEachChange(
      chosen, options: DiffOptions(maxBlobSize: maxBlobSize, cacheSize: cacheSize), parallelism: jobs
    ) {
      change in
      var local = Totals(commits: 1, files: change.files.count)
      var all: [LineChanges?] = []
      for file in change.files {
        if file.skipped != nil {
          local.skipped += 1
          all.append(nil)
          continue
        }
        let lines = try file.changes.get()
        local.addedLines += lines.added.count
        local.addedBytes += lines.added.bytes.count
        all.append(lines)
      }
      if wantDigest { local.digest = fingerprint(change, all) }
      totals.withLock {
        $0.commits += local.commits
        $0.files += local.files
        $0.addedBytes += local.addedBytes
        $0.addedLines += local.addedLines
        $0.skipped += local.skipped
        $0.digest &+= local.digest
      }
    }
    let t = totals.withLock { $0 }
    let seconds = Date().timeIntervalSince(start)
    print(
      "{\"commits\":\(t.commits),\"files\":\(t.files),\"skippedFiles\":\(t.skipped),\"addedBytes\":\(t.addedBytes),"
        + "\"addedLines\":\(t.addedLines),\"seconds\":\(String(format: "%.3f", seconds))"
        + (digest ? ",\"digest\":\"\(String(t.digest, radix: 16))\"" : "") + "}")
  }
}
