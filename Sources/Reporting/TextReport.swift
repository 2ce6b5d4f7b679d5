// `--format text`: for people. One block per commit (decision, agent, findings, replay, reasons),
// then a summary line. Colour only when the caller says so; untrusted text is made one-line safe.

import Foundation
import GateCore

enum TextReport {
  static func render(_ verdict: Verdict, options: RenderOptions) -> String {
    let paint = Paint(enabled: options.color)
    var out = ""
    for c in verdict.commits {
      var head = "\(paint.decision(c.decision)) \(Text.shortID(c))"
      head += "  \(Text.oneLine(Text.cut(c.commit.subject, 72)))"
      if let agent = c.attribution.agent {
        let how = c.attribution.confidence.map { " (\($0.rawValue))" } ?? ""
        head += "  agent: \(Text.oneLine(agent))\(how)"
      } else {
        head += "  human"
      }
      out += head + "\n"
      for f in c.findings {
        out += "    \(paint.severity(f.severity)) \(f.rule)  \(Text.oneLine(Text.location(f)))"
        if !f.match.isEmpty { out += "  \(Text.oneLine(f.match))" }
        if !f.message.isEmpty { out += "  \(Text.oneLine(f.message))" }
        out += "\n"
      }
      if c.suppressed > 0 { out += "    \(c.suppressed) finding(s) suppressed by allowlist or baseline\n" }
      out += replayLines(c.replay, paint: paint)
      for r in c.reasons { out += "    reason: \(Text.oneLine(r))\n" }
    }
    let summary =
      verdict.summary.isEmpty ? Reports.summarize(verdict.commits, decision: verdict.decision) : verdict.summary
    var tail = "agentgate: \(paint.decision(verdict.decision)) \(Text.oneLine(summary))"
    if let shard = verdict.shard { tail += " [shard \(Text.oneLine(shard))]" }
    tail += " (policy \(Text.oneLine(verdict.policy.label)))"
    out += tail + "\n"
    return out
  }

  static func replayLines(_ r: ReplayOutcome, paint: Paint) -> String {
    if r.status == .skipped && r.steps.isEmpty && r.reason == nil { return "" }
    var out = "    replay: \(paint.replay(r.status))"
    if let b = r.backend { out += " (\(Text.oneLine(b)))" }
    if let reason = r.reason { out += ": \(Text.oneLine(reason))" }
    out += "\n"
    for s in r.steps {
      var line = "      \(s.kind.rawValue) `\(Text.oneLine(Text.cut(s.command, 80)))`"
      if let e = s.exitStatus { line += " exit \(e)" }
      if let sig = s.signal { line += " signal \(sig)" }
      line += " \(Text.duration(s.durationSeconds))"
      if let m = s.peakMemoryBytes { line += " \(m / (1024 * 1024)) MiB" }
      if let l = s.limitHit { line += " limit: \(l.rawValue)" }
      out += line + "\n"
      if !s.succeeded, !s.outputTail.isEmpty {
        let lines = s.outputTail.split(separator: "\n", omittingEmptySubsequences: false).suffix(10)
        for l in lines { out += "        | \(Text.oneLine(String(l)))\n" }
      }
    }
    return out
  }
}

/// ANSI colours, or plain words when disabled.
struct Paint {
  var enabled: Bool

  private func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

  func decision(_ d: Decision) -> String {
    let word = d.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0)
    switch d {
    case .pass: return wrap(word, "32")
    case .warn: return wrap(word, "33")
    case .fail: return wrap(word, "1;31")
    case .error: return wrap(word, "1;35")
    }
  }

  func severity(_ s: Severity) -> String {
    let word = s.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
    switch s {
    case .critical, .high: return wrap(word, "31")
    case .medium: return wrap(word, "33")
    case .low, .info: return wrap(word, "2")
    }
  }

  func replay(_ s: ReplayStatus) -> String {
    switch s {
    case .passed: return wrap(s.rawValue, "32")
    case .failed, .error: return wrap(s.rawValue, "31")
    case .skipped, .pending: return wrap(s.rawValue, "2")
    }
  }
}
