// The findings JSON (`agentgate.findings/1`), for `agentgate scan --format json`. Schema:
// schemas/findings.schema.json. Keys in a fixed order so output is stable and diffable.

import GateCore

public enum FindingsJSON {
  public static let schema = "agentgate.findings/1"

  public static func render(_ findings: [Finding], suppressed: Int) -> String {
    var out = "{\n  \"schema\": \"\(schema)\",\n  \"findings\": ["
    for (i, f) in findings.enumerated() {
      out += i == 0 ? "\n    " : ",\n    "
      out += "{\"rule\": \(jsonString(f.rule)), \"category\": \(jsonString(f.category.rawValue))"
      out += ", \"severity\": \(jsonString(f.severity.rawValue))"
      out += ", \"commit\": \(f.commit.map(jsonString) ?? "null")"
      out += ", \"path\": \(jsonString(f.path))"
      out += ", \"line\": \(f.line.map(String.init) ?? "null")"
      out += ", \"column\": \(f.column.map(String.init) ?? "null")"
      out += ", \"fingerprint\": \(jsonString(f.fingerprint))"
      out += ", \"match\": \(jsonString(f.match))"
      out += ", \"message\": \(jsonString(f.message))}"
    }
    out += findings.isEmpty ? "]" : "\n  ]"
    out += ",\n  \"suppressed\": \(suppressed)\n}\n"
    return out
  }
}
