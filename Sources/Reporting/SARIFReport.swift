// `--format sarif`: SARIF 2.1.0 as GitHub code scanning ingests it. One run; rules from the
// findings (described by `RenderOptions.rules` when given); one result per finding with a
// physical location and a partial fingerprint. GitHub's limits are kept: at most 25,000 results
// per run and 10 MB gzip per upload. The uncompressed document is kept under 9.5 MB, which bounds
// the gzip size below 10 MB whatever the content; what is cut is said in the run's properties
// and in a tool notification, and the most severe results are kept first.

import Foundation
import GateCore

enum SARIFReport {
  static let maxResults = 25_000
  static let maxBytes = 9_500_000
  static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"

  static func render(
    _ verdict: Verdict, options: RenderOptions, maxResults: Int = maxResults, maxBytes: Int = maxBytes
  )
    -> String
  {
    // Most severe first (stable within a severity) so a cut drops the least important.
    var all: [(CommitVerdict, Finding)] = []
    for c in verdict.commits { for f in c.findings { all.append((c, f)) } }
    let ordered = all.enumerated().sorted { a, b in
      a.element.1.severity != b.element.1.severity ? a.element.1.severity > b.element.1.severity : a.offset < b.offset
    }.map(\.element)

    var kept: [(CommitVerdict, Finding)] = []
    var resultBytes = 0
    let budget = maxBytes - 200_000  // room for the skeleton, rules and notifications
    for (c, f) in ordered {
      if kept.count >= maxResults { break }
      let size = result(f, commit: c, ruleIndex: 0).serialized().utf8.count + 2
      if resultBytes + size > budget { break }
      resultBytes += size
      kept.append((c, f))
    }
    let omitted = all.count - kept.count

    // Rules in first-seen order of the kept results.
    var ruleIndex: [String: Int] = [:]
    var rules: [JSONValue] = []
    for (_, f) in kept where ruleIndex[f.rule] == nil {
      ruleIndex[f.rule] = rules.count
      rules.append(rule(f, meta: options.rules[f.rule]))
    }
    let results = kept.map { result($0.1, commit: $0.0, ruleIndex: ruleIndex[$0.1.rule] ?? 0) }

    var notifications: [JSONValue] = []
    if omitted > 0 {
      notifications.append(
        notification(
          "agentgate: \(omitted) of \(all.count) results were left out to stay within GitHub code scanning's "
            + "limits (25,000 results per run, 10 MB gzip); the JSON report has them all", level: "warning"))
    }
    for c in verdict.commits where c.decision == .error || c.replay.status == .error || c.replay.status == .failed {
      let why =
        c.reasons.isEmpty
        ? (c.replay.reason ?? "replay \(c.replay.status.rawValue)") : c.reasons.joined(separator: "; ")
      notifications.append(
        notification(
          "commit \(c.commit.shortID): \(c.decision.rawValue): \(why)",
          level: c.decision == .error ? "error" : "warning"))
    }

    let formatter = ISO8601DateFormatter()
    var invocation: [(String, JSONValue)] = [
      ("executionSuccessful", .bool(verdict.decision != .error)),
      ("startTimeUtc", .string(formatter.string(from: options.startedAt))),
      ("endTimeUtc", .string(formatter.string(from: options.finishedAt))),
    ]
    if !notifications.isEmpty { invocation.append(("toolExecutionNotifications", .array(notifications))) }

    var runProperties: [(String, JSONValue)] = [
      ("decision", .string(verdict.decision.rawValue)),
      ("summary", .string(verdict.summary)),
      ("policy", .string(verdict.policy.label)),
    ]
    if let shard = verdict.shard { runProperties.append(("shard", .string(shard))) }
    runProperties.append(("truncated", .bool(omitted > 0)))
    runProperties.append(("omittedResults", .int(Int64(omitted))))

    var run: [(String, JSONValue)] = [
      (
        "tool",
        .object([
          (
            "driver",
            .object([
              ("name", .string("agentgate")),
              ("version", .string(options.toolVersion)),
              ("semanticVersion", .string(options.toolVersion)),
              ("informationUri", .string("https://github.com/agentgate/agentgate")),
              ("rules", .array(rules)),
            ])
          )
        ])
      ),
      ("invocations", .array([.object(invocation)])),
      ("results", .array(results)),
      ("properties", .object(runProperties)),
    ]
    if let shard = verdict.shard {
      run.insert(("automationDetails", .object([("id", .string("agentgate/shard-\(shard)/"))])), at: 1)
    }
    let doc: JSONValue = .object([
      ("$schema", .string(schemaURI)),
      ("version", .string("2.1.0")),
      ("runs", .array([.object(run)])),
    ])
    return doc.serialized(pretty: true) + "\n"
  }

