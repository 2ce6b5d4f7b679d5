// Rule metadata shared by the three rule families, for `agentgate rules` and the README table.

public enum RuleFamily: String, Sendable, Hashable, Codable, CaseIterable {
  case agent, secret, risk
}

public struct RuleMetadata: Sendable, Hashable, Codable {
  /// Stable kebab-case id.
  public var id: String
  public var family: RuleFamily
  public var description: String
  /// Default severity (secret and risk rules); nil for agent rules.
  public var severity: Severity?
  /// Texts the rule must match.
  public var positives: [String]
  /// Texts the rule must not match.
  public var negatives: [String]

  public init(
    id: String, family: RuleFamily, description: String, severity: Severity? = nil,
    positives: [String] = [], negatives: [String] = []
  ) {
    self.id = id
    self.family = family
    self.description = description
    self.severity = severity
    self.positives = positives
    self.negatives = negatives
  }
}

/// True when `id` is stable kebab-case: lowercase letters, digits, single dashes.
public func isKebabCase(_ id: String) -> Bool {
  guard let first = id.unicodeScalars.first, first.properties.isLowercase || ("a"..."z").contains(first)
  else { return false }
  var previousDash = false
  for s in id.unicodeScalars {
    switch s {
    case "a"..."z", "0"..."9": previousDash = false
    case "-":
      if previousDash { return false }
      previousDash = true
    default: return false
    }
  }
  return !previousDash
}
