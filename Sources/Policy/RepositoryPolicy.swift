// The repository policy (`.agentgate.toml`): what a repository may decide about how its commits are
// judged. Every key, its type and its default is listed once in the `fields` of its section; the
// documentation of each key is docs/policy.md. Settings that would let a commit weaken the machine
// (sandbox backend, binds, proxy hosts, ceilings, tokens, API URLs, overrides) are not here: naming
// them in a repository policy is an error that says they belong to the machine configuration.

import GateCore
import TOML

/// The name of the policy file at the root of a repository.
public let policyFileName = ".agentgate.toml"

public struct RepositoryPolicy: Sendable, Equatable {
  public var agents = AgentsPolicy()
  public var scanning = ScanningPolicy()
  public var replay = ReplayPolicy()
  public var decision = DecisionPolicy()
  public var posting = PostingPolicy()

  public init() {}

  /// The built-in default policy.
  public static let `default` = RepositoryPolicy()
}

// MARK: - agents

/// A marker the repository adds to the built-in agent markers.
public struct AgentMarker: Sendable, Equatable {
  /// Where the pattern is looked for.
  public enum Scope: String, Sendable, Equatable, CaseIterable, TOMLEnum {
    /// Anywhere in the message, the author or the committer.
    case any
    /// The whole commit message.
    case message
    /// Trailer lines only (`Key: value` at the end of the message).
    case trailer
    case author
    case committer
  }

  /// A regular expression (PCRE2 syntax), matched case-sensitively unless it says `(?i)`.
  public var pattern: String
  /// Canonical agent id the marker points to (kebab-case).
  public var agent: String
  public var confidence: Confidence
  public var scope: Scope

  public init(pattern: String, agent: String, confidence: Confidence = .high, scope: Scope = .any) {
    self.pattern = pattern
    self.agent = agent
    self.confidence = confidence
    self.scope = scope
  }
}

extension AgentMarker: TableConvertible {
  init() { self.init(pattern: "", agent: "") }

  static let fields: [Field<AgentMarker>] = [
    .value("pattern", \.pattern, check: nonEmpty),
    .value("agent", \.agent, check: { isKebabCase($0) ? nil : "a kebab-case agent id such as \"claude-code\"" }),
    .value("confidence", \.confidence),
    .value("scope", \.scope),
  ]

  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> AgentMarker {
    guard case .table(let t) = v else { throw ctx.wrongType(key, line, expected: "a table", found: v) }
    var m = AgentMarker()
    try decodeFields(into: &m, t, prefix: key, ctx: ctx)
    for required in ["pattern", "agent"] where t[required] == nil {
      throw PolicyError.badValue(
        source: ctx.source, key: key, line: line, value: TOML.encodeInline(v),
        expected: "a table with 'pattern' and 'agent'")
    }
    return m
  }
}

/// An author or committer identity that always counts as an agent's.
public struct AgentIdentity: Sendable, Equatable {
  /// An email glob (`*` any run of characters, `?` one character), compared case-insensitively.
  public var email: String
  /// The agent id to attribute; `unknown-agent` when not given.
  public var agent: String

  public init(email: String, agent: String = "unknown-agent") {
    self.email = email
    self.agent = agent
  }
}

extension AgentIdentity: TOMLConvertible {
  static var expectation: String { "an email glob string or a table { email = \"...\", agent = \"...\" }" }

  static func decode(
    _ v: TOMLValue, key: String, line: Int, ctx: DecodeContext
  ) throws(PolicyError)
    -> AgentIdentity
  {
    switch v {
    case .string(let s):
      guard !s.isEmpty else { throw ctx.badValue(key, line, v, expected: "a non-empty email glob") }
      return AgentIdentity(email: s)
    case .table(let t):
      var identity = AgentIdentity(email: "")
      for e in t.entries {
        switch e.key {
        case "email": identity.email = try String.decode(e.value, key: "\(key).email", line: e.line, ctx: ctx)
        case "agent":
          identity.agent = try String.decode(e.value, key: "\(key).agent", line: e.line, ctx: ctx)
          guard isKebabCase(identity.agent) else {
            throw ctx.badValue("\(key).agent", e.line, e.value, expected: "a kebab-case agent id")
          }
        default:
          throw PolicyError.unknownKey(
            source: ctx.source, key: "\(key).\(e.key)", line: e.line, known: ["email", "agent"])
        }
      }
      guard !identity.email.isEmpty else { throw ctx.badValue(key, line, v, expected: "a table with 'email'") }
      return identity
    default:
      throw ctx.wrongType(key, line, expected: expectation, found: v)
    }
  }

