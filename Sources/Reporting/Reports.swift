// Reporting: renders a Verdict in every format CI systems read, posts it to forges over an
// injected HTTP transport, and keeps undelivered verdicts in an outbox.
//
// Each format lives in its own file (`*Report.swift`); they share the helpers below: how a
// finding's severity maps to each format's levels, and how untrusted commit text is made safe.

import Foundation
import GateCore

/// The output formats `--format` accepts.
public enum ReportFormat: String, CaseIterable, Sendable {
  case text
  case json
  case sarif
  case junit
  case githubAnnotations = "github-annotations"
  case gitlabCodequality = "gitlab-codequality"
  case gitlabSecretDetection = "gitlab-secret-detection"
}

/// What a renderer may need beyond the verdict.
public struct RenderOptions: Sendable {
  /// ANSI colour in `text` (the CLI decides: a terminal and no `NO_COLOR`).
  public var color: Bool
  /// The agentgate version reports carry.
  public var toolVersion: String
  /// When the judgement ran (GitLab's scan times; SARIF invocation times).
  public var startedAt: Date
  public var finishedAt: Date
  /// Rule descriptions for SARIF and Code Quality, by rule id (from `agentgate rules`); rules
  /// not listed are described by their first finding's message.
  public var rules: [String: RuleMetadata]
  /// GitHub's caps on workflow-command annotations (per step, per job).
  public var annotationLimits: AnnotationLimits

  public init(
    color: Bool = false, toolVersion: String = AgentGateVersion.string, startedAt: Date = Date(),
    finishedAt: Date? = nil, rules: [RuleMetadata] = [], annotationLimits: AnnotationLimits = .github
  ) {
    self.color = color
    self.toolVersion = toolVersion
    self.startedAt = startedAt
    self.finishedAt = finishedAt ?? startedAt
    self.rules = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    self.annotationLimits = annotationLimits
  }
}

public enum Reports {
  /// Renders `verdict` as `format`. Every format is total: cuts to a format's limits are stated
  /// inside the output itself.
  public static func render(
    _ verdict: Verdict, format: ReportFormat, options: RenderOptions = RenderOptions()
  )
    -> String
  {
    switch format {
    case .text: TextReport.render(verdict, options: options)
    case .json: VerdictJSON.encode(verdict, options: options)
    case .sarif: SARIFReport.render(verdict, options: options)
    case .junit: JUnitReport.render(verdict, options: options)
    case .githubAnnotations: GitHubAnnotations.render(verdict, options: options)
    case .gitlabCodequality: GitLabCodeQuality.render(verdict, options: options)
    case .gitlabSecretDetection: GitLabSecretDetection.render(verdict, options: options)
    }
  }

  /// SARIF with explicit caps (results per run, bytes of the document), for uploads with
  /// tighter limits than GitHub code scanning's.
  public static func renderSARIF(_ verdict: Verdict, options: RenderOptions, maxResults: Int, maxBytes: Int) -> String {
    SARIFReport.render(verdict, options: options, maxResults: maxResults, maxBytes: maxBytes)
  }

  /// Joins the verdicts of several shards: commits concatenated in the order given, the decision
  /// combined (fail > error > warn > pass), the shard cleared. The policy is the first's; when the
  /// shards were judged by different policies the merged verdict is an error, since one answer
  /// must come from one policy.
  public static func merge(_ verdicts: [Verdict]) -> Verdict {
    guard let first = verdicts.first else {
      return Verdict(
        decision: .error, commits: [], policy: PolicyIdentity(source: "none", hash: ""),
        summary: "no verdicts to merge")
    }
    let commits = verdicts.flatMap(\.commits)
    var decision = Decision.combine(verdicts.map(\.decision))
    let policies = Set(verdicts.map(\.policy))
    var summary = summarize(commits, decision: decision)
    if policies.count > 1 {
      decision = Decision.combine([decision, .error])
      summary =
        "the shards were judged by \(policies.count) different policies "
        + "(\(policies.map(\.label).sorted().joined(separator: ", "))): re-run them with one policy; " + summary
    }
    let ranges = verdicts.compactMap(\.range)
    var seen = Set<String>()
    let unique = ranges.filter { seen.insert($0).inserted }
    let range = unique.isEmpty ? nil : unique.joined(separator: " ")
    return Verdict(
      decision: decision, commits: commits, policy: first.policy, summary: summary, range: range, shard: nil)
  }

