// The policy keys that steer attribution (the `agents` group of `.agentgate.toml`), and the
// module's typed errors.

import GateCore

/// How the repository policy adjusts attribution.
///
/// - `extraMarkers`: a pattern matched against every real message line (subject, body and trailers;
///   never inside code fences or quotes). A pattern written `/…/` is a Swift regular expression
///   (case-insensitive); anything else is a literal, case-insensitive substring.
/// - `humanIdentities`: email globs (`*`, `?`, case-insensitive) of authors that are always human. They
///   win over every other marker; the result then has agent nil and keeps the evidence, plus a
///   `policy` evidence whose agent is ``AttributionSettings/humanAgent``.
/// - `agentIdentities`: email globs of authors or committers that are always the given agent (high).
/// - `minConfidence`: below it, the result has agent and confidence nil but keeps all evidence (so
///   reports can still say what was seen).
/// - `unattributedAsAgent`: a commit with no agent (and no always-human identity) is reported as
///   `unknown-agent` with low confidence and a `policy` evidence.
public struct AttributionSettings: Sendable {
  public var extraMarkers: [(pattern: String, agent: String, confidence: Confidence)]
  public var humanIdentities: [String]
  public var agentIdentities: [(glob: String, agent: String)]
  public var minConfidence: Confidence
  public var unattributedAsAgent: Bool

  /// The `agent` of the policy evidence an always-human identity adds (not an agent id).
  public static let humanAgent = "human"

  public init(
    extraMarkers: [(pattern: String, agent: String, confidence: Confidence)] = [],
    humanIdentities: [String] = [], agentIdentities: [(glob: String, agent: String)] = [],
    minConfidence: Confidence = .medium, unattributedAsAgent: Bool = false
  ) {
    self.extraMarkers = extraMarkers
    self.humanIdentities = humanIdentities
    self.agentIdentities = agentIdentities
    self.minConfidence = minConfidence
    self.unattributedAsAgent = unattributedAsAgent
  }

  /// Checks every pattern and agent id; call it where the policy is loaded (the detector traps on a
  /// setting this rejects, since it cannot guess what was meant).
  public func validate(rules: [AgentRule] = AgentRules.all) throws(AttributionError) {
    let ids = Set(rules.map(\.id))
    for marker in extraMarkers {
      guard ids.contains(marker.agent) else { throw .unknownAgent(marker.agent, setting: "extra marker") }
      _ = try ExtraMarker.compile(marker.pattern)
    }
    for identity in agentIdentities where !ids.contains(identity.agent) {
      throw .unknownAgent(identity.agent, setting: "agent identity \(identity.glob)")
    }
    for glob in humanIdentities + agentIdentities.map(\.glob) where glob.isEmpty {
      throw .invalidPattern(glob, reason: "an identity glob is empty")
    }
  }
}

/// What can go wrong in attribution; `description` is the text for people.
public enum AttributionError: Error, Sendable, Equatable, CustomStringConvertible {
  case invalidPattern(String, reason: String)
  case unknownAgent(String, setting: String)

  public var description: String {
    switch self {
    case .invalidPattern(let pattern, let reason):
      "the attribution marker pattern \"\(pattern)\" is invalid (\(reason)); fix it in the policy's agents section"
    case .unknownAgent(let agent, let setting):
      "the \(setting) names the agent \"\(agent)\", which is not a known agent id; "
        + "use one listed by `agentgate rules` (unknown-agent for others)"
    }
  }
}
