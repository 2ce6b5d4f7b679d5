// The push gate's pieces: push options and overrides, the audit log, and the message a rejected
// pusher reads (git prefixes every line with `remote:` itself).

import Foundation
import GateCore
import Reporting

/// Push options (`git push -o KEY=VALUE`) as git hands them to pre-receive.
public enum PushOptions {
  public static func parse(_ env: [String: String]) -> [String] {
    guard let count = env["GIT_PUSH_OPTION_COUNT"].flatMap(Int.init), count > 0 else { return [] }
    return (0..<min(count, 100)).compactMap { env["GIT_PUSH_OPTION_\($0)"] }
  }

  /// The reason of `-o agentgate.override="reason"`, when given.
  public static func overrideReason(_ options: [String]) -> String? {
    for o in options where o.hasPrefix("agentgate.override") {
      let rest = o.dropFirst("agentgate.override".count)
      if rest.isEmpty { return "" }
      if rest.hasPrefix("=") { return String(rest.dropFirst()) }
    }
    return nil
  }
}

/// Who is pushing: the first of the variables the machine configuration names that is set.
public func pusherName(_ env: [String: String], variables: [String]) -> String? {
  for v in variables {
    if let name = env[v], !name.isEmpty { return name }
  }
  return nil
}

/// What the gate does with an override request.
public enum OverrideDecision: Equatable, Sendable {
  case none
  case honoured(pusher: String, reason: String)
  case refused(why: String)

  public static func decide(reason: String?, pusher: String?, allowed: [String]) -> OverrideDecision {
    guard let reason else { return .none }
    guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
      return .refused(why: "an override needs a reason: git push -o agentgate.override=\"why\"")
    }
    guard let pusher else {
      return .refused(why: "the server cannot tell who is pushing (no pusher variable is set), so no override")
    }
    guard allowed.contains(pusher) else {
      return .refused(why: "\(pusher) may not override the gate on this server")
    }
    return .honoured(pusher: pusher, reason: reason)
  }
}

/// The server's audit log: one JSON object per line, appended (verdicts and overrides).
public struct AuditLog: Sendable {
  public let path: String
  public init(path: String) { self.path = path }

  public func append(
    event: String, verdict: Verdict, refs: [String], pusher: String?, override: OverrideDecision, time: Date = Date()
  ) throws {
    // Keys in sorted order, one line; built directly (JSONSerialization took a third of a second
    // on a 1,000-commit push).
    func string(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    let commits: [JSONValue] = verdict.commits.map { c in
      .object([
        ("agent", string(c.attribution.agent)), ("commit", string(c.commit.id)),
        ("decision", .string(c.decision.rawValue)),
        ("findings", .array(c.findings.map { .string("\($0.rule)@\($0.path)") })),
      ])
    }
    var fields: [(String, JSONValue)] = [
      ("commits", .array(commits)), ("decision", .string(verdict.decision.rawValue)), ("event", .string(event)),
    ]
    switch override {
    case .none: break
    case .honoured(let who, let reason):
      fields.append(
        ("override", .object([("by", .string(who)), ("honoured", .bool(true)), ("reason", .string(reason))])))
    case .refused(let why):
      fields.append(("override", .object([("honoured", .bool(false)), ("why", .string(why))])))
    }
    fields += [
      ("policy", .string(verdict.policy.label)), ("policy_hash", .string(verdict.policy.hash)),
      ("pusher", string(pusher)),
      ("refs", .array(refs.map { .string($0) })), ("summary", .string(verdict.summary)),
      ("time", .string(ISO8601DateFormatter().string(from: time))),
    ]
    let data = Data(JSONValue.object(fields).serialized().utf8)
    let dir = (path as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
    guard fd >= 0 else {
      throw GateError.unreadable(path: path, what: "audit log", reason: String(cString: strerror(errno)))
    }
    defer { close(fd) }
    var line = data
    line.append(0x0A)
    // One write per line, O_APPEND: concurrent hooks never interleave within a line.
    _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  }
}

/// The message a pusher reads when the gate blocks (or could not decide on) a push.
public enum PushMessage {
  public static func render(_ verdict: Verdict, overrideHint: Bool, width: Int = 100) -> String {
    var lines: [String] = []
    let blocked = verdict.decision == .fail
    lines.append(
      blocked
        ? "agentgate: push rejected: \(verdict.summary)"
        : "agentgate: the gate could not decide, so the push is refused: \(verdict.summary)")
    for c in verdict.commits where c.decision == .fail || c.decision == .error {
      let who = c.attribution.agent.map { "agent \($0) (\(c.attribution.confidence?.rawValue ?? "?"))" } ?? "human"
      lines.append("")
      lines.append("  commit \(c.commit.shortID) by \(who): \(clip(c.commit.subject, width - 30))")
      for f in c.findings {
        let place = f.line.map { "\(f.path):\($0)" } ?? f.path
        lines.append("    \(f.severity.rawValue) \(f.rule) at \(place): \(clip(f.match, 40))")
        lines.append("      \(clip(f.message, width - 6))")
      }
      for r in c.reasons where r.hasPrefix("fail: replay") || r.hasPrefix("error:") {
        lines.append("    \(clip(r, width - 4))")
      }
    }
    lines.append("")
    if blocked {
      lines.append("  To fix: remove the secret or risky change from the commits (git rebase -i, then push again);")
      lines.append("  a leaked secret must also be revoked at its provider, as it is in your local history.")
    } else {
      lines.append("  To fix: ask the server's administrator; the reason is above. Nothing was judged as passing.")
    }
    if overrideHint {
      lines.append("  An allowed person may override: git push -o agentgate.override=\"reason\" (it is audited).")
    }
    return lines.joined(separator: "\n")
  }

  static func clip(_ s: String, _ n: Int) -> String {
    let one = s.replacingOccurrences(of: "\n", with: " ")
    return one.count <= max(n, 10) ? one : String(one.prefix(max(n, 10) - 1)) + "…"
  }
}
