// GitLab's report artifacts: Code Quality (`artifacts:reports:codequality`, a subset of the Code
// Climate spec) and Secret Detection (`artifacts:reports:secret_detection`, schema 15.0.1).

import Foundation
import GateCore

enum GitLabCodeQuality {
  /// A JSON array; one issue per finding with a fingerprint unique per occurrence (GitLab's merge
  /// request widget compares reports by fingerprint, and duplicates confuse it).
  static func render(_ verdict: Verdict, options: RenderOptions) -> String {
    var seen = Set<String>()
    var issues: [JSONValue] = []
    for c in verdict.commits {
      for f in c.findings {
        let fp = SHA256.hex("\(f.rule)\u{0}\(f.path)\u{0}\(f.fingerprint)\u{0}\(f.line ?? 0)")
        guard seen.insert(fp).inserted else { continue }
        var description = f.message.isEmpty ? f.rule : f.message
        if !f.match.isEmpty { description += " (\(f.match))" }
        description += " in commit \(c.commit.shortID)"
        issues.append(
          .object([
            ("description", .string(description)),
            ("check_name", .string(f.rule)),
            ("fingerprint", .string(fp)),
            ("severity", .string(Levels.codeQuality(f.severity))),
            (
              "location",
              .object([("path", .string(f.path)), ("lines", .object([("begin", .int(Int64(max(1, f.line ?? 1))))]))])
            ),
            ("categories", .array([.string(f.category == .secret ? "Security" : "Bug Risk")])),
            ("type", .string("issue")),
            ("engine_name", .string("agentgate")),
          ]))
      }
    }
    return JSONValue.array(issues).serialized(pretty: true) + "\n"
  }
}

enum GitLabSecretDetection {
  static let version = "15.0.1"

  /// `yyyy-mm-ddThh:mm:ss` in UTC, no zone suffix (the schema's pattern).
  static func time(_ d: Date) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
    return f.string(from: d)
  }

  static func render(_ verdict: Verdict, options: RenderOptions) -> String {
    let tool: JSONValue = .object([
      ("id", .string("agentgate")), ("name", .string("AgentGate")), ("version", .string(options.toolVersion)),
      ("vendor", .object([("name", .string("AgentGate"))])),
    ])
    var vulnerabilities: [JSONValue] = []
    for c in verdict.commits {
      for f in c.findings where f.category == .secret {
        let sha = f.commit ?? c.commit.id ?? "0000000"
        let id = SHA256.hex("\(sha)\u{0}\(f.rule)\u{0}\(f.path)\u{0}\(f.fingerprint)\u{0}\(f.line ?? 0)")
        let name = Text.cut(options.rules[f.rule]?.description ?? "Secret: \(f.rule)", 255)
        var description = f.message.isEmpty ? f.rule : f.message
        if !f.match.isEmpty { description += " Match (redacted): \(f.match)." }
        var location: [(String, JSONValue)] = [("file", .string(f.path))]
        if let l = f.line {
          location.append(("start_line", .int(Int64(l))))
          location.append(("end_line", .int(Int64(l))))
        }
        location.append(
          (
            "commit",
            .object([
              ("sha", .string(sha)), ("author", .string(c.commit.author.name)),
              ("message", .string(c.commit.subject)),
            ])
          ))
        vulnerabilities.append(
          .object([
            ("id", .string(uuidShaped(id))),
            ("category", .string("secret_detection")),
            ("name", .string(name)),
            ("description", .string(Text.cutUTF8(description, 1_048_576))),
            ("severity", .string(Levels.gitlabSecurity(f.severity))),
            ("scanner", .object([("id", .string("agentgate")), ("name", .string("AgentGate"))])),
            (
              "identifiers",
              .array([
                .object([
                  ("type", .string("agentgate_rule_id")), ("name", .string("AgentGate rule \(f.rule)")),
                  ("value", .string(f.rule)),
                ])
              ])
            ),
            ("location", .object(location)),
          ]))
      }
    }
    var messages: [JSONValue] = []
    for c in verdict.commits where c.decision == .error {
      let why = c.reasons.isEmpty ? "could not be judged" : c.reasons.joined(separator: "; ")
      messages.append(.object([("level", .string("warn")), ("value", .string("commit \(c.commit.shortID): \(why)"))]))
    }
    var scan: [(String, JSONValue)] = [
      ("analyzer", tool), ("scanner", tool), ("type", .string("secret_detection")),
      ("start_time", .string(time(options.startedAt))), ("end_time", .string(time(options.finishedAt))),
      ("status", .string(verdict.decision == .error ? "failure" : "success")),
    ]
    if !messages.isEmpty { scan.append(("messages", .array(messages))) }
    let doc: JSONValue = .object([
      ("version", .string(version)),
      ("vulnerabilities", .array(vulnerabilities)),
      ("scan", .object(scan)),
    ])
    return doc.serialized(pretty: true) + "\n"
  }

  /// A stable UUID-shaped id from a hex digest (the schema recommends a UUID).
  static func uuidShaped(_ hex: String) -> String {
    let h = Array(hex.prefix(32))
    return [h[0..<8], h[8..<12], h[12..<16], h[16..<20], h[20..<32]].map { String($0) }.joined(separator: "-")
  }
}
