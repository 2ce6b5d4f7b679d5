// `--format github-annotations`: GitHub Actions workflow commands
// (`::error file=F,line=L,col=C,title=T::message`), and the Markdown job summary for
// `$GITHUB_STEP_SUMMARY`. GitHub shows at most 10 errors, 10 warnings and 10 notices per step
// and 50 per job; more are dropped silently by the runner, so we cap ourselves and say how many
// were left out.

import Foundation
import GateCore

/// GitHub's caps on annotations from workflow commands.
public struct AnnotationLimits: Sendable, Equatable {
  public var errorsPerStep: Int
  public var warningsPerStep: Int
  public var noticesPerStep: Int
  /// What is left of the job's budget (50 for a job with no other annotations).
  public var perJob: Int

  public init(errorsPerStep: Int, warningsPerStep: Int, noticesPerStep: Int, perJob: Int) {
    self.errorsPerStep = errorsPerStep
    self.warningsPerStep = warningsPerStep
    self.noticesPerStep = noticesPerStep
    self.perJob = perJob
  }

  public static let github = AnnotationLimits(errorsPerStep: 10, warningsPerStep: 10, noticesPerStep: 10, perJob: 50)
}

enum GitHubAnnotations {
  enum Kind: String { case error, warning, notice }

  struct Annotation {
    var kind: Kind
    var file: String?
    var line: Int?
    var col: Int?
    var title: String
    var message: String
  }

  static func kind(_ s: Severity) -> Kind {
    switch s {
    case .critical, .high: .error
    case .medium: .warning
    case .low, .info: .notice
    }
  }

  static func annotations(_ verdict: Verdict) -> [Annotation] {
    var all: [Annotation] = []
    for c in verdict.commits {
      let where_ = "commit \(c.commit.shortID)" + (c.attribution.agent.map { " (agent: \($0))" } ?? "")
      for f in c.findings {
        var msg = f.message.isEmpty ? f.rule : f.message
        if !f.match.isEmpty { msg += " [\(f.match)]" }
        msg += " in \(where_)"
        all.append(
          Annotation(
            kind: kind(f.severity), file: f.path, line: f.line, col: f.column, title: "agentgate: \(f.rule)",
            message: msg))
      }
      if c.replay.status == .failed || c.replay.status == .error {
        let failed = c.replay.steps.first { !$0.succeeded }
        var msg = "replay \(c.replay.status.rawValue) for \(where_)"
        if let s = failed {
          msg += ": \(s.kind.rawValue) `\(s.command)`"
          if let e = s.exitStatus { msg += " exited \(e)" }
          if let l = s.limitHit { msg += " (limit \(l.rawValue))" }
        }
        if let r = c.replay.reason { msg += ": \(r)" }
        all.append(
          Annotation(
            kind: c.decision == .fail || c.decision == .error ? .error : .warning, file: nil, line: nil, col: nil,
            title: "agentgate: replay", message: msg))
      }
      if c.decision == .fail || c.decision == .error {
        let reasons = c.reasons.isEmpty ? "" : ": " + c.reasons.joined(separator: "; ")
        all.append(
          Annotation(
            kind: .error, file: nil, line: nil, col: nil, title: "agentgate: \(c.decision.rawValue)",
            message: "\(where_) \(c.commit.subject)\(reasons)"))
      }
    }
    return all
  }

  /// Picks what fits the caps; returns the kept annotations (in their original order) and how
  /// many were left out.
  static func select(_ all: [Annotation], limits: AnnotationLimits, reserveOne: Bool) -> ([Annotation], Int) {
    var remaining: [Kind: Int] = [
      .error: limits.errorsPerStep, .warning: limits.warningsPerStep,
      .notice: limits.noticesPerStep - (reserveOne ? 1 : 0),
    ]
    var job = limits.perJob - (reserveOne ? 1 : 0)
    var kept: [Annotation] = []
    // Errors claim the job budget first, then warnings, then notices.
    var keep = [Bool](repeating: false, count: all.count)
    for k in [Kind.error, .warning, .notice] {
      for (i, a) in all.enumerated() where a.kind == k {
        if job > 0, remaining[k, default: 0] > 0 {
          keep[i] = true
          job -= 1
          remaining[k, default: 0] -= 1
        }
      }
    }
    for (i, a) in all.enumerated() where keep[i] { kept.append(a) }
    return (kept, all.count - kept.count)
  }

  static func render(_ verdict: Verdict, options: RenderOptions) -> String {
    let all = annotations(verdict)
    var (kept, omitted) = select(all, limits: options.annotationLimits, reserveOne: false)
    if omitted > 0 { (kept, omitted) = select(all, limits: options.annotationLimits, reserveOne: true) }
    var out = ""
    for a in kept { out += command(a) + "\n" }
    if omitted > 0 {
      let note =
        "\(omitted) more annotation\(omitted == 1 ? "" : "s") left out: GitHub shows at most "
        + "\(options.annotationLimits.errorsPerStep) errors, \(options.annotationLimits.warningsPerStep) warnings and "
        + "\(options.annotationLimits.noticesPerStep) notices per step and 50 per job; "
        + "see the job summary or the JSON/SARIF report for all findings"
      if options.annotationLimits.noticesPerStep > 0 && options.annotationLimits.perJob > 0 {
        out +=
          command(Annotation(kind: .notice, file: nil, line: nil, col: nil, title: "agentgate", message: note)) + "\n"
      }
      out += "agentgate: \(note)\n"
    }
    return out
  }

