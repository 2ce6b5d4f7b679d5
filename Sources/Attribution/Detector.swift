// The detector: evidence from a finished commit, from a hook's environment and process chain, or
// from a message being written; then one decision over all of it.
//
// Decision: evidence is grouped by agent; an agent's confidence is the highest of its evidence, raised
// to high when two different sources agree at medium or better. The winner has the highest
// confidence, then prefers a named agent over `unknown-agent`, then more evidence, then rule order.
// Below `minConfidence` the result names no agent but keeps every piece of evidence. Always-human
// identities win over everything; always-agent identities add high policy evidence.

import GateCore

/// The canonical id of a generic AI disclosure.
public let unknownAgentID = "unknown-agent"

public struct AttributionDetector: Sendable {
  let compiled: CompiledRules
  let settings: AttributionSettings
  let extras: [ExtraMarker]

  /// Builds the lookup tables. The settings must have passed ``AttributionSettings/validate(rules:)``
  /// (an invalid pattern traps here: there is no safe guess).
  public init(settings: AttributionSettings = .init(), rules: [AgentRule] = AgentRules.all) {
    self.compiled = CompiledRules(rules)
    self.settings = settings
    self.extras = settings.extraMarkers.map { marker in
      do {
        return ExtraMarker(
          kind: try ExtraMarker.compile(marker.pattern), agent: marker.agent, confidence: marker.confidence)
      } catch let error as AttributionError {
        preconditionFailure(error.description)
      } catch {
        preconditionFailure("\(error)")
      }
    }
  }

  /// Attributes a finished commit. `note` is its `refs/notes/ai` note (git-ai authorship log), if any.
  public func attribute(_ commit: CommitRecord, note: String? = nil) -> Attribution {
    var result = ScanResult()
    identityEvidence(commit.author, commit.committer, into: &result.evidence)
    scanMessage(commit.message, messageFile: false, into: &result)
    if let note { noteEvidence(note, into: &result.evidence) }
    return decide(result, author: commit.author.email, committer: commit.committer.email)
  }

  /// Attributes a commit about to be made (pre-commit): the environment git hands the hook, the
  /// executable names of its ancestors, and the identity git will use (`git var GIT_AUTHOR_IDENT`).
  /// Evidence names variables and executables only, never values or command lines.
  public func attribute(
    environment: [String: String], processChain: [String], identity: (author: Signature?, committer: Signature?)
  ) -> Attribution {
    var result = ScanResult()
    identityEvidence(identity.author, identity.committer, into: &result.evidence)
    envEvidence(environment, into: &result.evidence)
    processEvidence(processChain, into: &result.evidence)
    return decide(result, author: identity.author?.email, committer: identity.committer?.email)
  }

  /// Attributes a message being written (commit-msg's file: `#` comments and everything below the
  /// scissors line are ignored), merged with the pre-commit attribution `base` when given.
  public func attribute(message: String, base: Attribution?) -> Attribution {
    var result = ScanResult()
    if let base {
      result.evidence =
        base.evidence.filter { !($0.source == .policy && $0.marker == Self.unattributedMarker) }
    }
    scanMessage(message, messageFile: true, into: &result)
    return decide(result, author: nil, committer: nil)
  }

  // MARK: Evidence sources

  private func identityEvidence(_ author: Signature?, _ committer: Signature?, into evidence: inout [Evidence]) {
    if let author {
      for hit in compiled.identityHits(name: author.name, email: author.email) {
        evidence.append(
          Evidence(source: .author, marker: clip(identityText(author)), agent: hit.agent, confidence: hit.confidence))
      }
    }
    if let committer {
      for hit in compiled.identityHits(name: committer.name, email: committer.email) {
        evidence.append(
          Evidence(
            source: .committer, marker: clip(identityText(committer)), agent: hit.agent,
            confidence: hit.committerConfidence))
      }
    }
  }

  private func envEvidence(_ environment: [String: String], into evidence: inout [Evidence]) {
    for (name, value) in environment {
      if let entries = compiled.env[name] {
        for entry in entries {
          if let (agent, confidence) = envMatch(entry, value) {
            evidence.append(Evidence(source: .env, marker: name, agent: agent, confidence: confidence))
          }
        }
      }
      for (prefix, entry) in compiled.envPrefixes where name.hasPrefix(prefix) && !value.isEmpty {
        evidence.append(Evidence(source: .env, marker: name, agent: entry.agent, confidence: entry.confidence))
      }
    }
    evidence.sort { ($0.marker, $0.agent) < ($1.marker, $1.agent) }
  }

