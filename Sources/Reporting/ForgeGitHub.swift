// GitHub (and GitHub Enterprise Server at https://HOST/api/v3): commit statuses, and check runs
// with annotations in batches of 50 when the token is an App installation token.

import GateCore

extension Publisher {
  var githubHeaders: [(name: String, value: String)] {
    [("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")]
  }

  static func githubState(_ d: Decision) -> String {
    switch d {
    case .pass, .warn: "success"
    case .fail: "failure"
    case .error: "error"
    }
  }

  func postGitHubStatus(_ s: StatusPost, token: String, into result: inout PublishResult) {
    var body: [(String, JSONValue)] = [
      ("state", .string(s.pending ? "pending" : Publisher.githubState(s.decision))),
      ("context", .string(Text.cut(s.context, 255))),
      ("description", .string(Text.cut(Text.oneLine(s.description), 140))),
    ]
    if let url = s.targetURL { body.append(("target_url", .string(url))) }
    let request = jsonRequest(
      "POST", "\(base)/repos/\(target.repo)/statuses/\(pathSegment(s.sha))",
      auth: [("Authorization", "Bearer \(token)")], extra: githubHeaders, body: .object(body))
    _ = exchange(request, what: "status on \(s.sha.prefix(12))", into: &result)
  }

  static func checkConclusion(_ d: Decision) -> String {
    switch d {
    case .pass: "success"
    case .warn: "neutral"
    case .fail, .error: "failure"
    }
  }

  static func annotation(_ f: Finding) -> JSONValue {
    let level: String
    switch f.severity {
    case .critical, .high: level = "failure"
    case .medium: level = "warning"
    case .low, .info: level = "notice"
    }
    let line = Int64(max(1, f.line ?? 1))
    var fields: [(String, JSONValue)] = [
      ("path", .string(f.path)), ("start_line", .int(line)), ("end_line", .int(line)),
    ]
    if let c = f.column, f.line != nil {
      fields.append(("start_column", .int(Int64(c))))
      fields.append(("end_column", .int(Int64(c))))
    }
    var message = f.message.isEmpty ? f.rule : f.message
    if !f.match.isEmpty { message += " [\(f.match)]" }
    fields += [
      ("annotation_level", .string(level)), ("message", .string(Text.cut(message, 64_000))),
      ("title", .string(Text.cut("agentgate: \(f.rule)", 255))),
    ]
    return .object(fields)
  }

  /// One check run: POST with the first 50 annotations, PATCH for each further 50.
  func postGitHubCheckRun(_ verdict: Verdict, token: String, deliveryID: String, into result: inout PublishResult) {
    guard let sha = target.sha ?? Publisher.headCommit(of: verdict) else { return }
    let annotations = verdict.commits.flatMap(\.findings).map(Publisher.annotation)
    let batches = stride(from: 0, to: max(annotations.count, 1), by: 50).map {
      Array(annotations[$0..<min($0 + 50, annotations.count)])
    }
    let title = "agentgate: \(verdict.decision.rawValue)"
    let summary = Text.cutUTF8(Reports.stepSummary(verdict, limit: 65_000), 65_000)
    func output(_ batch: [JSONValue]) -> JSONValue {
      .object([
        ("title", .string(title)), ("summary", .string(summary)), ("annotations", .array(batch)),
      ])
    }
    var first: [(String, JSONValue)] = [
      ("name", .string(Publisher.context(for: verdict, target: target))), ("head_sha", .string(sha)),
      ("status", .string("completed")), ("conclusion", .string(Publisher.checkConclusion(verdict.decision))),
      ("external_id", .string(deliveryID)),
    ]
    if let url = target.targetURL { first.append(("details_url", .string(url))) }
    first.append(("output", output(batches[0])))
    var scratch = PublishResult()
    let create = jsonRequest(
      "POST", "\(base)/repos/\(target.repo)/check-runs", auth: [("Authorization", "Bearer \(token)")],
      extra: githubHeaders, body: .object(first))
    guard let created = exchange(create, what: "check run", into: &scratch),
      let id = (try? JSONValue.parse(created.bodyText))?["id"]?.intValue
    else {
      result.records += scratch.records
      let why = scratch.permanentFailure ?? scratch.transientFailure ?? "the answer carried no check run id"
      result.warnings.append(
        "the commit status was posted, the check run with annotations was not: \(why) "
          + "(check runs need a GitHub App token; the annotations are in the other outputs)")
      return
    }
    for (n, batch) in batches.dropFirst().enumerated() {
      let patch = jsonRequest(
        "PATCH", "\(base)/repos/\(target.repo)/check-runs/\(id)", auth: [("Authorization", "Bearer \(token)")],
        extra: githubHeaders, body: .object([("output", output(batch))]))
      if exchange(patch, what: "check run annotations batch \(n + 2)", into: &scratch) == nil {
        result.warnings.append(
          "the check run has only the first \((n + 1) * 50) of \(annotations.count) annotations: "
            + (scratch.permanentFailure ?? scratch.transientFailure ?? ""))
        break
      }
    }
    result.records += scratch.records
  }
}