  var toml: TOMLValue {
    agent == "unknown-agent"
      ? .string(email) : .table(TOMLTable(entries: [("email", .string(email), 0), ("agent", .string(agent), 0)]))
  }

  /// Whether `address` matches the glob (case-insensitive).
  public func matches(_ address: String) -> Bool { globMatch(email.lowercased(), address.lowercased()) }
}

/// `*` matches any run of characters, `?` exactly one; everything else literally.
public func globMatch(_ pattern: String, _ text: String) -> Bool {
  let p = Array(pattern.unicodeScalars)
  let t = Array(text.unicodeScalars)
  var pi = 0
  var ti = 0
  var star = -1
  var mark = 0
  while ti < t.count {
    if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
      pi += 1
      ti += 1
    } else if pi < p.count && p[pi] == "*" {
      star = pi
      mark = ti
      pi += 1
    } else if star >= 0 {
      pi = star + 1
      mark += 1
      ti = mark
    } else {
      return false
    }
  }
  while pi < p.count && p[pi] == "*" { pi += 1 }
  return pi == p.count
}

public struct AgentsPolicy: Sendable, Equatable {
  /// Markers added to the built-in ones.
  public var extraMarkers: [AgentMarker] = []
  /// Email globs of identities that are always human, whatever the markers say.
  public var humanIdentities: [String] = []
  /// Identities whose commits always count as an agent's.
  public var agentIdentities: [AgentIdentity] = []
  /// Below this confidence a commit is not counted as an agent's.
  public var minConfidence: Confidence = .medium
  /// Commits without any attribution are judged as agent commits (the strict table).
  public var unattributedAsAgent = false

  public init() {}

  /// Whether `email` is listed as always human.
  public func isHuman(email: String) -> Bool {
    humanIdentities.contains { globMatch($0.lowercased(), email.lowercased()) }
  }

  /// The agent identity matching `email`, if any.
  public func agentIdentity(email: String) -> AgentIdentity? { agentIdentities.first { $0.matches(email) } }
}

extension AgentsPolicy: TableConvertible {
  static let fields: [Field<AgentsPolicy>] = [
    .value("extra_markers", \.extraMarkers),
    .value("human_identities", \.humanIdentities),
    .value("agent_identities", \.agentIdentities),
    .value("min_confidence", \.minConfidence),
    .value("unattributed_as_agent", \.unattributedAsAgent),
  ]
}

// MARK: - scanning

public struct ScanAllowlist: Sendable, Equatable {
  /// Regular expressions on the file path: matching files are not scanned for secrets.
  public var paths: [String] = []
  /// Regular expressions on the matched secret: matching findings are dropped.
  public var regexes: [String] = []
  /// Words that, contained in a matched secret (case-insensitive), drop the finding.
  public var stopwords: [String] = []
  /// Commit ids whose findings are dropped (full ids or unique prefixes of at least 7 hex digits).
  public var commits: [String] = []

  public init() {}
}

extension ScanAllowlist: TableConvertible {
  static let fields: [Field<ScanAllowlist>] = [
    .value("paths", \.paths),
    .value("regexes", \.regexes),
    .value("stopwords", \.stopwords),
    .value(
      "commits", \.commits,
      check: { ids in
        ids.allSatisfy { $0.count >= 7 && $0.count <= 64 && $0.allSatisfy(\.isHexDigit) }
          ? nil : "commit ids of 7 to 64 hex digits"
      }),
  ]
}

