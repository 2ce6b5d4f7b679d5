// Agent rules as data (DESIGN.md principle 5): one `AgentRule` per agent family, each listing the
// markers that point to it and the examples one parameterized test runs.
//
// Every matcher is matched case-insensitively against structured places only (identities, real
// trailer lines, footer lines, the subject, environment variable names, executable names), never
// against prose: a name alone never counts.

import GateCore

/// An author, committer or co-author identity that belongs to an agent.
public struct IdentityMatcher: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// The whole email address (case-insensitive), e.g. `cursoragent@cursor.com`.
    case email(String)
    /// A GitHub noreply address `<id>+<login>@users.noreply.github.com`, matched on the numeric id
    /// (logins get renamed); with `login`, the login must match too (ids shared by several bots).
    case githubID(Int, login: String? = nil)
    /// The display name ends with this text, e.g. ` (aider)`.
    case nameSuffix(String)
  }

  public var kind: Kind
  public var confidence: Confidence
  /// Confidence when the identity is only the committer (nil: same as `confidence`).
  public var committerConfidence: Confidence?

  public init(_ kind: Kind, _ confidence: Confidence, committer: Confidence? = nil) {
    self.kind = kind
    self.confidence = confidence
    self.committerConfidence = committer
  }

  public static func email(_ address: String, _ confidence: Confidence = .high) -> IdentityMatcher {
    IdentityMatcher(.email(address), confidence)
  }

  public static func github(_ id: Int, login: String? = nil, _ confidence: Confidence = .high) -> IdentityMatcher {
    IdentityMatcher(.githubID(id, login: login), confidence)
  }
}

/// How a trailer's (or variable's) value must look.
public enum ValueMatch: Sendable, Hashable {
  case any
  /// One of these values, compared trimmed and case-insensitively.
  case oneOf([String])
  /// Starts with this text (case-insensitive).
  case prefix(String)
}

/// A vendor trailer recognised by its key, e.g. `Amp-Thread-ID:` or `Replit-Commit-Author: Agent`.
public struct TrailerMatcher: Sendable, Hashable {
  /// Trailer key, case-insensitive.
  public var key: String
  public var value: ValueMatch
  public var confidence: Confidence

  public init(_ key: String, _ value: ValueMatch = .any, _ confidence: Confidence = .high) {
    self.key = key
    self.value = value
    self.confidence = confidence
  }
}

/// A line an agent appends to the message, e.g. `🤖 Generated with [Claude Code](…)`. Matched at the
/// start of a line (after leading emoji and spaces), case-insensitively; the line may run on.
public struct FooterMatcher: Sendable, Hashable {
  public var prefix: String
  public var confidence: Confidence

  public init(_ prefix: String, _ confidence: Confidence = .high) {
    self.prefix = prefix
    self.confidence = confidence
  }
}

/// A subject prefix such as `aider: `, or a branch prefix seen in merge subjects
/// (`Merge pull request #6 from org/codex/slug`, `Merge branch 'codex/slug'`).
public struct SubjectMatcher: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// The subject starts with this text (case-insensitive, anchored at the first character).
    case prefix(String)
    /// The merged branch starts with this text.
    case mergedBranch(String)
  }

  public var kind: Kind
  public var confidence: Confidence

  public init(_ kind: Kind, _ confidence: Confidence) {
    self.kind = kind
    self.confidence = confidence
  }
}

/// An environment variable an agent sets for the commands it runs. Evidence names the variable,
/// never its value.
public struct EnvMatcher: Sendable, Hashable {
  public enum Match: Sendable, Hashable {
    /// Set to anything but empty, `0`, `false`, `no` or `off`.
    case truthy
    /// Set to a non-empty value.
    case nonEmpty
    /// The value (trimmed, case-insensitive) is one of these.
    case oneOf([String])
    /// The value contains this text (case-insensitive).
    case contains(String)
    /// The value ends with this text (case-insensitive).
    case suffix(String)
    /// Any variable whose name starts with `name` (e.g. `CODEX_SANDBOX*`), non-empty.
    case namePrefix
    /// The value names an agent (`AI_AGENT=crush`, `AGENT=goose`; `@version` ignored): a known name
    /// maps to that agent at the matcher's confidence; `1`/`true`/`yes` to `unknown-agent` at
    /// `generic`; any other value to `unknown-agent` at `other` (nil: ignored).
    case namesAgent(generic: Confidence, other: Confidence?)
  }

  public var name: String
  public var match: Match
  public var confidence: Confidence

  public init(_ name: String, _ match: Match = .truthy, _ confidence: Confidence = .high) {
    self.name = name
    self.match = match
    self.confidence = confidence
  }
}

/// An executable in the parent process chain (`claude`, `cursor-agent`, `aider`).
public struct ProcessMatcher: Sendable, Hashable {
  /// Executable name, compared case-insensitively and exactly (`codex`, not `codex-helper`).
  public var name: String
  public var confidence: Confidence

  public init(_ name: String, _ confidence: Confidence = .high) {
    self.name = name
    self.confidence = confidence
  }
}

