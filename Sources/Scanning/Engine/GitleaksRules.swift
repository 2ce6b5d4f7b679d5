// Loading a gitleaks-format rules file as-is, so teams bring their custom rules:
//
//   [[rules]] id, description, regex, secretGroup, entropy, keywords, path,
//             [rules.allowlist] or [[rules.allowlists]]: regexes, regexTarget, stopwords, paths,
//             condition ("OR" | "AND")
//   [allowlist] / [[allowlists]] (global; `targetRules` limits one to some rules)
//
// Rules load with severity `high` and category `secret`. A rule without `secretGroup` whose regex
// has capture groups reports the first group that took part in the match (gitleaks' behaviour).
// `[extend]` (gitleaks' own default rules) has no meaning here: AgentGate's rules always run.
// Allowlist `commits` are not supported and are ignored, which can only add findings.

import GateCore
import TOML

public enum GitleaksRules {
  public static func load(toml text: String) throws(ScanError) -> [PatternRule] {
    let root: TOMLTable
    do {
      root = try TOML.parse(text)
    } catch {
      throw .invalidGitleaksConfig(line: error.line, reason: error.message)
    }
    // Global allowlists, each optionally for some rules only.
    var global: [(list: RuleAllowlist, targets: Set<String>?)] = []
    if case .table(let t)? = root["allowlist"] {
      global.append((try allowlist(t), nil))
    }
    if let value = root["allowlists"] {
      for t in try tables(value, key: "allowlists", line: root.line(of: "allowlists")) {
        let targets = try strings(t, "targetRules")
        global.append((try allowlist(t), targets.isEmpty ? nil : Set(targets)))
      }
    }
    guard let rulesValue = root["rules"] else {
      throw .invalidGitleaksConfig(line: nil, reason: "it has no [[rules]]")
    }
    var rules: [PatternRule] = []
    for t in try tables(rulesValue, key: "rules", line: root.line(of: "rules")) {
      guard case .string(let id)? = t["id"] else {
        throw .invalidGitleaksConfig(line: t.line, reason: "a [[rules]] entry has no string 'id'")
      }
      guard isKebabCase(id) else {
        throw .invalidGitleaksConfig(
          line: t.line, reason: "rule id '\(id)' is not kebab-case (lower-case letters, digits, single dashes)")
      }
      let regex = try string(t, "regex") ?? ""
      let path = try string(t, "path")
      if regex.isEmpty && path == nil {
        throw .invalidGitleaksConfig(line: t.line, reason: "rule '\(id)' has neither 'regex' nor 'path'")
      }
      var secretGroup = -1
      if let v = t["secretGroup"] {
        guard case .integer(let g) = v, g >= 0 else {
          throw .invalidGitleaksConfig(
            line: t.line(of: "secretGroup"), reason: "rule '\(id)': secretGroup must be >= 0")
        }
        secretGroup = Int(g)
      }
      var entropy: Double?
      switch t["entropy"] {
      case nil: break
      case .float(let e)?: entropy = e
      case .integer(let e)?: entropy = Double(e)
      default:
        throw .invalidGitleaksConfig(line: t.line(of: "entropy"), reason: "rule '\(id)': entropy must be a number")
      }
      var lists: [RuleAllowlist] = []
      if case .table(let a)? = t["allowlist"] { lists.append(try allowlist(a)) }
      if let v = t["allowlists"] {
        for a in try tables(v, key: "rules.allowlists", line: t.line(of: "allowlists")) {
          lists.append(try allowlist(a))
        }
      }
      for g in global where g.targets == nil || g.targets!.contains(id) { lists.append(g.list) }
      let description = try string(t, "description") ?? id
      var rule = PatternRule(
        id: id, description: description, keywords: try strings(t, "keywords").map { $0.lowercased() },
        pattern: regex, secretGroup: secretGroup, entropy: entropy, paths: path.map { [$0] } ?? [],
        allowlist: lists.first ?? .none, positives: [], negatives: [])
      rule.extraAllowlists = Array(lists.dropFirst())
      rules.append(rule)
    }
    return rules
  }

  private static func allowlist(_ t: TOMLTable) throws(ScanError) -> RuleAllowlist {
    var target = RuleAllowlist.RegexTarget.secret
    if let raw = try string(t, "regexTarget") {
      guard let v = RuleAllowlist.RegexTarget(rawValue: raw) else {
        throw .invalidGitleaksConfig(
          line: t.line(of: "regexTarget"), reason: "regexTarget '\(raw)' is not secret, match or line")
      }
      target = v
    }
    var all = false
    if let c = try string(t, "condition") {
      switch c.uppercased() {
      case "AND": all = true
      case "OR": all = false
      default:
        throw .invalidGitleaksConfig(line: t.line(of: "condition"), reason: "condition '\(c)' is not OR or AND")
      }
    }
    return RuleAllowlist(
      regexes: try strings(t, "regexes"), stopwords: try strings(t, "stopwords"), paths: try strings(t, "paths"),
      regexTarget: target, requiresAll: all)
  }

  private static func tables(_ v: TOMLValue, key: String, line: Int?) throws(ScanError) -> [TOMLTable] {
    guard case .array(let items) = v else {
      throw .invalidGitleaksConfig(line: line, reason: "'\(key)' must be an array of tables ([[\(key)]])")
    }
    var out: [TOMLTable] = []
    for item in items {
      guard case .table(let t) = item else {
        throw .invalidGitleaksConfig(line: line, reason: "'\(key)' must be an array of tables ([[\(key)]])")
      }
      out.append(t)
    }
    return out
  }

  private static func string(_ t: TOMLTable, _ key: String) throws(ScanError) -> String? {
    switch t[key] {
    case nil: return nil
    case .string(let s)?: return s
    case let v?:
      throw .invalidGitleaksConfig(line: t.line(of: key), reason: "'\(key)' must be a string, found \(v.typeName)")
    }
  }

  private static func strings(_ t: TOMLTable, _ key: String) throws(ScanError) -> [String] {
    guard let v = t[key] else { return [] }
    guard case .array(let items) = v else {
      throw .invalidGitleaksConfig(
        line: t.line(of: key), reason: "'\(key)' must be an array of strings, found \(v.typeName)")
    }
    var out: [String] = []
    for item in items {
      guard case .string(let s) = item else {
        throw .invalidGitleaksConfig(line: t.line(of: key), reason: "'\(key)' must be an array of strings")
      }
      out.append(s)
    }
    return out
  }
}