public struct ScanningPolicy: Sendable, Equatable {
  /// Rule ids that do not run.
  public var disabledRules: [String] = []
  /// When set, only these rule ids run (then `disabled_rules` removes from them).
  public var enabledRules: [String]? = nil
  /// Severity overrides: rule id → severity.
  public var severity: [String: Severity] = [:]
  public var allowlist = ScanAllowlist()
  /// A baseline file (path in the repository, read at the trusted ref): known findings it lists are suppressed.
  public var baseline: String? = nil
  /// A file of finding fingerprints to ignore, one a line (path in the repository, read at the trusted ref).
  public var ignoreFile: String? = nil
  /// Findings below this severity never fail a commit; at most they warn.
  public var failOn: Severity = .medium
  /// The severity given to content that was not scanned (binary, larger than `max_blob_size`).
  public var skippedSeverity: Severity = .low
  /// Whether inline allow comments (`agentgate:allow`, `gitleaks:allow`) in agent-written lines are honoured.
  public var honourAgentAllowMarkers = false
  /// Blobs larger than this many bytes are not scanned but reported as skipped.
  public var maxBlobSize = 1 << 20

  public init() {}

  /// The severity of `rule` after overrides.
  public func severity(of rule: String, default base: Severity) -> Severity { severity[rule] ?? base }

  /// Whether `rule` runs under this policy.
  public func isEnabled(_ rule: String) -> Bool {
    if let enabledRules, !enabledRules.contains(rule) { return false }
    return !disabledRules.contains(rule)
  }
}

extension ScanningPolicy: TableConvertible {
  static let fields: [Field<ScanningPolicy>] = [
    .value("disabled_rules", \.disabledRules),
    .optional("enabled_rules", \.enabledRules),
    .value("severity", \.severity),
    .value("allowlist", \.allowlist),
    .optional("baseline", \.baseline, check: nonEmpty),
    .optional("ignore_file", \.ignoreFile, check: nonEmpty),
    .value("fail_on", \.failOn),
    .value("skipped_severity", \.skippedSeverity),
    .value("honour_agent_allow_markers", \.honourAgentAllowMarkers),
    .bytes("max_blob_size", \.maxBlobSize),
  ]
}

// MARK: - replay

/// When an entry point replays commits.
public enum ReplayTiming: String, Sendable, Equatable, CaseIterable, TOMLEnum {
  /// No replay.
  case off
  /// Replay before answering: the verdict waits for it.
  case sync
  /// Answer now (replay pending), replay in a background job and post the result later.
  case async
}

/// Which commits of a range are replayed.
public enum ReplayScope: String, Sendable, Equatable, CaseIterable, TOMLEnum {
  /// Every commit.
  case each
  /// The tip of each pushed ref (or of the range).
  case tip
}

/// Whose commits are replayed.
public enum ReplayAuthors: String, Sendable, Equatable, CaseIterable, TOMLEnum {
  /// Commits attributed to an agent (and unattributed ones when `agents.unattributed_as_agent`).
  case agents
  /// Every commit.
  case all
}

/// Resource limits a repository asks for; nil means "the machine's ceiling". Values above the
/// ceiling are clamped to it (and reported), never honoured.
public struct LimitRequest: Sendable, Equatable {
  public var wallSeconds: Int? = nil
  public var memory: Int? = nil
  public var processes: Int? = nil
  public var cpus: Int? = nil
  public var disk: Int? = nil
  public var tmp: Int? = nil
  public var shm: Int? = nil

  public init() {}
}

extension LimitRequest: TableConvertible {
  static let fields: [Field<LimitRequest>] = [
    .optional("wall_seconds", \.wallSeconds, check: positive),
    .bytes("memory", \.memory),
    .optional("processes", \.processes, check: positive),
    .optional("cpus", \.cpus, check: positive),
    .bytes("disk", \.disk),
    .bytes("tmp", \.tmp),
    .bytes("shm", \.shm),
  ]
}

