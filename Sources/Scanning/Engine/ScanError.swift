// Errors of the Scanning module; every user-facing sentence lives here.

public enum ScanError: Error, CustomStringConvertible, Sendable, Equatable {
  case invalidRuleID(String)
  case duplicateRuleID(String)
  /// A pattern (`field`: pattern, path, allowlist regex, allowlist path) failed to compile.
  case invalidPattern(rule: String, field: String, pattern: String, message: String, offset: Int?)
  case missingGroup(rule: String, group: Int, available: Int)
  case emptyRule(rule: String)
  case invalidEntropy(rule: String, value: Double)
  case pathNotFound(String)
  case unreadable(path: String, reason: String)
  case invalidBaseline(reason: String)
  case invalidGitleaksConfig(line: Int?, reason: String)

  public var description: String {
    switch self {
    case .invalidRuleID(let id):
      return "rule id '\(id)' is not kebab-case (lower-case letters, digits and single dashes); rename the rule"
    case .duplicateRuleID(let id):
      return "rule id '\(id)' is defined more than once; give each rule a unique id or disable one"
    case .invalidPattern(let rule, let field, let pattern, let message, let offset):
      let at = offset.map { " at offset \($0)" } ?? ""
      return "rule '\(rule)': its \(field) /\(pattern)/ does not compile\(at): \(message); fix the pattern"
    case .missingGroup(let rule, let group, let available):
      return
        "rule '\(rule)': secret group \(group) does not exist (the pattern has \(available) capture groups); fix secretGroup"
    case .emptyRule(let rule):
      return "rule '\(rule)' has neither a pattern nor path filters, so it can never match; add a pattern"
    case .invalidEntropy(let rule, let value):
      return "rule '\(rule)': minimum entropy \(value) is outside 0...8 bits per character; fix the entropy"
    case .pathNotFound(let path):
      return "cannot scan '\(path)': no such file or directory; check the --path argument"
    case .unreadable(let path, let reason):
      return "cannot read '\(path)': \(reason); check its permissions"
    case .invalidBaseline(let reason):
      return "the baseline is not valid: \(reason); recreate it with 'agentgate baseline create'"
    case .invalidGitleaksConfig(let line, let reason):
      let at = line.map { " (line \($0))" } ?? ""
      return "the gitleaks rules file is not valid\(at): \(reason); fix the file or remove it from --rules"
    }
  }
}
