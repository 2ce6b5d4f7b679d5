// Rendering attributions: the `agentgate.attribution/1` JSON document (schemas/attribution.schema.json)
// and one readable line per commit. Keys come out in a fixed order, so output is stable.

import GateCore

public enum AttributionJSON {
  public static let schema = "agentgate.attribution/1"

  /// The whole document. A nil commit is the staged pseudo-commit or a message being written
  /// (`"commit": null`, no subject or author).
  public static func render(commits: [(CommitRecord?, Attribution)]) -> String {
    var out = "{\"schema\":\"\(schema)\",\"commits\":["
    for (i, (commit, attribution)) in commits.enumerated() {
      if i > 0 { out += "," }
      out += entry(commit: commit, attribution: attribution)
    }
    out += "]}\n"
    return out
  }

  /// One element of `commits`.
  public static func entry(commit: CommitRecord?, attribution: Attribution) -> String {
    var out = "{\"commit\":" + optional(commit?.id)
    out += ",\"agent\":" + optional(attribution.agent)
    out += ",\"confidence\":" + optional(attribution.agent == nil ? nil : attribution.confidence?.rawValue)
    out += ",\"evidence\":["
    for (j, e) in attribution.evidence.enumerated() {
      if j > 0 { out += "," }
      out += "{\"source\":" + quoted(e.source.rawValue) + ",\"marker\":" + quoted(e.marker)
      out += ",\"agent\":" + quoted(e.agent) + ",\"confidence\":" + quoted(e.confidence.rawValue) + "}"
    }
    out += "]"
    if let commit, commit.id != nil {
      out += ",\"subject\":" + quoted(commit.subject)
      out += ",\"author\":" + quoted(identityText(commit.author))
    }
    return out + "}"
  }

  static func optional(_ s: String?) -> String { s.map(quoted) ?? "null" }

  /// A JSON string literal (RFC 8259 escaping; non-ASCII kept as UTF-8).
  public static func quoted(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case let c where c.value < 0x20:
        let hex = String(c.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

public enum AttributionText {
  /// One line, readable at a glance:
  /// `a1b2c3d4e5f6  claude-code (high)  trailer "Co-authored-by: Claude <noreply@anthropic.com>"  Fix parser`
  /// or `a1b2c3d4e5f6  human  Fix parser`; evidence below the minimum confidence shows as
  /// `human (below threshold: env "CURSOR_TRACE_ID")`.
  public static func line(commit: CommitRecord?, attribution: Attribution) -> String {
    let id = commit?.shortID ?? "message"
    var parts = [id.padding(12)]
    if let agent = attribution.agent {
      parts.append("\(agent) (\(attribution.confidence?.rawValue ?? "low"))")
      let mine = attribution.evidence.filter { $0.agent == agent }.sorted { $0.confidence > $1.confidence }
      if let top = mine.first {
        var shown = "\(top.source.rawValue) \(JSONFreeQuote(top.marker))"
        let more = attribution.evidence.count - 1
        if more > 0 { shown += " +\(more) more" }
        parts.append(shown)
      }
    } else if let policy = attribution.evidence.first(where: { $0.agent == AttributionSettings.humanAgent }) {
      parts.append("human (policy: \(policy.marker))")
    } else if let top = attribution.evidence.max(by: { $0.confidence < $1.confidence }) {
      parts.append("human (below threshold: \(top.agent) \(top.source.rawValue) \(JSONFreeQuote(top.marker)))")
    } else {
      parts.append("human")
    }
    if let commit { parts.append(commit.subject) }
    return parts.joined(separator: "  ")
  }

  private static func JSONFreeQuote(_ s: String) -> String { "\"" + s + "\"" }
}

extension String {
  fileprivate func padding(_ width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
