// The rule catalogue for people and machines: `agentgate rules` and the README's rule table.

import GateCore
import Reporting

public enum RuleCatalog {
  /// The README's table: every rule, one row each, generated (a test proves the README current).
  public static func markdownTable(_ rules: [RuleMetadata]) -> String {
    var lines = ["| family | id | severity | description |", "|---|---|---|---|"]
    for r in rules {
      let description = r.description.replacingOccurrences(of: "|", with: "\\|")
      lines.append("| \(r.family.rawValue) | `\(r.id)` | \(r.severity?.rawValue ?? "–") | \(description) |")
    }
    return lines.joined(separator: "\n")
  }

  public static func render(_ rules: [RuleMetadata], format: String, detailed: Bool) -> String {
    switch format {
    case "json":
      let items: [JSONValue] = rules.map { r in
        .object([
          ("id", .string(r.id)), ("family", .string(r.family.rawValue)), ("description", .string(r.description)),
          ("severity", r.severity.map { .string($0.rawValue) } ?? .null),
          ("positives", .array(r.positives.map { .string($0) })),
          ("negatives", .array(r.negatives.map { .string($0) })),
        ])
      }
      return JSONValue.object([("schema", .string("agentgate.rules/1")), ("rules", .array(items))])
        .serialized(pretty: true)
    case "markdown":
      return markdownTable(rules)
    default:
      var lines: [String] = []
      for r in rules {
        lines.append("\(r.family.rawValue)  \(r.id)  [\(r.severity?.rawValue ?? "-")]  \(r.description)")
        if detailed {
          for p in r.positives { lines.append("  + \(p)") }
          for n in r.negatives { lines.append("  - \(n)") }
        }
      }
      lines.append("\(rules.count) rule\(rules.count == 1 ? "" : "s")")
      return lines.joined(separator: "\n")
    }
  }
}