  static func notification(_ text: String, level: String) -> JSONValue {
    .object([("level", .string(level)), ("message", .object([("text", .string(text))]))])
  }

  static func rule(_ f: Finding, meta: RuleMetadata?) -> JSONValue {
    let severity = meta?.severity ?? f.severity
    let description = meta?.description ?? (f.message.isEmpty ? f.rule : f.message)
    var tags = [f.category.rawValue]
    if f.category == .secret { tags.append("security") }
    return .object([
      ("id", .string(f.rule)),
      ("name", .string(camelName(f.rule))),
      ("shortDescription", .object([("text", .string(Text.cut(description, 1000)))])),
      ("fullDescription", .object([("text", .string(description))])),
      ("defaultConfiguration", .object([("level", .string(Levels.sarif(severity)))])),
      ("help", .object([("text", .string(description))])),
      (
        "properties",
        .object([
          ("tags", .array(tags.map(JSONValue.string))),
          ("security-severity", .string(Levels.securitySeverity(severity))),
        ])
      ),
    ])
  }

  static func result(_ f: Finding, commit: CommitVerdict, ruleIndex: Int) -> JSONValue {
    var region: [(String, JSONValue)] = [("startLine", .int(Int64(max(1, f.line ?? 1))))]
    if let col = f.column, col >= 1 { region.append(("startColumn", .int(Int64(col)))) }
    var text = f.message.isEmpty ? f.rule : f.message
    if !f.match.isEmpty { text += " (\(f.match))" }
    if let id = commit.commit.id { text += " in commit \(String(id.prefix(12)))" }
    var properties: [(String, JSONValue)] = [
      ("category", .string(f.category.rawValue)),
      ("severity", .string(f.severity.rawValue)),
      ("commit", .optional(f.commit ?? commit.commit.id)),
    ]
    if let agent = commit.attribution.agent { properties.append(("agent", .string(agent))) }
    return .object([
      ("ruleId", .string(f.rule)),
      ("ruleIndex", .int(Int64(ruleIndex))),
      ("level", .string(Levels.sarif(f.severity))),
      ("message", .object([("text", .string(text))])),
      (
        "locations",
        .array([
          .object([
            (
              "physicalLocation",
              .object([
                ("artifactLocation", .object([("uri", .string(uri(f.path)))])),
                ("region", .object(region)),
              ])
            )
          ])
        ])
      ),
      ("partialFingerprints", .object([("agentgateFingerprint/v1", .string(f.fingerprint))])),
      ("properties", .object(properties)),
    ])
  }

  /// A relative URI reference for a repository path: each segment percent-encoded.
  static func uri(_ path: String) -> String {
    let allowed = CharacterSet(
      charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@")
    let trimmed = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    return trimmed.split(separator: "/", omittingEmptySubsequences: false).map {
      String($0).addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0)
    }.joined(separator: "/")
  }

  /// `aws-access-key` → `AwsAccessKey` (SARIF's rule `name`).
  static func camelName(_ id: String) -> String {
    id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
  }
}
