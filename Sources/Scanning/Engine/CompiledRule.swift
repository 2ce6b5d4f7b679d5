// A rule as the engine runs it: its patterns compiled (validated) at load, JIT-compiled lazily the
// first time a block triggers it, with a counter of regex runs for tests and statistics.

import GateCore
import Synchronization

/// An allowlist with its patterns compiled.
struct CompiledAllowlist: Sendable {
  let regexes: [PCRE2Regex]
  let stopwords: [String]
  let paths: [PCRE2Regex]
  let target: RuleAllowlist.RegexTarget
  let requiresAll: Bool

  init(_ list: RuleAllowlist, rule: String) throws(ScanError) {
    regexes = try list.regexes.map { (p) throws(ScanError) in try compile(p, rule: rule, field: "allowlist regex") }
    paths = try list.paths.map { (p) throws(ScanError) in try compile(p, rule: rule, field: "allowlist path") }
    stopwords = list.stopwords.map { $0.lowercased() }.filter { !$0.isEmpty }
    target = list.regexTarget
    requiresAll = list.requiresAll
  }

  var isEmpty: Bool { regexes.isEmpty && stopwords.isEmpty && paths.isEmpty }

  /// True when the allowlist drops this finding. `secret` nil: a file-level finding, only paths
  /// apply. A pattern that fails on the input does not allow (the finding stays).
  func allows(secret: String?, match: String?, line: String?, path: String, scratch: PCRE2Scratch) -> Bool {
    var results: [Bool] = []
    if !regexes.isEmpty {
      let text: String?
      switch target {
      case .secret: text = secret
      case .match: text = match ?? secret
      case .line: text = line ?? match ?? secret
      }
      if let text {
        results.append(regexes.contains { (try? $0.matches(text, scratch: scratch)) ?? false })
      } else {
        results.append(false)
      }
    }
    if !stopwords.isEmpty {
      if let secret {
        let lower = secret.lowercased()
        results.append(stopwords.contains { lower.contains($0) })
      } else {
        results.append(false)
      }
    }
    if !paths.isEmpty {
      results.append(paths.contains { (try? $0.matches(path, scratch: scratch)) ?? false })
    }
    if results.isEmpty { return false }
    return requiresAll ? results.allSatisfy { $0 } : results.contains(true)
  }
}

func compile(_ pattern: String, rule: String, field: String) throws(ScanError) -> PCRE2Regex {
  do {
    return try PCRE2Regex(pattern)
  } catch {
    throw .invalidPattern(rule: rule, field: field, pattern: pattern, message: error.message, offset: error.offset)
  }
}

final class CompiledRule: Sendable {
  let rule: PatternRule
  let severity: Severity
  private let regex: PCRE2Regex?
  let pathFilters: [PCRE2Regex]
  let allowlists: [CompiledAllowlist]
  private let jitDone = Mutex<Bool>(false)
  let regexRuns = Atomic<Int>(0)
  /// The pattern can match across a line break (`\n`, `\r`, `\R`, `[\s\S]`, `(?s)`), so it runs
  /// past the end of its keyword's line.
  let spansLines: Bool

  init(_ rule: PatternRule, severity: Severity) throws(ScanError) {
    guard isKebabCase(rule.id) else { throw .invalidRuleID(rule.id) }
    self.rule = rule
    self.severity = severity
    if let e = rule.entropy, !(0...8).contains(e) { throw .invalidEntropy(rule: rule.id, value: e) }
    if rule.pattern.isEmpty {
      guard !rule.paths.isEmpty else { throw .emptyRule(rule: rule.id) }
      regex = nil
    } else {
      let r = try compile(rule.pattern, rule: rule.id, field: "pattern")
      if rule.secretGroup > r.captureCount || rule.secretGroup < -1 {
        throw .missingGroup(rule: rule.id, group: rule.secretGroup, available: r.captureCount)
      }
      regex = r
    }
    spansLines = patternSpansLines(rule.pattern)
    pathFilters = try rule.paths.map { (p) throws(ScanError) in try compile(p, rule: rule.id, field: "path filter") }
    var lists: [CompiledAllowlist] = []
    for list in [rule.allowlist] + rule.extraAllowlists where !list.isEmpty {
      lists.append(try CompiledAllowlist(list, rule: rule.id))
    }
    allowlists = lists
  }

  var isPathOnly: Bool { regex == nil }
  var captureCount: Int { regex?.captureCount ?? 0 }

  /// The pattern, JIT-compiled on first call (thread-safe).
  func readyRegex() -> PCRE2Regex? {
    guard let regex else { return nil }
    jitDone.withLock { done in
      if !done {
        regex.jitCompile()
        done = true
      }
    }
    return regex
  }

  var isJITCompiled: Bool { jitDone.withLock { $0 } }

  /// True when the rule's path filters admit `path` (no filters: every path).
  func applies(to path: String, scratch: PCRE2Scratch) -> Bool {
    if pathFilters.isEmpty { return true }
    // A filter that fails on the path admits it: better a finding to review than a silent skip.
    return pathFilters.contains { (try? $0.matches(path, scratch: scratch)) ?? true }
  }

  func allows(secret: String, match: String, line: String, path: String, scratch: PCRE2Scratch) -> Bool {
    allowlists.contains { $0.allows(secret: secret, match: match, line: line, path: path, scratch: scratch) }
  }
}

/// True when `pattern` can match a line break: `\n`, `\r` or `\R` outside a negated class, a
/// positive class holding `\s`, `\n` or `\r`, or the `s` (dot-all) option. A `\s` outside a class
/// or a negated class such as `[^"]` is not counted: the engine runs such rules over the lines of
/// their keywords, where a match never crosses a line break.
func patternSpansLines(_ pattern: String) -> Bool {
  let b = Array(pattern.utf8)
  var i = 0
  var inClass = false
  var negated = false
  var classStart = 0
  while i < b.count {
    let c = b[i]
    if c == UInt8(ascii: "\\"), i + 1 < b.count {
      let e = b[i + 1]
      if inClass {
        if !negated && (e == UInt8(ascii: "n") || e == UInt8(ascii: "r") || e == UInt8(ascii: "s")) { return true }
      } else if e == UInt8(ascii: "n") || e == UInt8(ascii: "r") || e == UInt8(ascii: "R") {
        return true
      }
      i += 2
      continue
    }
    if inClass {
      // A `]` right after `[` or `[^` is a literal.
      if c == UInt8(ascii: "]") && i > classStart { inClass = false }
    } else if c == UInt8(ascii: "[") {
      inClass = true
      negated = i + 1 < b.count && b[i + 1] == UInt8(ascii: "^")
      classStart = i + (negated ? 2 : 1)
      i = classStart
      continue
    } else if c == UInt8(ascii: "("), i + 1 < b.count, b[i + 1] == UInt8(ascii: "?") {
      // Inline options: `(?s)`, `(?is:` ... (letters before any `-`, `)` or `:`).
      var j = i + 2
      while j < b.count,
        (b[j] >= UInt8(ascii: "a") && b[j] <= UInt8(ascii: "z"))
          || (b[j] >= UInt8(ascii: "A") && b[j] <= UInt8(ascii: "Z"))
      {
        if b[j] == UInt8(ascii: "s") { return true }
        j += 1
      }
    }
    i += 1
  }
  return false
}
