// Errors of the pipeline: each says what happened and what to do. All mean "could not decide" (exit 2).

public enum GateError: Error, CustomStringConvertible, Sendable {
  case unreadable(path: String, what: String, reason: String)
  case badRules(path: String, reason: String)
  case badBaseline(path: String, reason: String)
  case deadline(seconds: Double, judged: Int, total: Int)
  case noRange(String)
  case invalid(String)

  public var description: String {
    switch self {
    case .unreadable(let path, let what, let reason): "cannot read the \(what) \(path): \(reason)"
    case .badRules(let path, let reason): "the rules file \(path) is invalid: \(reason)"
    case .badBaseline(let path, let reason):
      "the baseline \(path) is invalid: \(reason); recreate it with 'agentgate baseline create'"
    case .deadline(let seconds, let judged, let total):
      "the deadline of \(Int(seconds)) s passed after \(judged) of \(total) commits; nothing was passed unjudged"
    case .noRange(let why): "no commit range: \(why)"
    case .invalid(let why): why
    }
  }
}
