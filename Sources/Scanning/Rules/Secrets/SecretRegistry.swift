// The secret rule registry: every provider family's rules in one list sorted by id. Adding a rule
// is one entry in its family file; a test checks ids are unique, kebab-case and sorted here.

import GateCore

public enum SecretRules {
  /// Every built-in secret rule, sorted by id.
  public static var all: [PatternRule] { registry }

  private static let registry: [PatternRule] =
    (cloudRules + sourceHostRules + aiRules + paymentRules
    + messagingRules + infrastructureRules + saasProductivityRules + saasPlatformRules + packageRegistryRules
    + databaseRules + keyRules + genericRules).sorted { $0.id < $1.id }
}
