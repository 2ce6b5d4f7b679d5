// Findings: what the secret and risk rules report.

public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  case info, low, medium, high, critical

  private var rank: Int {
    switch self {
    case .info: 0
    case .low: 1
    case .medium: 2
    case .high: 3
    case .critical: 4
    }
  }

  public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

public enum FindingCategory: String, Sendable, Hashable, Codable {
  case secret
  case risk
  /// Content that was not read (binary, oversized): reported, never silently dropped.
  case skipped
}

public struct Finding: Sendable, Hashable, Codable {
  public var rule: String
  public var category: FindingCategory
  public var severity: Severity
  /// The commit the finding came from; nil for staged changes and plain files.
  public var commit: String?
  public var path: String
  /// 1-based line in the new file; nil for file-level findings.
  public var line: Int?
  /// 1-based column (in bytes) of the match start.
  public var column: Int?
  /// Stable content fingerprint (rule + path + secret hash): baselines key on it, not positions.
  public var fingerprint: String
  /// The matched text, redacted unless redaction was turned off.
  public var match: String
  /// What a reviewer should look at.
  public var message: String

  public init(
    rule: String, category: FindingCategory, severity: Severity, commit: String? = nil,
    path: String, line: Int? = nil, column: Int? = nil, fingerprint: String, match: String,
    message: String
  ) {
    self.rule = rule
    self.category = category
    self.severity = severity
    self.commit = commit
    self.path = path
    self.line = line
    self.column = column
    self.fingerprint = fingerprint
    self.match = match
    self.message = message
  }
}

/// Redaction of matched secrets: the first four characters and the length.
public enum Redaction {
  public static func redact(_ secret: String) -> String {
    let count = secret.count
    if count <= 4 { return "****(\(count) chars)" }
    return "\(secret.prefix(4))****(\(count) chars)"
  }
}
