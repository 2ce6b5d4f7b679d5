// Scanning: the rule engine (keyword prefilter, PCRE2 with JIT, entropy, allowlists, decoding,
// suppressions, baselines, redaction) and the secret and risk rule sets it runs.
//
// A rule is data (DESIGN.md principle 5): `PatternRule` below. Rule sets live under
// `Rules/Secrets/` and `Rules/Risk/`, each file a provider or concern, and are listed in sorted
// registries that one parameterized test runs with every example.

import GateCore

/// One example a rule must (positive) or must not (negative) match, optionally at a path.
public struct RuleExample: Sendable, Hashable, ExpressibleByStringLiteral {
  public var text: String
  /// Path the example is scanned at (path-filtered rules); nil means a neutral source file.
  public var path: String?

  public init(_ text: String, path: String? = nil) {
    self.text = text
    self.path = path
  }

  public init(stringLiteral value: String) { self.init(value) }
}

/// The shape of a token, for drawing random positives at test time: literal parts and runs of
/// characters from an alphabet, placed into a context line at `{}`.
public struct TokenShape: Sendable, Hashable {
  public enum Part: Sendable, Hashable {
    case literal(String)
    case random(alphabet: String, count: Int)
  }

  public var parts: [Part]
  /// A line around the token, with `{}` where it goes (e.g. `export TOKEN={}`).
  public var context: String
  /// Path the generated line is scanned at.
  public var path: String?

  public init(_ parts: [Part], context: String = "token = \"{}\"", path: String? = nil) {
    self.parts = parts
    self.context = context
    self.path = path
  }

  public static let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
  public static let lower = "abcdefghijklmnopqrstuvwxyz"
  public static let digits = "0123456789"
  public static let alnum = upper + lower + digits
  public static let hexLower = "0123456789abcdef"
  public static let base64url = alnum + "-_"
  public static let base64 = alnum + "+/"
}

/// Which side of a change a line rule reads.
public enum LineSide: String, Sendable, Hashable {
  case added, removed
}

/// Exceptions a rule carries: matches that are not findings.
public struct RuleAllowlist: Sendable, Hashable {
  /// PCRE2 patterns tested against the secret (or whole match); a hit drops the finding.
  public var regexes: [String]
  /// Words that, appearing in the secret (case-insensitive), drop the finding.
  public var stopwords: [String]
  /// PCRE2 patterns tested against the file path; a hit drops the finding.
  public var paths: [String]

  /// What `regexes` are tested against.
  public var regexTarget: RegexTarget
  /// When true, every non-empty criterion must hit to drop a finding (gitleaks `condition = "AND"`);
  /// by default any one does.
  public var requiresAll: Bool

  public enum RegexTarget: String, Sendable, Hashable {
    case secret, match, line
  }

  public init(
    regexes: [String] = [], stopwords: [String] = [], paths: [String] = [], regexTarget: RegexTarget = .secret,
    requiresAll: Bool = false
  ) {
    self.regexes = regexes
    self.stopwords = stopwords
    self.paths = paths
    self.regexTarget = regexTarget
    self.requiresAll = requiresAll
  }

  public var isEmpty: Bool { regexes.isEmpty && stopwords.isEmpty && paths.isEmpty }

  public static let none = RuleAllowlist()
}

/// A line rule: a PCRE2 pattern over added (or removed) lines, with its metadata and examples.
public struct PatternRule: Sendable, Hashable {
  /// Stable kebab-case id.
  public var id: String
  public var category: FindingCategory
  public var description: String
  public var severity: Severity
  /// Case-insensitive keywords; the regex runs only when one occurs in the text. Empty: always runs.
  public var keywords: [String]
  /// PCRE2 pattern (UTF mode). Empty for a path-only rule (`paths` non-empty): it reports the file.
  public var pattern: String
  /// Capture group holding the secret (0: the whole match; -1: the first group that took part in
  /// the match, else the whole match, as gitleaks does when `secretGroup` is not set).
  public var secretGroup: Int
  /// Minimum Shannon entropy (bits per character) of the secret; nil: no check.
  public var entropy: Double?
  /// PCRE2 patterns over the path: when non-empty the rule runs only on matching paths.
  public var paths: [String]
  public var allowlist: RuleAllowlist
  /// Further allowlists, each checked on its own (gitleaks `[[rules.allowlists]]`).
  public var extraAllowlists: [RuleAllowlist] = []
  public var side: LineSide
  /// What a reviewer should look at; defaults to the description.
  public var message: String
  public var positives: [RuleExample]
  public var negatives: [RuleExample]
  /// Token shapes for randomly drawn positives.
  public var shapes: [TokenShape]

  public init(
    id: String, category: FindingCategory = .secret, description: String, severity: Severity = .high,
    keywords: [String], pattern: String, secretGroup: Int = 0, entropy: Double? = nil,
    paths: [String] = [], allowlist: RuleAllowlist = .none, side: LineSide = .added,
    message: String? = nil, positives: [RuleExample], negatives: [RuleExample],
    shapes: [TokenShape] = []
  ) {
    self.id = id
    self.category = category
    self.description = description
    self.severity = severity
    self.keywords = keywords
    self.pattern = pattern
    self.secretGroup = secretGroup
    self.entropy = entropy
    self.paths = paths
    self.allowlist = allowlist
    self.side = side
    self.message = message ?? description
    self.positives = positives
    self.negatives = negatives
    self.shapes = shapes
  }

  public var metadata: RuleMetadata {
    RuleMetadata(
      id: id, family: category == .risk ? .risk : .secret, description: description, severity: severity,
      positives: positives.map(\.text), negatives: negatives.map(\.text))
  }
}

/// An example for a change rule: a synthetic commit change that must (or must not) trigger it.
public struct ChangeExample: Sendable {
  public var name: String
  public var change: CommitChange
  public init(_ name: String, _ change: CommitChange) {
    self.name = name
    self.change = change
  }
}

/// A change rule: a predicate over a commit's file events (added, deleted, renamed, mode changes,
/// symlink targets, binary content, sizes, which files changed together).
public protocol ChangeRule: Sendable {
  var id: String { get }
  var description: String { get }
  var severity: Severity { get }
  var positives: [ChangeExample] { get }
  var negatives: [ChangeExample] { get }
  /// Findings for one commit's change (category `.risk`, `commit` set from the record).
  func evaluate(_ change: CommitChange) -> [Finding]
}

extension ChangeRule {
  public var metadata: RuleMetadata {
    RuleMetadata(
      id: id, family: .risk, description: description, severity: severity,
      positives: positives.map(\.name), negatives: negatives.map(\.name))
  }
}
