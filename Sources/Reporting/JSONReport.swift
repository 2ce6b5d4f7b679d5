// `--format json`: the `agentgate.verdict/1` document (schemas/verdict.schema.json), and its
// decoder so `report --from`, `post` and the outbox read saved verdicts back.

import GateCore

public enum VerdictJSON {
  public static let schema = "agentgate.verdict/1"

  /// The verdict as pretty-printed `agentgate.verdict/1` JSON (a trailing newline included).
  public static func encode(_ verdict: Verdict, options: RenderOptions = RenderOptions()) -> String {
    value(verdict, options: options).serialized(pretty: true) + "\n"
  }

  static func value(_ v: Verdict, options: RenderOptions) -> JSONValue {
    var counts: [(String, JSONValue)] = [("commits", .int(Int64(v.commits.count)))]
    for d in Decision.allCases {
      counts.append((d.rawValue, .int(Int64(v.commits.filter { $0.decision == d }.count))))
    }
    counts.append(("findings", .int(Int64(v.commits.reduce(0) { $0 + $1.findings.count }))))
    counts.append(("suppressed", .int(Int64(v.commits.reduce(0) { $0 + $1.suppressed }))))
    return .object([
      ("schema", .string(schema)),
      ("agentgate_version", .string(options.toolVersion)),
      ("decision", .string(v.decision.rawValue)),
      ("summary", .string(v.summary)),
      ("range", .optional(v.range)),
      ("shard", .optional(v.shard)),
      (
        "policy",
        .object([
          ("source", .string(v.policy.source)), ("commit", .optional(v.policy.commit)),
          ("hash", .string(v.policy.hash)),
        ])
      ),
      ("counts", .object(counts)),
      ("commits", .array(v.commits.map(commitValue))),
    ])
  }

  static func commitValue(_ c: CommitVerdict) -> JSONValue {
    .object([
      ("commit", .optional(c.commit.id)),
      ("parents", .array(c.commit.parents.map(JSONValue.string))),
      ("subject", .string(c.commit.subject)),
      ("author", .object([("name", .string(c.commit.author.name)), ("email", .string(c.commit.author.email))])),
      (
        "attribution",
        .object([
          ("agent", .optional(c.attribution.agent)),
          ("confidence", .optional(c.attribution.confidence?.rawValue)),
          (
            "evidence",
            .array(
              c.attribution.evidence.map { e in
                .object([
                  ("source", .string(e.source.rawValue)), ("marker", .string(e.marker)),
                  ("agent", .string(e.agent)), ("confidence", .string(e.confidence.rawValue)),
                ])
              })
          ),
        ])
      ),
      ("findings", .array(c.findings.map(findingValue))),
      ("suppressed", .int(Int64(c.suppressed))),
      (
        "replay",
        .object([
          ("status", .string(c.replay.status.rawValue)),
          ("backend", .optional(c.replay.backend)),
          ("reason", .optional(c.replay.reason)),
          ("steps", .array(c.replay.steps.map(stepValue))),
        ])
      ),
      ("decision", .string(c.decision.rawValue)),
      ("reasons", .array(c.reasons.map(JSONValue.string))),
    ])
  }

  /// One finding as an `agentgate.findings/1` item.
  public static func findingValue(_ f: Finding) -> JSONValue {
    .object([
      ("rule", .string(f.rule)),
      ("category", .string(f.category.rawValue)),
      ("severity", .string(f.severity.rawValue)),
      ("commit", .optional(f.commit)),
      ("path", .string(f.path)),
      ("line", .optional(f.line)),
      ("column", .optional(f.column)),
      ("fingerprint", .string(f.fingerprint)),
      ("match", .string(f.match)),
      ("message", .string(f.message)),
    ])
  }