public struct ReplayPolicy: Sendable, Equatable {
  /// Shell commands (run by `/bin/sh -c`) that build the commit, in order.
  public var build: [String] = []
  /// Shell commands that test the commit, in order, after the build.
  public var test: [String] = []
  /// Shell commands that fetch dependencies before the build; the only phase with network
  /// (through the machine's proxy, to its allowed hosts).
  public var fetch: [String] = []
  public var mode: ReplayScope = .tip
  public var authors: ReplayAuthors = .agents
  /// Replay timing per entry point.
  public var when: [EntryPoint: ReplayTiming] = ReplayPolicy.defaultTiming
  public var limits = LimitRequest()
  /// For a `sync` replay at a push: seconds the gate may spend in total before it answers
  /// "pending" and finishes in the background.
  public var syncBudgetSeconds = 300

  public init() {}

  public static let defaultTiming: [EntryPoint: ReplayTiming] = [
    .preCommit: .off, .commitMsg: .off, .prePush: .off, .preReceive: .async, .postReceive: .async, .ci: .sync,
    .scan: .off, .detect: .off, .replay: .sync,
  ]

  /// The timing at an entry point.
  public func timing(at entryPoint: EntryPoint) -> ReplayTiming {
    when[entryPoint] ?? ReplayPolicy.defaultTiming[entryPoint] ?? .off
  }

  /// Whether there is anything to run.
  public var hasCommands: Bool { !build.isEmpty || !test.isEmpty }
}

/// Replay timing per entry point: keys are entry point names, unknown names are errors.
struct TimingTable: TOMLConvertible {
  var map: [EntryPoint: ReplayTiming]

  static var expectation: String { "a table of entry point = \"off\" | \"sync\" | \"async\"" }

  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> TimingTable {
    guard case .table(let t) = v else { throw ctx.wrongType(key, line, expected: expectation, found: v) }
    var map = ReplayPolicy.defaultTiming
    for e in t.entries {
      let full = "\(key).\(e.key)"
      guard let ep = EntryPoint(rawValue: e.key) else {
        throw PolicyError.unknownKey(
          source: ctx.source, key: full, line: e.line, known: EntryPoint.allCases.map(\.rawValue))
      }
      ctx.record(full, line: e.line)
      map[ep] = try ReplayTiming.decode(e.value, key: full, line: e.line, ctx: ctx)
    }
    return TimingTable(map: map)
  }

  var toml: TOMLValue {
    .table(TOMLTable(entries: EntryPoint.allCases.map { ($0.rawValue, (map[$0] ?? .off).toml, 0) }))
  }
}

extension ReplayPolicy: TableConvertible {
  static let fields: [Field<ReplayPolicy>] = [
    .value("build", \.build),
    .value("test", \.test),
    .value("fetch", \.fetch),
    .value("mode", \.mode),
    .value("authors", \.authors),
    Field(
      key: "when",
      decode: { s, v, full, line, ctx throws(PolicyError) in
        s.when = try TimingTable.decode(v, key: full, line: line, ctx: ctx).map
      }, encode: { TimingTable(map: $0.when).toml }),
    .value("limits", \.limits),
    .value("sync_budget_seconds", \.syncBudgetSeconds, check: positive),
  ]

  static var machineOnlyKeys: Set<String> {
    [
      "backend", "sandbox", "bwrap", "bwrap_path", "container_runtime", "toolchain_binds", "cache_binds", "binds",
      "proxy", "allowed_hosts", "network", "ceilings", "job_dir", "jobs",
    ]
  }
}

// MARK: - decision

/// What a category of finding means for a commit.
public enum FindingAction: String, Sendable, Equatable, CaseIterable, TOMLEnum {
  /// The commit is blocked.
  case fail
  /// The commit passes with a warning.
  case warn
  /// Reported only in detailed output; no effect on the decision.
  case ignore
}

