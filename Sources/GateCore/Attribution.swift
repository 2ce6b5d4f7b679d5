// Attribution: whether an AI agent wrote a commit, which one, how sure, and why.

public enum Confidence: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  case low, medium, high

  private var rank: Int {
    switch self {
    case .low: 0
    case .medium: 1
    case .high: 2
    }
  }

  public static func < (a: Confidence, b: Confidence) -> Bool { a.rank < b.rank }
}

/// Where a piece of evidence was found.
public enum EvidenceSource: String, Sendable, Hashable, Codable {
  case author, committer, trailer, body, footer, subject, note, env, process, policy
}

public struct Evidence: Sendable, Hashable, Codable {
  public var source: EvidenceSource
  /// The text matched in a commit; for env and process only the variable or executable name.
  public var marker: String
  /// Which agent this evidence points to (canonical id).
  public var agent: String
  public var confidence: Confidence

  public init(source: EvidenceSource, marker: String, agent: String, confidence: Confidence) {
    self.source = source
    self.marker = marker
    self.agent = agent
    self.confidence = confidence
  }
}

public struct Attribution: Sendable, Hashable, Codable {
  /// Canonical agent id (`claude-code`, ..., `unknown-agent`), or nil when no agent was found.
  public var agent: String?
  public var confidence: Confidence?
  public var evidence: [Evidence]

  public init(agent: String? = nil, confidence: Confidence? = nil, evidence: [Evidence] = []) {
    self.agent = agent
    self.confidence = confidence
    self.evidence = evidence
  }

  public static let none = Attribution()
  public var isAgent: Bool { agent != nil }
}
