// `--format junit`: the `testsuites/testsuite/testcase` shape GitLab (`artifacts:reports:junit`)
// and Jenkins read. One suite per commit; one case per finding, per replay step, and one for
// the commit's decision. A finding or step is a <failure> when its commit failed; a commit that
// could not be judged is an <error>. Text is XML-escaped and characters XML forbids are replaced.

import Foundation
import GateCore

enum JUnitReport {
  static func render(_ verdict: Verdict, options: RenderOptions) -> String {
    var suites: [String] = []
    var totals = (tests: 0, failures: 0, errors: 0, time: 0.0)
    for c in verdict.commits {
      var cases: [String] = []
      var failures = 0
      var errors = 0
      let classname = "agentgate.commit.\(c.commit.shortID)"
      let failing = c.decision == .fail || c.decision == .error
      for f in c.findings {
        let name = "\(f.category.rawValue) \(f.rule) at \(Text.location(f))"
        let detail =
          "\(f.message)\nrule: \(f.rule)\nseverity: \(f.severity.rawValue)\nlocation: \(Text.location(f))"
          + (f.match.isEmpty ? "" : "\nmatch: \(f.match)")
        if failing {
          failures += 1
          cases.append(
            testcase(
              classname: classname, name: name, time: 0,
              body: element(
                "failure", ["message": "\(f.rule): \(f.message)", "type": f.category.rawValue], text: detail)))
        } else {
          cases.append(
            testcase(
              classname: classname, name: name, time: 0,
              body: element("system-out", [:], text: "\(c.decision.rawValue): \(detail)")))
        }
      }
      for (n, s) in c.replay.steps.enumerated() {
        let name = "replay \(n + 1) \(s.kind.rawValue): \(s.command)"
        var detail = "command: \(s.command)\norigin: \(s.origin)"
        if let e = s.exitStatus { detail += "\nexit status: \(e)" }
        if let sig = s.signal { detail += "\nsignal: \(sig)" }
        if let l = s.limitHit { detail += "\nlimit hit: \(l.rawValue)" }
        detail += "\noutput (\(s.outputBytes) bytes, last part):\n\(s.outputTail)"
        let body: String
        if !s.succeeded && failing {
          failures += 1
          let why =
            s.limitHit.map { "limit \($0.rawValue) hit" } ?? s.signal.map { "killed by signal \($0)" }
            ?? "exit status \(s.exitStatus.map(String.init) ?? "unknown")"
          body = element("failure", ["message": "\(s.kind.rawValue) failed: \(why)", "type": "replay"], text: detail)
        } else {
          body = element("system-out", [:], text: detail)
        }
        cases.append(testcase(classname: classname, name: name, time: s.durationSeconds, body: body))
      }
      let reasons = c.reasons.joined(separator: "\n")
      let decisionBody: String
      switch c.decision {
      case .fail:
        failures += 1
        decisionBody = element(
          "failure", ["message": c.reasons.first ?? "blocked by policy", "type": "decision"], text: reasons)
      case .error:
        errors += 1
        decisionBody = element(
          "error", ["message": c.reasons.first ?? c.replay.reason ?? "could not be judged", "type": "decision"],
          text: reasons + (c.replay.reason.map { "\nreplay: \($0)" } ?? ""))
      case .warn, .pass:
        decisionBody = element("system-out", [:], text: "\(c.decision.rawValue)\n\(reasons)")
      }
      cases.append(testcase(classname: classname, name: "decision", time: 0, body: decisionBody))
      let time = c.replay.steps.reduce(0) { $0 + $1.durationSeconds }
      totals.tests += cases.count
      totals.failures += failures
      totals.errors += errors
      totals.time += time
      let attrs: [(String, String)] = [
        ("name", "commit \(c.commit.shortID): \(c.commit.subject)"),
        ("tests", String(cases.count)), ("failures", String(failures)), ("errors", String(errors)),
        ("skipped", "0"), ("time", seconds(time)),
      ]
      var suite = "  <testsuite" + attributes(attrs) + ">\n"
      var props = "    <properties>\n"
      props += "      <property" + attributes([("name", "commit"), ("value", c.commit.id ?? "staged")]) + "/>\n"
      props += "      <property" + attributes([("name", "decision"), ("value", c.decision.rawValue)]) + "/>\n"
      props += "      <property" + attributes([("name", "agent"), ("value", c.attribution.agent ?? "none")]) + "/>\n"
      props += "    </properties>\n"
      suite += props
      suite += cases.joined()
      suite += "  </testsuite>\n"
      suites.append(suite)
    }
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out +=
      "<testsuites"
      + attributes([
        ("name", "agentgate \(verdict.decision.rawValue)"), ("tests", String(totals.tests)),
        ("failures", String(totals.failures)), ("errors", String(totals.errors)), ("time", seconds(totals.time)),
      ]) + ">\n"
    out += suites.joined()
    out += "</testsuites>\n"
    return out
  }

  static func testcase(classname: String, name: String, time: Double, body: String) -> String {
    "    <testcase" + attributes([("classname", classname), ("name", name), ("time", seconds(time))]) + ">\n"
      + "      " + body + "\n    </testcase>\n"
  }

  static func element(_ name: String, _ attrs: [String: String], text: String) -> String {
    let ordered = attrs.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    return "<\(name)" + attributes(ordered) + ">" + escape(text) + "</\(name)>"
  }

  static func attributes(_ attrs: [(String, String)]) -> String {
    attrs.map { " \($0.0)=\"\(escape($0.1, attribute: true))\"" }.joined()
  }

  static func seconds(_ t: Double) -> String { String(format: "%.3f", t) }

  /// XML 1.0 text: the five entities escaped; characters XML cannot carry (C0 controls other than
  /// tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) replaced by U+FFFD. In attributes, tab/LF/CR
  /// become character references so parsers keep them.
  static func escape(_ s: String, attribute: Bool = false) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      case "\t": out += attribute ? "&#9;" : "\t"
      case "\n": out += attribute ? "&#10;" : "\n"
      case "\r": out += "&#13;"
      default:
        let v = scalar.value
        if v < 0x20 || v == 0xFFFE || v == 0xFFFF {
          out += "\u{FFFD}"
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }
}