  static func stepValue(_ s: ReplayStep) -> JSONValue {
    .object([
      ("kind", .string(s.kind.rawValue)),
      ("command", .string(s.command)),
      ("origin", .string(s.origin)),
      ("exit_status", s.exitStatus.map { .int(Int64($0)) } ?? .null),
      ("signal", s.signal.map { .int(Int64($0)) } ?? .null),
      ("duration_seconds", .double(s.durationSeconds)),
      ("peak_memory_bytes", .optional(s.peakMemoryBytes)),
      ("limit_hit", .optional(s.limitHit?.rawValue)),
      ("output_tail", .string(s.outputTail)),
      ("output_bytes", .int(Int64(s.outputBytes))),
    ])
  }

  // MARK: Decoding

  /// Reads an `agentgate.verdict/1` document. Fields the format does not carry (full message,
  /// committer, trailers) come back empty: the author stands in for the committer.
  public static func decode(_ data: [UInt8]) throws(VerdictDecodingError) -> Verdict {
    let root: JSONValue
    do { root = try JSONValue.parse(bytes: data) } catch { throw .notJSON(error.description) }
    return try decode(root)
  }

  public static func decode(_ text: String) throws(VerdictDecodingError) -> Verdict {
    try decode(Array(text.utf8))
  }

  static func decode(_ root: JSONValue) throws(VerdictDecodingError) -> Verdict {
    var r = Reader(path: "")
    guard root.objectValue != nil else { throw .wrongType(path: "/", expected: "object") }
    let schemaName = try r.string(root, "schema")
    guard schemaName == schema else { throw .unsupportedSchema(schemaName) }
    let decision = try r.enumValue(root, "decision", Decision.self)
    let policyValue = try r.field(root, "policy")
    let policy = PolicyIdentity(
      source: try r.string(policyValue, "source", at: "policy"),
      commit: try r.optionalString(policyValue, "commit", at: "policy"),
      hash: try r.string(policyValue, "hash", at: "policy"))
    var commits: [CommitVerdict] = []
    for (n, c) in try r.array(root, "commits").enumerated() {
      commits.append(try commitVerdict(c, at: "commits/\(n)", r: &r))
    }
    return Verdict(
      decision: decision, commits: commits, policy: policy, summary: try r.string(root, "summary"),
      range: try r.optionalString(root, "range"), shard: try r.optionalString(root, "shard"))
  }

