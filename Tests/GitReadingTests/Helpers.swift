// Shared helpers: read every change of a selection into an array, look files up by path.

import Foundation
import GateCore
import GitReading
import Synchronization
import TestSupport

func readChanges(
  _ repo: Repository, _ selection: CommitSelection, options: DiffOptions = DiffOptions(), parallelism: Int = 2
) throws -> [CommitChange] {
  let collected = Mutex<[CommitChange]>([])
  try repo.forEachChange(selection, options: options, parallelism: parallelism) { change in
    collected.withLock { $0.append(change) }
  }
  return collected.withLock { $0 }
}

func open(_ git: GitRepo) throws -> Repository {
  try Repository(path: git.path, environment: [:])
}

extension CommitChange {
  func file(_ path: String) -> FileDiff? { files.first { $0.path == path } }
}

extension FileDiff {
  var addedTexts: [String] { ((try? changes.get())?.added.lines ?? []).map(\.text) }
  var addedNumbers: [Int] { ((try? changes.get())?.added.lines ?? []).map(\.number) }
  var removedTexts: [String] { ((try? changes.get())?.removed.lines ?? []).map(\.text) }
}

/// A fast-import stream of `count` commits on `branch`, each changing `file-(i % 10).txt`.
func fastImportStream(count: Int, branch: String = "refs/heads/main") -> String {
  var s = ""
  for i in 1...count {
    let content = "commit \(i)\nline two of \(i)\n"
    s += "commit \(branch)\nmark :\(i)\ncommitter Bot <bot@example.com> \(1_700_000_000 + i) +0000\n"
    let msg = "change \(i)\n"
    s += "data \(msg.utf8.count)\n\(msg)"
    if i > 1 { s += "from :\(i - 1)\n" }
    s += "M 100644 inline file-\(i % 10).txt\ndata \(content.utf8.count)\n\(content)\n"
  }
  return s
}
