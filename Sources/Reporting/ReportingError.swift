// Errors of the Reporting module; the text users read lives here, in one place.

/// What went wrong while writing reports, posting or keeping the outbox.
public enum ReportingError: Error, Sendable, Equatable, CustomStringConvertible {
  /// A file operation failed.
  case io(path: String, operation: String, reason: String)
  /// A post target is not usable as given.
  case badTarget(String)
  /// An outbox item could not be read.
  case corruptOutboxItem(path: String, reason: String)
  /// No outbox item has this id.
  case noSuchOutboxItem(String)

  public var description: String {
    switch self {
    case .io(let path, let op, let reason): "cannot \(op) \(path): \(reason)"
    case .badTarget(let why): why
    case .corruptOutboxItem(let path, let reason):
      "the outbox item \(path) cannot be read (\(reason)); inspect it, then remove it with `agentgate outbox drop`"
    case .noSuchOutboxItem(let id): "no outbox item has the id \(id); `agentgate outbox list` shows the ids"
    }
  }
}
