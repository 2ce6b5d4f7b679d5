// The decision: per commit, from attribution, findings and replay outcome, by the trusted policy.
// A range is `fail` if any commit fails, else `error` if any could not be judged, else `warn` if any
// warns, else `pass` (GateCore.Decision.combine).

import GateCore
import Policy

public struct Decider: Sendable {
  public let policy: RepositoryPolicy

  public init(policy: RepositoryPolicy) {
    self.policy = policy
  }

  /// True when the commit is judged by the agent column of the decision table (the policy's
  /// identities, minimum confidence and unattributed setting).
  public func judgedAsAgent(_ attribution: Attribution, authorEmail: String) -> Bool {
    policy.judgesAsAgent(attribution: attribution, authorEmail: authorEmail)
  }

  public func decide(
    attribution: Attribution, authorEmail: String, findings: [Finding], replay: ReplayOutcome
  ) -> (Decision, [String]) {
    let asAgent = judgedAsAgent(attribution, authorEmail: authorEmail)
    let who = asAgent ? "agent commit" : "human commit"
    var decisions: [Decision] = []
    var reasons: [String] = []

    for finding in findings {
      let action = policy.action(for: finding, agent: asAgent)
      guard action != .ignore else { continue }
      let d: Decision = action == .fail ? .fail : .warn
      decisions.append(d)
      let place = finding.line.map { "\(finding.path):\($0)" } ?? finding.path
      reasons.append(
        "\(d.rawValue): \(finding.category.rawValue) \(finding.rule) (\(finding.severity.rawValue)) at \(place)")
    }

    switch replay.status {
    case .failed:
      let action = policy.replayFailureAction(agent: asAgent)
      if action != .ignore {
        let d: Decision = action == .fail ? .fail : .warn
        decisions.append(d)
        let step = replay.steps.last { !$0.succeeded }
        let what =
          step.map { s in
            let how =
              s.limitHit.map { "hit the \($0.rawValue) limit" }
              ?? s.signal.map { "was killed by signal \($0)" } ?? "exited \(s.exitStatus ?? -1)"
            return "\(s.kind.rawValue) step '\(s.command)' \(how)"
          } ?? "a step failed"
        reasons.append("\(d.rawValue): replay failed in the sandbox: \(what)")
      }
    case .error:
      let d: Decision =
        switch policy.decision.sandboxMissing {
        case .error: .error
        case .fail: .fail
        case .warn: .warn
        }
      decisions.append(d)
      reasons.append("\(d.rawValue): replay could not run: \(replay.reason ?? "sandbox error")")
    case .pending:
      reasons.append("replay pending: the final verdict follows when it has run")
    case .passed, .skipped:
      break
    }

    let decision = Decision.combine(decisions)
    if decision == .pass {
      reasons.append("pass: \(who), nothing the policy blocks or warns on")
    }
    return (decision, reasons)
  }
}