  private func envMatch(_ entry: EnvEntry, _ rawValue: String) -> (String, Confidence)? {
    let value = asciiLowercased(rawValue.trimmingSpaces)
    switch entry.match {
    case .truthy:
      return value.isEmpty || ["0", "false", "no", "off"].contains(value) ? nil : (entry.agent, entry.confidence)
    case .nonEmpty, .namePrefix:
      return value.isEmpty ? nil : (entry.agent, entry.confidence)
    case .oneOf(let values):
      return values.contains { asciiLowercased($0) == value } ? (entry.agent, entry.confidence) : nil
    case .contains(let text):
      return value.contains(asciiLowercased(text)) ? (entry.agent, entry.confidence) : nil
    case .suffix(let text):
      return value.hasSuffix(asciiLowercased(text)) ? (entry.agent, entry.confidence) : nil
    case .namesAgent(let generic, let other):
      let name = String(value.split(separator: "@", maxSplits: 1).first ?? "")
      if name.isEmpty || ["0", "false", "no", "off"].contains(name) { return nil }
      if let agent = compiled.exactNames[name] ?? compiled.agent(namedBy: name) { return (agent, entry.confidence) }
      if ["1", "true", "yes"].contains(name) { return (unknownAgentID, generic) }
      return other.map { (unknownAgentID, $0) }
    }
  }

  private func processEvidence(_ chain: [String], into evidence: inout [Evidence]) {
    for raw in chain {
      let base = raw.split(separator: "/").last.map(String.init) ?? raw
      let name = asciiLowercased(base)
      guard let hits = compiled.processes[name] else { continue }
      for hit in hits where !evidence.contains(where: { $0.source == .process && $0.marker == base }) {
        evidence.append(Evidence(source: .process, marker: base, agent: hit.agent, confidence: hit.confidence))
      }
    }
  }

  /// A git-ai authorship note (`schema_version` `authorship/…`): one high evidence per distinct
  /// `agent_id.tool`; a note without prompts (human-only) gives none.
  private func noteEvidence(_ note: String, into evidence: inout [Evidence]) {
    guard let version = jsonStrings(after: "\"schema_version\"", in: note).first, version.hasPrefix("authorship/")
    else { return }
    var seen: [String] = []
    for tool in jsonStrings(after: "\"tool\"", in: note) where !seen.contains(tool) {
      seen.append(tool)
      let agent = compiled.agent(namedBy: tool) ?? unknownAgentID
      evidence.append(
        Evidence(source: .note, marker: clip("refs/notes/ai \(version) tool \(tool)"), agent: agent, confidence: .high))
    }
  }

  // MARK: Decision

  static let unattributedMarker = "unattributed commits count as agents"

  func decide(_ scan: ScanResult, author: String?, committer: String?) -> Attribution {
    var evidence = scan.evidence
    if !scan.vetoed.isEmpty {
      evidence.removeAll { e in
        scan.vetoed.contains(e.agent) && [.trailer, .body, .footer, .subject].contains(e.source)
      }
    }
    if evidence.count > 1 { evidence = deduplicated(evidence) }
    if let author, let glob = settings.humanIdentities.first(where: { globMatches($0, author) }) {
      evidence.append(
        Evidence(
          source: .policy, marker: "always-human identity \(glob)", agent: AttributionSettings.humanAgent,
          confidence: .high))
      return Attribution(agent: nil, confidence: nil, evidence: evidence)
    }
    if evidence.contains(where: { $0.source == .policy && $0.agent == AttributionSettings.humanAgent }) {
      return Attribution(agent: nil, confidence: nil, evidence: evidence)
    }
    for (glob, agent) in settings.agentIdentities {
      for email in [author, committer].compactMap(\.self) where globMatches(glob, email) {
        let marker = "always-agent identity \(glob)"
        if !evidence.contains(where: { $0.source == .policy && $0.marker == marker && $0.agent == agent }) {
          evidence.append(Evidence(source: .policy, marker: marker, agent: agent, confidence: .high))
        }
      }
    }
    if evidence.isEmpty {
      return settings.unattributedAsAgent ? unattributed([]) : Attribution()
    }
    let winner = strongest(evidence)
    guard let winner, winner.confidence >= settings.minConfidence else {
      return settings.unattributedAsAgent ? unattributed(evidence) : Attribution(evidence: evidence)
    }
    return Attribution(agent: winner.agent, confidence: winner.confidence, evidence: evidence)
  }

  private func unattributed(_ evidence: [Evidence]) -> Attribution {
    Attribution(
      agent: unknownAgentID, confidence: .low,
      evidence: evidence + [
        Evidence(source: .policy, marker: Self.unattributedMarker, agent: unknownAgentID, confidence: .low)
      ])
  }