/// What the gate does when a replay is required but no sandbox backend can run.
public enum SandboxMissingAction: String, Sendable, Equatable, CaseIterable, TOMLEnum {
  /// Could not decide: exit 2.
  case error
  /// Blocked.
  case fail
  /// Passes with a warning that the replay did not run.
  case warn
}

/// The decision table for one kind of author.
public struct AuthorDecisions: Sendable, Equatable {
  /// Any secret finding.
  public var secret: FindingAction
  /// Risk findings of severity high or critical.
  public var riskHigh: FindingAction
  public var riskMedium: FindingAction
  /// Risk findings of severity low or info.
  public var riskLow: FindingAction
  /// The replayed build or tests failed (or hit a limit).
  public var replayFailure: FindingAction
  /// Content that was not scanned (binary, oversized).
  public var skipped: FindingAction

  public init(
    secret: FindingAction, riskHigh: FindingAction, riskMedium: FindingAction, riskLow: FindingAction,
    replayFailure: FindingAction, skipped: FindingAction
  ) {
    self.secret = secret
    self.riskHigh = riskHigh
    self.riskMedium = riskMedium
    self.riskLow = riskLow
    self.replayFailure = replayFailure
    self.skipped = skipped
  }

  /// Strict: what an agent's commit is held to.
  public static let agentDefaults = AuthorDecisions(
    secret: .fail, riskHigh: .fail, riskMedium: .warn, riskLow: .ignore, replayFailure: .fail, skipped: .warn)
  /// Sensible for people: secrets fail, risks warn.
  public static let humanDefaults = AuthorDecisions(
    secret: .fail, riskHigh: .warn, riskMedium: .warn, riskLow: .ignore, replayFailure: .warn, skipped: .ignore)

  /// The action for a finding of `category` and `severity` (before `scanning.fail_on`).
  public func action(category: FindingCategory, severity: Severity) -> FindingAction {
    switch category {
    case .secret: secret
    case .skipped: skipped
    case .risk:
      switch severity {
      case .critical, .high: riskHigh
      case .medium: riskMedium
      case .low, .info: riskLow
      }
    }
  }
}

extension AuthorDecisions: TableConvertible {
  init() { self = .agentDefaults }

  static let fields: [Field<AuthorDecisions>] = [
    .value("secret", \.secret),
    .value("risk_high", \.riskHigh),
    .value("risk_medium", \.riskMedium),
    .value("risk_low", \.riskLow),
    .value("replay_failure", \.replayFailure),
    .value("skipped", \.skipped),
  ]
}

public struct DecisionPolicy: Sendable, Equatable {
  /// For commits attributed to an agent.
  public var agent = AuthorDecisions.agentDefaults
  /// For everyone else.
  public var human = AuthorDecisions.humanDefaults
  public var sandboxMissing: SandboxMissingAction = .error

  public init() {}
}

extension DecisionPolicy: TableConvertible {
  static let fields: [Field<DecisionPolicy>] = [
    Field(
      key: "agent",
      decode: { s, v, full, line, ctx throws(PolicyError) in
        guard case .table(let t) = v else { throw ctx.wrongType(full, line, expected: "a table", found: v) }
        var d = AuthorDecisions.agentDefaults
        try AuthorDecisions.decodeFields(into: &d, t, prefix: full, ctx: ctx)
        s.agent = d
      }, encode: { $0.agent.toml }),
    Field(
      key: "human",
      decode: { s, v, full, line, ctx throws(PolicyError) in
        guard case .table(let t) = v else { throw ctx.wrongType(full, line, expected: "a table", found: v) }
        var d = AuthorDecisions.humanDefaults
        try AuthorDecisions.decodeFields(into: &d, t, prefix: full, ctx: ctx)
        s.human = d
      }, encode: { $0.human.toml }),
    .value("sandbox_missing", \.sandboxMissing),
  ]

  static var machineOnlyKeys: Set<String> { ["override", "override_users"] }
}