  private static func commitVerdict(
    _ c: JSONValue, at p: String, r: inout Reader
  ) throws(VerdictDecodingError)
    -> CommitVerdict
  {
    let authorValue = try r.field(c, "author", at: p)
    let author = Signature(
      name: try r.string(authorValue, "name", at: p + "/author"),
      email: try r.string(authorValue, "email", at: p + "/author"))
    let subject = try r.string(c, "subject", at: p)
    var parents: [String] = []
    if let ps = c["parents"], !ps.isNull {
      guard let items = ps.arrayValue else { throw .wrongType(path: p + "/parents", expected: "array") }
      for (i, item) in items.enumerated() {
        guard let s = item.stringValue else { throw .wrongType(path: p + "/parents/\(i)", expected: "string") }
        parents.append(s)
      }
    }
    let record = CommitRecord(
      id: try r.optionalString(c, "commit", at: p), parents: parents, author: author, committer: author,
      message: subject)

    let a = try r.field(c, "attribution", at: p)
    var evidence: [Evidence] = []
    for (i, e) in try r.array(a, "evidence", at: p + "/attribution").enumerated() {
      let ep = p + "/attribution/evidence/\(i)"
      evidence.append(
        Evidence(
          source: try r.enumValue(e, "source", EvidenceSource.self, at: ep), marker: try r.string(e, "marker", at: ep),
          agent: try r.string(e, "agent", at: ep), confidence: try r.enumValue(e, "confidence", Confidence.self, at: ep)
        ))
    }
    let attribution = Attribution(
      agent: try r.optionalString(a, "agent", at: p + "/attribution"),
      confidence: try r.optionalEnum(a, "confidence", Confidence.self, at: p + "/attribution"), evidence: evidence)

    var findings: [Finding] = []
    for (i, f) in try r.array(c, "findings", at: p).enumerated() {
      findings.append(try finding(f, at: p + "/findings/\(i)", r: &r))
    }

    let rv = try r.field(c, "replay", at: p)
    let rp = p + "/replay"
    var steps: [ReplayStep] = []
    for (i, s) in try r.array(rv, "steps", at: rp).enumerated() {
      let sp = rp + "/steps/\(i)"
      steps.append(
        ReplayStep(
          kind: try r.enumValue(s, "kind", ReplayStepKind.self, at: sp), command: try r.string(s, "command", at: sp),
          origin: try r.string(s, "origin", at: sp),
          exitStatus: try r.optionalInt(s, "exit_status", at: sp).map(Int32.init),
          signal: try r.optionalInt(s, "signal", at: sp).map(Int32.init),
          durationSeconds: try r.double(s, "duration_seconds", at: sp),
          peakMemoryBytes: try r.optionalInt(s, "peak_memory_bytes", at: sp),
          limitHit: try r.optionalEnum(s, "limit_hit", LimitHit.self, at: sp),
          outputTail: try r.string(s, "output_tail", at: sp), outputBytes: try r.int(s, "output_bytes", at: sp)))
    }
    let replay = ReplayOutcome(
      status: try r.enumValue(rv, "status", ReplayStatus.self, at: rp),
      backend: try r.optionalString(rv, "backend", at: rp), steps: steps,
      reason: try r.optionalString(rv, "reason", at: rp))

    var reasons: [String] = []
    for (i, s) in try r.array(c, "reasons", at: p).enumerated() {
      guard let text = s.stringValue else { throw .wrongType(path: p + "/reasons/\(i)", expected: "string") }
      reasons.append(text)
    }
    return CommitVerdict(
      commit: record, attribution: attribution, findings: findings, suppressed: try r.int(c, "suppressed", at: p),
      replay: replay, decision: try r.enumValue(c, "decision", Decision.self, at: p), reasons: reasons)
  }

  static func finding(_ f: JSONValue, at p: String, r: inout Reader) throws(VerdictDecodingError) -> Finding {
    Finding(
      rule: try r.string(f, "rule", at: p), category: try r.enumValue(f, "category", FindingCategory.self, at: p),
      severity: try r.enumValue(f, "severity", Severity.self, at: p), commit: try r.optionalString(f, "commit", at: p),
      path: try r.string(f, "path", at: p), line: try r.optionalInt(f, "line", at: p),
      column: try r.optionalInt(f, "column", at: p), fingerprint: try r.string(f, "fingerprint", at: p),
      match: try r.string(f, "match", at: p), message: try r.string(f, "message", at: p))
  }
}

/// Why a saved verdict could not be read.
public enum VerdictDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
  case notJSON(String)
  case unsupportedSchema(String)
  case missing(path: String)
  case wrongType(path: String, expected: String)
  case badValue(path: String, value: String, allowed: [String])

  public var description: String {
    switch self {
    case .notJSON(let why): "the verdict file is not JSON (\(why)); give a file written by `--format json`"
    case .unsupportedSchema(let s):
      "the verdict file has schema \"\(s)\", this agentgate reads \"\(VerdictJSON.schema)\"; "
        + "re-create it with this version's `--format json`"
    case .missing(let p): "the verdict file lacks \(p); give a complete file written by `--format json`"
    case .wrongType(let p, let t): "the verdict file's \(p) is not a \(t); give a file written by `--format json`"
    case .badValue(let p, let v, let allowed):
      allowed.isEmpty
        ? "the verdict file's \(p) has the unknown value \"\(v)\"; give a file written by `--format json`"
        : "the verdict file's \(p) is \"\(v)\", expected one of \(allowed.joined(separator: ", "))"
    }
  }
}

