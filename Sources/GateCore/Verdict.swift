// Verdicts: the decision per commit and for a range.

public enum Decision: String, Sendable, Hashable, Codable, CaseIterable {
  case pass, warn, fail, error

  /// Combines decisions for a range: fail if any fails, else error if any could not be judged,
  /// else warn if any warns, else pass.
  public static func combine<S: Sequence>(_ decisions: S) -> Decision where S.Element == Decision {
    var sawError = false
    var sawWarn = false
    for d in decisions {
      switch d {
      case .fail: return .fail
      case .error: sawError = true
      case .warn: sawWarn = true
      case .pass: break
      }
    }
    return sawError ? .error : sawWarn ? .warn : .pass
  }

  /// The exit-code contract of commands that judge: 0 pass or warn, 1 blocked, 2 could not decide.
  public var exitCode: Int32 {
    switch self {
    case .pass, .warn: 0
    case .fail: 1
    case .error: 2
    }
  }
}

/// Which policy judged: where it came from, at which commit, and a hash of its content.
public struct PolicyIdentity: Sendable, Hashable, Codable {
  public var source: String
  public var commit: String?
  public var hash: String

  public init(source: String, commit: String? = nil, hash: String) {
    self.source = source
    self.commit = commit
    self.hash = hash
  }

  /// `source@commit` (or the source alone) as reports name it.
  public var label: String { commit.map { "\(source)@\(String($0.prefix(12)))" } ?? source }
}

public struct CommitVerdict: Sendable, Hashable, Codable {
  public var commit: CommitRecord
  public var attribution: Attribution
  public var findings: [Finding]
  public var suppressed: Int
  public var replay: ReplayOutcome
  public var decision: Decision
  public var reasons: [String]

  public init(
    commit: CommitRecord, attribution: Attribution, findings: [Finding], suppressed: Int = 0,
    replay: ReplayOutcome, decision: Decision, reasons: [String]
  ) {
    self.commit = commit
    self.attribution = attribution
    self.findings = findings
    self.suppressed = suppressed
    self.replay = replay
    self.decision = decision
    self.reasons = reasons
  }
}

public struct Verdict: Sendable, Hashable, Codable {
  public var decision: Decision
  public var commits: [CommitVerdict]
  public var policy: PolicyIdentity
  /// A one-line summary for people.
  public var summary: String
  /// Which range was judged, as given (for reports).
  public var range: String?
  /// `K/N` when this verdict covers one shard of a larger range.
  public var shard: String?

  public init(
    decision: Decision, commits: [CommitVerdict], policy: PolicyIdentity, summary: String,
    range: String? = nil, shard: String? = nil
  ) {
    self.decision = decision
    self.commits = commits
    self.policy = policy
    self.summary = summary
    self.range = range
    self.shard = shard
  }
}
