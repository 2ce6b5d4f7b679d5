// Builders for the secret rule set: most provider rules are either a token with a fixed prefix
// (`ghp_` + 36 alphanumerics) or a value of a known shape assigned to a name that mentions the
// provider (`HEROKU_API_KEY = <uuid>`). The builders write the PCRE2 pattern and the random-token
// shape from one description, so the pattern and the shape cannot drift apart. Every rule still
// carries positive and negative examples written by hand in its family file.

import GateCore

/// A set of token characters: the body of a PCRE2 character class and the same characters spelled
/// out for drawing random tokens.
struct Charset: Sendable {
  var regexClass: String
  var chars: String

  static let alnum = Charset(regexClass: "A-Za-z0-9", chars: TokenShape.alnum)
  static let upperAlnum = Charset(regexClass: "A-Z0-9", chars: TokenShape.upper + TokenShape.digits)
  static let lowerAlnum = Charset(regexClass: "a-z0-9", chars: TokenShape.lower + TokenShape.digits)
  static let hex = Charset(regexClass: "0-9a-f", chars: TokenShape.hexLower)
  static let upperHex = Charset(regexClass: "0-9A-F", chars: "0123456789ABCDEF")
  static let anyHex = Charset(regexClass: "0-9a-fA-F", chars: TokenShape.hexLower)
  static let digits = Charset(regexClass: "0-9", chars: TokenShape.digits)
  static let letters = Charset(regexClass: "A-Za-z", chars: TokenShape.upper + TokenShape.lower)
  static let lower = Charset(regexClass: "a-z", chars: TokenShape.lower)
  static let upper = Charset(regexClass: "A-Z", chars: TokenShape.upper)
  static let base32 = Charset(regexClass: "A-Z2-7", chars: TokenShape.upper + "234567")
  static let base64url = Charset(regexClass: "A-Za-z0-9_-", chars: TokenShape.base64url)
  static let base64 = Charset(regexClass: "A-Za-z0-9+/", chars: TokenShape.base64)
}

/// One piece of a token: literal text or a run of characters from a charset.
enum Seg: Sendable {
  case lit(String)
  /// A run of `min...max` characters; random tokens use `min` (or `draw` when given).
  case run(Charset, Int, Int)

  static func run(_ set: Charset, _ count: Int) -> Seg { .run(set, count, count) }

  static let uuid: [Seg] = [
    .run(.hex, 8), .lit("-"), .run(.hex, 4), .lit("-"), .run(.hex, 4), .lit("-"), .run(.hex, 4), .lit("-"),
    .run(.hex, 12),
  ]

  var regex: String {
    switch self {
    case .lit(let text): return escapeRegex(text)
    case .run(let set, let low, let high):
      return low == high ? "[\(set.regexClass)]{\(low)}" : "[\(set.regexClass)]{\(low),\(high)}"
    }
  }

  var shapePart: TokenShape.Part {
    switch self {
    case .lit(let text): return .literal(text)
    case .run(let set, let low, let high): return .random(alphabet: set.chars, count: (low + high) / 2)
    }
  }
}

/// Escapes PCRE2 metacharacters in literal text.
func escapeRegex(_ text: String) -> String {
  var out = ""
  for character in text {
    if "\\^$.|?*+()[]{}/".contains(character) { out.append("\\") }
    out.append(character)
  }
  return out
}

private func isWordCharacter(_ character: Character?) -> Bool {
  guard let character else { return false }
  return character.isASCII && (character.isLetter || character.isNumber || character == "_")
}

/// The regex for a run of segments, with a guard so the token is not the middle of a longer run.
func tokenRegex(_ segs: [Seg]) -> String {
  var body = segs.map(\.regex).joined()
  switch segs.last {
  case .run(let set, _, _)?: body += "(?![\(set.regexClass)])"
  case .lit(let text)?: if isWordCharacter(text.last) { body += "\\b" }
  case nil: break
  }
  return body
}

/// Separator between a name and its value: `=`, `:`, `:=`, `=>`, with optional quotes and blanks.
let assignment = #"['"]?[ \t]{0,3}(?::=|=>|=|:)[ \t]{0,3}['"`]?"#

/// Placeholder values never worth a finding.
let placeholderStopwords = ["example", "xxxxxxxx", "changeme", "placeholder", "dummy", "sample"]

extension PatternRule {
  /// A token recognised by a literal prefix followed by runs of known characters.
  static func prefixed(
    _ id: String, _ description: String, _ severity: Severity = .high, _ segs: [Seg],
    keywords: [String]? = nil, entropy: Double? = 2.5, context: String = "token = \"{}\"",
    allowlist: RuleAllowlist = RuleAllowlist(stopwords: placeholderStopwords), positives: [RuleExample],
    negatives: [RuleExample]
  ) -> PatternRule {
    var prefix = ""
    var lead = ""
    switch segs.first {
    case .lit(let text)?:
      prefix = text
      if isWordCharacter(text.first) { lead = "\\b" }
    case .run(let set, _, _)?: lead = "(?<![\(set.regexClass)])"
    case nil: break
    }
    return PatternRule(
      id: id, description: description, severity: severity,
      keywords: keywords ?? [prefix.lowercased()], pattern: lead + tokenRegex(segs), entropy: entropy,
      allowlist: allowlist, positives: positives, negatives: negatives,
      shapes: [TokenShape(segs.map(\.shapePart), context: context)])
  }

  /// A value of a known shape assigned to a name that mentions the provider (`words`) and, unless
  /// `qualifier` is empty, a word saying it is a credential.
  static func keyed(
    _ id: String, _ description: String, _ severity: Severity = .high, words: [String], _ value: [Seg],
    qualifier: String = "key|token|secret|pass|pwd|auth|cred", keywords: [String]? = nil,
    entropy: Double? = 2.5, context: String, positives: [RuleExample], negatives: [RuleExample]
  ) -> PatternRule {
    let name = "(?:" + words.map(escapeRegex).joined(separator: "|") + ")"
    let middle = qualifier.isEmpty ? "[\\w.-]{0,25}?" : "[\\w.-]{0,25}?(?:\(qualifier))[\\w.-]{0,20}?"
    let pattern = "(?i)" + name + middle + assignment + "(?-i:(" + tokenRegex(value) + "))"
    return PatternRule(
      id: id, description: description, severity: severity,
      keywords: keywords ?? words.map { $0.lowercased() }, pattern: pattern, secretGroup: 1, entropy: entropy,
      allowlist: RuleAllowlist(stopwords: placeholderStopwords), positives: positives, negatives: negatives,
      shapes: [TokenShape(value.map(\.shapePart), context: context)])
  }
}