  private func strongest(_ evidence: [Evidence]) -> (agent: String, confidence: Confidence)? {
    // A commit has a handful of evidence: linear tables beat hashing agent names.
    struct Tally {
      var agent: String
      var best: Confidence
      var count: Int
      var strongSources: [EvidenceSource]
    }
    var tallies: [Tally] = []
    for e in evidence where e.agent != AttributionSettings.humanAgent {
      // Author and committer are one identity: they do not count as two agreeing sources.
      let source = e.source == .committer ? EvidenceSource.author : e.source
      if let i = tallies.firstIndex(where: { $0.agent == e.agent }) {
        tallies[i].best = max(tallies[i].best, e.confidence)
        tallies[i].count += 1
        if e.confidence >= .medium && !tallies[i].strongSources.contains(source) {
          tallies[i].strongSources.append(source)
        }
      } else {
        tallies.append(
          Tally(agent: e.agent, best: e.confidence, count: 1, strongSources: e.confidence >= .medium ? [source] : []))
      }
    }
    var winner: (agent: String, confidence: Confidence, named: Bool, count: Int, rank: Int)?
    for t in tallies {
      let confidence = t.strongSources.count >= 2 ? Confidence.high : t.best
      let candidate = (
        agent: t.agent, confidence: confidence, named: t.agent != unknownAgentID, count: t.count,
        rank: tallies.count == 1 ? 0 : compiled.ruleIDs.firstIndex(of: t.agent) ?? Int.max
      )
      guard let w = winner else {
        winner = candidate
        continue
      }
      if (candidate.confidence, candidate.named ? 1 : 0, candidate.count, -candidate.rank)
        > (w.confidence, w.named ? 1 : 0, w.count, -w.rank)
      {
        winner = candidate
      }
    }
    return winner.map { ($0.agent, $0.confidence) }
  }

  private func deduplicated(_ evidence: [Evidence]) -> [Evidence] {
    var out: [Evidence] = []
    out.reserveCapacity(evidence.count)
    for e in evidence {
      if let i = out.firstIndex(where: { $0.source == e.source && $0.marker == e.marker && $0.agent == e.agent }) {
        out[i].confidence = max(out[i].confidence, e.confidence)
      } else {
        out.append(e)
      }
    }
    return out
  }
}

func identityText(_ s: Signature) -> String { "\(s.name) <\(s.email)>" }

/// The string values following each occurrence of `key` (a quoted JSON key) in `text`; enough to read
/// git-ai notes without a JSON parser on the hot path (quotes inside JSON strings are escaped, so a
/// bare `"tool"` is always a key).
func jsonStrings(after key: String, in text: String) -> [String] {
  var out: [String] = []
  let bytes = Array(text.utf8)
  let k = Array(key.utf8)
  var i = 0
  while i + k.count <= bytes.count {
    guard bytes[i] == k[0], Array(bytes[i..<i + k.count]) == k else {
      i += 1
      continue
    }
    var j = i + k.count
    while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x0A || bytes[j] == 0x09 || bytes[j] == 0x0D { j += 1 }
    guard j < bytes.count, bytes[j] == 0x3A else {
      i = j
      continue
    }
    j += 1
    while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x0A || bytes[j] == 0x09 || bytes[j] == 0x0D { j += 1 }
    guard j < bytes.count, bytes[j] == 0x22 else {
      i = j
      continue
    }
    j += 1
    let start = j
    while j < bytes.count, bytes[j] != 0x22, bytes[j] != 0x5C { j += 1 }
    out.append(String(decoding: bytes[start..<j], as: UTF8.self))
    i = j
  }
  return out
}

/// A policy marker: a literal (case-insensitive substring) or a `/…/` Swift regular expression.
struct ExtraMarker: Sendable {
  enum Kind: @unchecked Sendable {
    case literal(String)
    case regex(Regex<AnyRegexOutput>)
  }

  var kind: Kind
  var agent: String
  var confidence: Confidence

  static func compile(_ pattern: String) throws(AttributionError) -> Kind {
    if pattern.utf8.count >= 3, pattern.hasPrefix("/"), pattern.hasSuffix("/") {
      let body = String(pattern.dropFirst().dropLast())
      do {
        return .regex(try Regex(body).ignoresCase())
      } catch {
        throw .invalidPattern(pattern, reason: "\(error)")
      }
    }
    guard !pattern.isEmpty else { throw .invalidPattern(pattern, reason: "the pattern is empty") }
    return .literal(asciiLowercased(pattern))
  }

  func matches(_ line: String) -> Bool {
    switch kind {
    case .literal(let text): asciiLowercased(line).contains(text)
    case .regex(let regex): (try? regex.firstMatch(in: line)) != nil
    }
  }
}