/// Typed field access with JSON-pointer-ish paths in errors.
struct Reader {
  var path: String

  func join(_ at: String, _ key: String) -> String { at.isEmpty ? "/" + key : "/" + at + "/" + key }

  func field(_ o: JSONValue, _ key: String, at: String = "") throws(VerdictDecodingError) -> JSONValue {
    guard let v = o[key] else { throw .missing(path: join(at, key)) }
    return v
  }

  func string(_ o: JSONValue, _ key: String, at: String = "") throws(VerdictDecodingError) -> String {
    guard let s = try field(o, key, at: at).stringValue else {
      throw .wrongType(path: join(at, key), expected: "string")
    }
    return s
  }

  func optionalString(_ o: JSONValue, _ key: String, at: String = "") throws(VerdictDecodingError) -> String? {
    guard let v = o[key], !v.isNull else { return nil }
    guard let s = v.stringValue else { throw .wrongType(path: join(at, key), expected: "string or null") }
    return s
  }

  func int(_ o: JSONValue, _ key: String, at: String = "") throws(VerdictDecodingError) -> Int {
    guard let i = try field(o, key, at: at).intValue, let n = Int(exactly: i) else {
      throw .wrongType(path: join(at, key), expected: "integer")
    }
    return n
  }

  func optionalInt(_ o: JSONValue, _ key: String, at: String = "") throws(VerdictDecodingError) -> Int? {
    guard let v = o[key], !v.isNull else { return nil }
    guard let i = v.intValue, let n = Int(exactly: i) else {
      throw .wrongType(path: join(at, key), expected: "integer or null")
    }
    return n
  }

  func double(_ o: JSONValue, _ key: String, at: String = "") throws(VerdictDecodingError) -> Double {
    guard let d = try field(o, key, at: at).doubleValue else {
      throw .wrongType(path: join(at, key), expected: "number")
    }
    return d
  }

  func array(_ o: JSONValue, _ key: String, at: String = "") throws(VerdictDecodingError) -> [JSONValue] {
    guard let a = try field(o, key, at: at).arrayValue else { throw .wrongType(path: join(at, key), expected: "array") }
    return a
  }

  func enumValue<E: RawRepresentable & CaseIterable>(
    _ o: JSONValue, _ key: String, _: E.Type, at: String = ""
  )
    throws(VerdictDecodingError) -> E where E.RawValue == String
  {
    let s = try string(o, key, at: at)
    guard let e = E(rawValue: s) else {
      throw .badValue(path: join(at, key), value: s, allowed: E.allCases.map(\.rawValue))
    }
    return e
  }

  func optionalEnum<E: RawRepresentable & CaseIterable>(
    _ o: JSONValue, _ key: String, _: E.Type, at: String = ""
  )
    throws(VerdictDecodingError) -> E? where E.RawValue == String
  {
    guard let s = try optionalString(o, key, at: at) else { return nil }
    guard let e = E(rawValue: s) else {
      throw .badValue(path: join(at, key), value: s, allowed: E.allCases.map(\.rawValue))
    }
    return e
  }

  func enumValue<E: RawRepresentable>(
    _ o: JSONValue, _ key: String, _: E.Type, at: String = ""
  )
    throws(VerdictDecodingError) -> E where E.RawValue == String
  {
    let s = try string(o, key, at: at)
    guard let e = E(rawValue: s) else { throw .badValue(path: join(at, key), value: s, allowed: []) }
    return e
  }

  func optionalEnum<E: RawRepresentable>(
    _ o: JSONValue, _ key: String, _: E.Type, at: String = ""
  )
    throws(VerdictDecodingError) -> E? where E.RawValue == String
  {
    guard let s = try optionalString(o, key, at: at) else { return nil }
    guard let e = E(rawValue: s) else { throw .badValue(path: join(at, key), value: s, allowed: []) }
    return e
  }
}