  /// `N commits: a fail, b error, c warn, d pass; F findings` for merged verdicts and summaries.
  public static func summarize(_ commits: [CommitVerdict], decision: Decision) -> String {
    var counts: [Decision: Int] = [:]
    for c in commits { counts[c.decision, default: 0] += 1 }
    let findings = commits.reduce(0) { $0 + $1.findings.count }
    let parts = [Decision.fail, .error, .warn, .pass].compactMap { d in counts[d].map { "\($0) \(d.rawValue)" } }
    let noun = commits.count == 1 ? "commit" : "commits"
    let detail = parts.isEmpty ? "" : ": " + parts.joined(separator: ", ")
    return "\(decision.rawValue): \(commits.count) \(noun)\(detail); \(findings) finding\(findings == 1 ? "" : "s")"
  }
}

// MARK: - Shared helpers

enum Levels {
  /// SARIF `level` for a finding.
  static func sarif(_ s: Severity) -> String {
    switch s {
    case .critical, .high: "error"
    case .medium: "warning"
    case .low, .info: "note"
    }
  }

  /// GitHub `security-severity` (CVSS-like 0.0-10.0) so code scanning ranks secrets properly.
  static func securitySeverity(_ s: Severity) -> String {
    switch s {
    case .critical: "9.5"
    case .high: "8.0"
    case .medium: "5.5"
    case .low: "3.0"
    case .info: "0.0"
    }
  }

  /// GitLab Code Quality severity.
  static func codeQuality(_ s: Severity) -> String {
    switch s {
    case .critical: "blocker"
    case .high: "critical"
    case .medium: "major"
    case .low: "minor"
    case .info: "info"
    }
  }

  /// GitLab security report severity.
  static func gitlabSecurity(_ s: Severity) -> String {
    switch s {
    case .critical: "Critical"
    case .high: "High"
    case .medium: "Medium"
    case .low: "Low"
    case .info: "Info"
    }
  }
}

enum Text {
  /// Makes untrusted text safe for one line of a terminal or log: control characters (ESC among
  /// them, so no terminal escape sequence gets through) become visible `\u{..}` escapes, and
  /// newlines become `\n`.
  static func oneLine(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += " "
      default:
        if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
          out += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }

  /// Like `oneLine` but keeps newlines (for multi-line output tails).
  static func multiLine(_ s: String) -> String {
    s.split(separator: "\n", omittingEmptySubsequences: false).map { oneLine(String($0)) }.joined(separator: "\n")
  }

  /// Cuts `s` to at most `limit` characters, ending in `…` when cut.
  static func cut(_ s: String, _ limit: Int) -> String {
    guard s.count > limit else { return s }
    guard limit > 1 else { return String(s.prefix(max(0, limit))) }
    return String(s.prefix(limit - 1)) + "…"
  }

  /// Cuts `s` so its UTF-8 encoding fits in `bytes`, on a character boundary.
  static func cutUTF8(_ s: String, _ bytes: Int) -> String {
    guard s.utf8.count > bytes else { return s }
    var used = 0
    var out = ""
    for ch in s {
      let n = String(ch).utf8.count
      if used + n > bytes { break }
      used += n
      out.append(ch)
    }
    return out
  }

  /// `where` for a finding: `path:line:col`.
  static func location(_ f: Finding) -> String {
    var s = f.path
    if let l = f.line {
      s += ":\(l)"
      if let c = f.column { s += ":\(c)" }
    }
    return s
  }

  static func duration(_ seconds: Double) -> String {
    if seconds < 10 { return String(format: "%.2fs", seconds) }
    if seconds < 600 { return String(format: "%.1fs", seconds) }
    return "\(Int(seconds) / 60)m\(Int(seconds) % 60)s"
  }

  /// Commit short id for people.
  static func shortID(_ c: CommitVerdict) -> String { c.commit.shortID }
}