/// One example for a rule: a commit (message and identities), a message being written, or the
/// environment and process chain of a hook about to run.
public struct AgentExample: Sendable, Hashable, CustomStringConvertible {
  public enum Input: Sendable, Hashable {
    /// A finished commit; identities as `Name <email>`; `note` is a `refs/notes/ai` note.
    case commit(message: String, author: String, committer: String?, note: String?)
    /// A message being written (commit-msg), with no identity.
    case message(String)
    /// A hook before the commit exists.
    case environment([String: String], processChain: [String], author: String?)
  }

  public var input: Input
  /// Positives: the least confidence the rule's agent must reach. Unused for negatives.
  public var confidence: Confidence
  /// Negatives only: a near-miss that must be attributed to no agent at all.
  public var nobody: Bool

  public init(_ input: Input, confidence: Confidence = .medium, nobody: Bool = false) {
    self.input = input
    self.confidence = confidence
    self.nobody = nobody
  }

  /// The default human identity of examples.
  public static let human = "Alex Doe <alex.doe@example.org>"

  public static func commit(
    _ message: String, author: String = human, committer: String? = nil, note: String? = nil,
    _ confidence: Confidence = .medium
  ) -> AgentExample {
    AgentExample(.commit(message: message, author: author, committer: committer, note: note), confidence: confidence)
  }

  /// A near-miss commit: no agent may be found.
  public static func nearMiss(_ message: String, author: String = human, committer: String? = nil) -> AgentExample {
    AgentExample(.commit(message: message, author: author, committer: committer, note: nil), nobody: true)
  }

  public static func message(_ message: String, _ confidence: Confidence = .medium) -> AgentExample {
    AgentExample(.message(message), confidence: confidence)
  }

  /// A near-miss message being written: no agent may be found.
  public static func quietMessage(_ message: String) -> AgentExample {
    AgentExample(.message(message), nobody: true)
  }

  public static func env(
    _ environment: [String: String], process: [String] = [], author: String? = nil, _ confidence: Confidence = .medium
  ) -> AgentExample {
    AgentExample(.environment(environment, processChain: process, author: author), confidence: confidence)
  }

  public static func process(_ chain: [String], _ confidence: Confidence = .medium) -> AgentExample {
    AgentExample(.environment([:], processChain: chain, author: nil), confidence: confidence)
  }

  /// A near-miss hook environment: no agent may be found at the default minimum confidence.
  public static func quietEnv(_ environment: [String: String], process: [String] = []) -> AgentExample {
    AgentExample(.environment(environment, processChain: process, author: nil), nobody: true)
  }

  /// Text for `agentgate rules` and test names.
  public var description: String {
    switch input {
    case .commit(let message, let author, let committer, let note):
      var s = "author: \(author)"
      if let committer { s += "\ncommitter: \(committer)" }
      s += "\n\n" + message
      if note != nil { s += "\n[with refs/notes/ai note]" }
      return s
    case .message(let message):
      return "message file:\n" + message
    case .environment(let env, let chain, let author):
      var parts: [String] = []
      if !env.isEmpty { parts.append("env: " + env.keys.sorted().map { "\($0)=\(env[$0]!)" }.joined(separator: " ")) }
      if !chain.isEmpty { parts.append("processes: " + chain.joined(separator: " < ")) }
      if let author { parts.append("author: \(author)") }
      return parts.joined(separator: "\n")
    }
  }
}

/// One agent family: its canonical id and every marker that points to it.
public struct AgentRule: Sendable, Hashable {
  /// Canonical agent id, kebab-case and stable (`claude-code`).
  public var id: String
  public var description: String
  public var identities: [IdentityMatcher]
  /// Vendor trailers recognised by key (and value).
  public var trailers: [TrailerMatcher]
  /// Trailers that mark a platform operation (a deployment, a restore): when one is present, the
  /// commit's trailer and footer evidence for this agent is dropped.
  public var platformOperations: [TrailerMatcher]
  public var footers: [FooterMatcher]
  public var subjects: [SubjectMatcher]
  public var env: [EnvMatcher]
  public var processes: [ProcessMatcher]
  /// Tool names (lowercase) that name this agent in disclosure trailers (`Assisted-by: Crush:model`),
  /// `AI_AGENT` / `AGENT` values and git-ai notes. A name-only `Co-authored-by:` trailer counts
  /// (medium) only when its whole value is one of these.
  public var names: [String]
  public var positives: [AgentExample]
  public var negatives: [AgentExample]

  public init(
    id: String, description: String, identities: [IdentityMatcher] = [], trailers: [TrailerMatcher] = [],
    platformOperations: [TrailerMatcher] = [], footers: [FooterMatcher] = [], subjects: [SubjectMatcher] = [],
    env: [EnvMatcher] = [], processes: [ProcessMatcher] = [], names: [String] = [],
    positives: [AgentExample], negatives: [AgentExample]
  ) {
    self.id = id
    self.description = description
    self.identities = identities
    self.trailers = trailers
    self.platformOperations = platformOperations
    self.footers = footers
    self.subjects = subjects
    self.env = env
    self.processes = processes
    self.names = names
    self.positives = positives
    self.negatives = negatives
  }
}
