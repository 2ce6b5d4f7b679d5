// The shared way every judging command says which commits: `--repo DIR` plus exactly one of
// positional REV-RANGE..., --commit SHA, --all, --staged, --stdin-updates.

import ArgumentParser
import Foundation
import GitReading

struct CommitSelectionOptions: ParsableArguments {
  @Option(
    name: .customLong("repo"),
    help: ArgumentHelp("The local repository (default: GIT_DIR or the current directory).", valueName: "DIR"))
  var repo: String?

  @Argument(help: ArgumentHelp("Revisions with git log's meaning: REV, A..B, ^A B, A...B.", valueName: "REV-RANGE"))
  var revisions: [String] = []

  @Option(name: .customLong("commit"), help: ArgumentHelp("Exactly one commit.", valueName: "SHA"))
  var commit: String?

  @Flag(name: .customLong("all"), help: "Every commit reachable from any ref.")
  var all = false

  @Flag(name: .customLong("staged"), help: "The index against HEAD (pre-commit).")
  var staged = false

  @Flag(
    name: .customLong("stdin-updates"),
    help:
      "Read hook input on stdin: 'OLD NEW REF' lines (pre-receive) or 'LOCAL-REF LOCAL-SHA REMOTE-REF REMOTE-SHA' lines (pre-push)."
  )
  var stdinUpdates = false

  @Option(
    name: .customLong("remote"),
    help: ArgumentHelp("With pre-push input: the remote's name (the hook's first argument).", valueName: "NAME"))
  var remote: String?

  /// How many of the mutually exclusive selections were given.
  var chosenCount: Int {
    [!revisions.isEmpty, commit != nil, all, staged, stdinUpdates].filter { $0 }.count
  }

  func validate() throws {
    if chosenCount > 1 {
      throw ValidationError(
        "choose one of REV-RANGE..., --commit, --all, --staged, --stdin-updates (they are mutually exclusive)")
    }
    if stdinUpdates && isatty(STDIN_FILENO) == 1 {
      throw ValidationError(
        "--stdin-updates reads hook input from stdin, but stdin is a terminal; pipe the ref updates in (as git does for hooks)"
      )
    }
    if remote != nil && !stdinUpdates {
      throw ValidationError("--remote only applies to --stdin-updates (pre-push input)")
    }
  }

  /// The selection the flags name; `readingStdin` supplies hook input for `--stdin-updates`. With no
  /// selection flag, `fallback` is used when given, else it is a usage error.
  func selection(readingStdin: () throws -> String, fallback: CommitSelection? = nil) throws -> CommitSelection {
    if stdinUpdates { return .updates(try RefUpdates.parse(try readingStdin(), remoteName: remote)) }
    if let commit { return .commit(commit) }
    if all { return .all }
    if staged { return .staged }
    if !revisions.isEmpty { return .revisions(revisions) }
    if let fallback { return fallback }
    throw ValidationError("say which commits: REV-RANGE..., --commit SHA, --all, --staged or --stdin-updates")
  }

  /// Opens the repository `--repo` names, else the one GIT_DIR or the current directory gives.
  func openRepository(environment: [String: String]) throws -> Repository {
    try Repository(path: repo, environment: environment)
  }

  /// All of stdin as text (hook input).
  static func readStandardInput() -> String {
    String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
  }
}
