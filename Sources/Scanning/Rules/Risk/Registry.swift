// The risk rule set: every line rule and change rule, each list sorted by id (a test checks it).

import GateCore

/// Rules for changes that weaken a project's defences or hide intent (category `risk`).
public enum RiskRules {
  /// Pattern rules over added lines, sorted by id.
  public static var lineRules: [PatternRule] {
    (ciLineRules + guardLineRules + testLineRules + supplyChainLineRules + securityLineRules
      + persistenceLineRules + hiddenContentLineRules + hygieneLineRules).sorted { $0.id < $1.id }
  }

  /// Rules over a commit's file events, sorted by id.
  public static var changeRules: [any ChangeRule] {
    (ciChangeRules + guardChangeRules + testChangeRules + supplyChainChangeRules + hygieneChangeRules).sorted {
      $0.id < $1.id
    }
  }
}