extension RepositoryPolicy {
  /// What `finding` means for a commit by an agent (or not): the decision table, then
  /// `scanning.fail_on` (a finding below it warns at most).
  public func action(for finding: Finding, agent: Bool) -> FindingAction {
    let table = agent ? decision.agent : decision.human
    let action = table.action(category: finding.category, severity: finding.severity)
    if action == .fail && finding.severity < scanning.failOn { return .warn }
    return action
  }

  /// Whether a commit is judged by the agent table: listed human identities never are, listed agent
  /// identities always are, then an attribution at or above `agents.min_confidence`; a commit with no
  /// attribution (or one below the threshold) is an agent's only with `agents.unattributed_as_agent`.
  public func judgesAsAgent(attribution: Attribution, authorEmail: String) -> Bool {
    if agents.isHuman(email: authorEmail) { return false }
    if agents.agentIdentity(email: authorEmail) != nil { return true }
    if attribution.isAgent, let confidence = attribution.confidence, confidence >= agents.minConfidence {
      return true
    }
    return agents.unattributedAsAgent
  }

  /// Whether a commit is replayed (when its entry point's timing is not `off`).
  public func replays(agent: Bool) -> Bool { replay.authors == .all || agent }

  /// What a failed replay means for a commit by an agent (or not).
  public func replayFailureAction(agent: Bool) -> FindingAction {
    agent ? decision.agent.replayFailure : decision.human.replayFailure
  }
}

// MARK: - posting

/// Where verdicts are posted.
public enum ForgeChoice: String, Sendable, Equatable, CaseIterable, TOMLEnum {
  /// Detected from the CI environment.
  case auto
  case none
  case github, gitlab, gitea, forgejo, bitbucket, webhook
}

public struct PostingPolicy: Sendable, Equatable {
  public var forge: ForgeChoice = .auto
  /// The status check / commit status name.
  public var context = "agentgate"
  /// Post a status on every judged commit, not only on the tip of each ref.
  public var postEach = false

  public init() {}
}

extension PostingPolicy: TableConvertible {
  static let fields: [Field<PostingPolicy>] = [
    .value("forge", \.forge),
    .value("context", \.context, check: nonEmpty),
    .value("post_each", \.postEach),
  ]

  static var machineOnlyKeys: Set<String> {
    ["token", "token_env", "token_variable", "tokens", "api_url", "url", "webhook_url", "secret", "outbox"]
  }
}

// MARK: - the whole policy

extension RepositoryPolicy: TableConvertible {
  static let fields: [Field<RepositoryPolicy>] = [
    .value("agents", \.agents),
    .value("scanning", \.scanning),
    .value("replay", \.replay),
    .value("decision", \.decision),
    .value("posting", \.posting),
  ]

  /// Top-level sections of the machine configuration.
  static var machineOnlyKeys: Set<String> { MachineConfig.sectionNames }

  /// Parses a policy; `source` names it in errors and origins (a path, or `REF:.agentgate.toml`).
  public static func parse(_ text: String, source: String) throws(PolicyError) -> RepositoryPolicy {
    try parseWithOrigins(text, source: source).policy
  }

  /// Parses a policy and records the line of every key it sets.
  public static func parseWithOrigins(
    _ text: String, source: String
  ) throws(PolicyError) -> (
    policy: RepositoryPolicy, origins: [String: SettingOrigin]
  ) {
    let table: TOMLTable
    do {
      table = try TOML.parse(text)
    } catch {
      throw PolicyError.syntax(source: source, error)
    }
    let ctx = DecodeContext(source: source)
    var policy = RepositoryPolicy()
    try decodeFields(into: &policy, table, prefix: "", ctx: ctx)
    return (policy, ctx.origins)
  }

  /// Reads and validates a policy file from disk (`agentgate policy check FILE`).
  public static func load(path: String) throws(PolicyError) -> RepositoryPolicy {
    try parse(try readText(path), source: path)
  }

  /// The policy as a TOML table holding every key (defaults included).
  public var table: TOMLTable { tomlTable }

  /// The policy as a TOML document holding every key; parsing it gives back an equal policy.
  public var tomlText: String { TOML.encode(tomlTable) }
}
