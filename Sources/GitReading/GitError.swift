// GitReading's errors: every libgit2 status goes through `check`, which names the failing call
// and keeps libgit2's own message. User-facing text lives in `description`, in one place.

internal import CGit2
import Foundation

/// What went wrong while reading a repository, with the context to say what to do about it.
public enum GitError: Error, CustomStringConvertible, Equatable {
  /// A libgit2 call failed: the call's name, its status and `git_error_last()`'s message.
  case libgit2(call: String, code: Int32, message: String)
  /// No repository at or above `path`.
  case notARepository(path: String, message: String)
  /// The repository is owned by another user and `safe.directory` does not allow it.
  case unsafeOwnership(path: String, message: String)
  /// A selected commit's parents lie beyond a shallow clone's boundary.
  case shallowBoundary(commit: String)
  /// A revision that does not name a commit.
  case badRevision(String, message: String)
  /// A line of hook input that is not a ref update.
  case badUpdateLine(number: Int, line: String, reason: String)
  /// A tree or index path that is unsafe to write (`..`, absolute, `.git`, ...).
  case unsafePath(String)
  /// The export target exists and is not an empty directory.
  case exportTargetNotEmpty(String)
  /// A system call failed on a path.
  case io(call: String, path: String, errno: Int32)
  /// The index has unmerged entries.
  case unmergedIndex(path: String)
  /// A path at a revision names something that is not a file.
  case notAFile(rev: String, path: String)

  public var description: String {
    switch self {
    case .libgit2(let call, let code, let message):
      return "\(call) failed (\(code)): \(message)"
    case .notARepository(let path, let message):
      return "no Git repository at \(path) (\(message)); pass --repo DIR or run inside a repository"
    case .unsafeOwnership(let path, let message):
      return
        "the repository at \(path) is owned by another user (\(message)); if you trust it, run "
        + "'git config --global --add safe.directory \(path)'"
    case .shallowBoundary(let commit):
      return
        "the selected commits reach past the shallow clone's boundary at \(commit.prefix(12)); "
        + "fetch deeper (git fetch --deepen=N or --unshallow) or narrow the range"
    case .badRevision(let rev, let message):
      return "'\(rev)' does not name a commit (\(message))"
    case .badUpdateLine(let number, let line, let reason):
      return
        "hook input line \(number) is not a ref update (\(reason)): '\(line.prefix(200))'; expected "
        + "'OLD NEW REF' (pre-receive) or 'LOCAL-REF LOCAL-SHA REMOTE-REF REMOTE-SHA' (pre-push)"
    case .unsafePath(let path):
      return "refusing to write the unsafe path '\(path)' (absolute, '..', '.git' or empty component)"
    case .exportTargetNotEmpty(let dir):
      return "export target \(dir) is not an empty directory; pass a new or empty directory"
    case .io(let call, let path, let code):
      return "\(call) \(path) failed: \(String(cString: strerror(code)))"
    case .unmergedIndex(let path):
      return "the index has unresolved merge conflicts (\(path)); resolve them before judging staged changes"
    case .notAFile(let rev, let path):
      return "\(rev):\(path) is not a file"
    }
  }
}

/// The message libgit2 left for the last failed call on this thread.
func lastErrorMessage() -> String {
  guard let err = git_error_last(), let msg = err.pointee.message else { return "no message" }
  return String(cString: msg)
}

/// The one checker for libgit2 statuses: throws `GitError.libgit2` naming `call` when `status < 0`.
@discardableResult
func check(_ status: Int32, _ call: @autoclosure () -> String) throws -> Int32 {
  if status < 0 {
    throw GitError.libgit2(call: call(), code: status, message: lastErrorMessage())
  }
  return status
}