  static func command(_ a: Annotation) -> String {
    var props: [String] = []
    if let f = a.file { props.append("file=\(escapeProperty(f))") }
    if let l = a.line {
      props.append("line=\(l)")
      if let c = a.col { props.append("col=\(c)") }
    }
    props.append("title=\(escapeProperty(a.title))")
    return "::\(a.kind.rawValue) \(props.joined(separator: ","))::\(escapeData(a.message))"
  }

  /// Workflow-command data: `%`, CR and LF escaped.
  static func escapeData(_ s: String) -> String {
    var out = ""
    for ch in s.unicodeScalars {
      switch ch {
      case "%": out += "%25"
      case "\r": out += "%0D"
      case "\n": out += "%0A"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }

  /// Workflow-command property values: as data, plus `:` and `,`.
  static func escapeProperty(_ s: String) -> String {
    var out = ""
    for ch in s.unicodeScalars {
      switch ch {
      case "%": out += "%25"
      case "\r": out += "%0D"
      case "\n": out += "%0A"
      case ":": out += "%3A"
      case ",": out += "%2C"
      default: out.unicodeScalars.append(ch)
      }
    }
    return out
  }
}

// MARK: - Job summary

extension Reports {
  /// GitHub caps a step's summary at 1 MiB.
  public static let stepSummaryLimit = 1_048_576

  /// The Markdown job summary: the decision, a table of commits, and the findings, cut to
  /// `limit` bytes with a closing line saying so.
  public static func stepSummary(_ verdict: Verdict, limit: Int = stepSummaryLimit) -> String {
    let icon: [Decision: String] = [.pass: "✅", .warn: "⚠️", .fail: "❌", .error: "⛔"]
    var head = "## agentgate: \(icon[verdict.decision] ?? "") \(verdict.decision.rawValue.uppercased())\n\n"
    head += Markdown.escape(verdict.summary) + "\n\n"
    head += "Policy: `\(Markdown.code(verdict.policy.label))`"
    if let shard = verdict.shard { head += " · shard \(Markdown.escape(shard))" }
    if let range = verdict.range { head += " · range `\(Markdown.code(range))`" }
    head += "\n\n"
    var body = "| Commit | Decision | Agent | Findings | Replay | Subject |\n|---|---|---|---|---|---|\n"
    for c in verdict.commits {
      body +=
        "| `\(c.commit.shortID)` | \(icon[c.decision] ?? "") \(c.decision.rawValue) | "
        + "\(Markdown.escape(c.attribution.agent ?? "—")) | \(c.findings.count) | \(c.replay.status.rawValue) | "
        + "\(Markdown.escape(Text.cut(c.commit.subject, 80))) |\n"
    }
    var details = ""
    for c in verdict.commits where !c.findings.isEmpty || !c.reasons.isEmpty {
      details += "\n### `\(c.commit.shortID)` \(Markdown.escape(Text.cut(c.commit.subject, 100)))\n\n"
      for f in c.findings {
        details +=
          "- **\(f.severity.rawValue)** `\(Markdown.code(f.rule))` at `\(Markdown.code(Text.location(f)))`"
          + (f.match.isEmpty ? "" : " `\(Markdown.code(f.match))`") + " — \(Markdown.escape(f.message))\n"
      }
      for r in c.reasons { details += "- reason: \(Markdown.escape(r))\n" }
    }
    let full = head + body + details
    if full.utf8.count <= limit { return full }
    let note = "\n\n_agentgate: the summary was cut to GitHub's 1 MiB limit; the JSON report has everything._\n"
    let keep = Text.cutUTF8(full, max(0, limit - note.utf8.count))
    // Cut at a line end so no table row or code span is left open.
    let cutAt = keep.lastIndex(of: "\n").map { keep[...$0] } ?? Substring(keep)
    return String(cutAt) + note
  }

  /// Appends the job summary to `path` (the value of `$GITHUB_STEP_SUMMARY`), within what is
  /// left of the 1 MiB a step may write.
  public static func appendStepSummary(_ verdict: Verdict, path: String) throws(ReportingError) {
    let existing = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    let budget = stepSummaryLimit - existing
    guard budget > 200 else {
      throw .io(path: path, operation: "append the job summary to", reason: "the step summary is already at 1 MiB")
    }
    let text = stepSummary(verdict, limit: budget)
    guard let handle = FileHandle(forWritingAtPath: path) ?? createAndOpen(path) else {
      throw .io(path: path, operation: "open", reason: "cannot open for appending")
    }
    defer { try? handle.close() }
    do {
      try handle.seekToEnd()
      try handle.write(contentsOf: Data(text.utf8))
    } catch {
      throw .io(path: path, operation: "append the job summary to", reason: "\(error)")
    }
  }

  private static func createAndOpen(_ path: String) -> FileHandle? {
    guard FileManager.default.createFile(atPath: path, contents: nil) else { return nil }
    return FileHandle(forWritingAtPath: path)
  }
}

enum Markdown {
  /// Escapes text so commit content cannot open links, images, HTML or break a table row.
  static func escape(_ s: String) -> String {
    var out = ""
    for ch in Text.oneLine(s) {
      switch ch {
      case "\\", "`", "*", "_", "[", "]", "(", ")", "#", "!", "|", "~", "{", "}": out += "\\\(ch)"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "&": out += "&amp;"
      default: out.append(ch)
      }
    }
    return out
  }

  /// Content for inside a code span: backticks and pipes cannot end it or the table cell.
  static func code(_ s: String) -> String {
    Text.oneLine(s).replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "¦")
  }
}
