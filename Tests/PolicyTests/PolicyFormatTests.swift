import Foundation
import GateCore
import Policy
import TOML
import Testing

/// A policy with every key set to something other than its default.
func fullyCustomPolicy() -> RepositoryPolicy {
  var p = RepositoryPolicy()
  p.agents.extraMarkers = [
    AgentMarker(pattern: "(?i)^Generated-By: robo", agent: "robo", confidence: .low, scope: .trailer),
    AgentMarker(pattern: "robot\\[bot\\]", agent: "robo-bot", confidence: .high, scope: .author),
  ]
  p.agents.humanIdentities = ["*@people.example.com", "boss@example.com"]
  p.agents.agentIdentities = [
    AgentIdentity(email: "bot@example.com"), AgentIdentity(email: "ci-*@example.com", agent: "ci-agent"),
  ]
  p.agents.minConfidence = .high
  p.agents.unattributedAsAgent = true
  p.scanning.disabledRules = ["generic-api-key"]
  p.scanning.enabledRules = ["aws-access-key-id", "generic-api-key", "private-key"]
  p.scanning.severity = ["private-key": .critical, "aws-access-key-id": .low]
  p.scanning.allowlist.paths = ["^vendor/", "\\.lock$"]
  p.scanning.allowlist.regexes = ["EXAMPLE$"]
  p.scanning.allowlist.stopwords = ["dummy", "example"]
  p.scanning.allowlist.commits = ["0123456789abcdef0123456789abcdef01234567"]
  p.scanning.baseline = ".agentgate/baseline.json"
  p.scanning.ignoreFile = ".agentgateignore"
  p.scanning.failOn = .high
  p.scanning.skippedSeverity = .medium
  p.scanning.honourAgentAllowMarkers = true
  p.scanning.maxBlobSize = 3 << 20
  p.replay.build = ["swift build", "make -j2"]
  p.replay.test = ["swift test --parallel"]
  p.replay.fetch = ["swift package resolve"]
  p.replay.mode = .each
  p.replay.authors = .all
  p.replay.when = [
    .preCommit: .sync, .commitMsg: .sync, .prePush: .async, .preReceive: .sync, .postReceive: .off, .ci: .async,
    .scan: .sync, .detect: .sync, .replay: .off,
  ]
  p.replay.limits.wallSeconds = 120
  p.replay.limits.memory = 512 << 20
  p.replay.limits.processes = 64
  p.replay.limits.cpus = 2
  p.replay.limits.disk = 100 << 20
  p.replay.limits.tmp = 50 << 20
  p.replay.limits.shm = 8 << 20
  p.replay.syncBudgetSeconds = 45
  p.decision.agent = AuthorDecisions(
    secret: .warn, riskHigh: .warn, riskMedium: .fail, riskLow: .warn, replayFailure: .warn, skipped: .fail)
  p.decision.human = AuthorDecisions(
    secret: .warn, riskHigh: .fail, riskMedium: .ignore, riskLow: .warn, replayFailure: .fail, skipped: .warn)
  p.decision.sandboxMissing = .warn
  p.posting.forge = .gitlab
  p.posting.context = "gate/agents"
  p.posting.postEach = true
  return p
}

/// Leaf keys of a table as dotted paths with their values.
func leaves(_ table: TOMLTable, prefix: String = "") -> [(key: String, value: TOMLValue)] {
  var out: [(key: String, value: TOMLValue)] = []
  for e in table.entries {
    let key = prefix.isEmpty ? e.key : "\(prefix).\(e.key)"
    if case .table(let t) = e.value, !t.isEmpty {
      out += leaves(t, prefix: key)
    } else {
      out.append((key, e.value))
    }
  }
  return out
}

/// A TOML value written inline.
func inline(_ v: TOMLValue) -> String { TOML.encodeInline(v) }

/// A TOML key path written with quotes where needed.
func dotted(_ key: String) -> String {
  key.split(separator: ".").map { part in
    part.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } ? String(part) : "\"\(part)\""
  }.joined(separator: ".")
}

@Suite struct PolicyRoundTripTests {
  @Test func defaultsRoundTrip() throws {
    let text = RepositoryPolicy.default.tomlText
    #expect(try RepositoryPolicy.parse(text, source: "t") == RepositoryPolicy.default)
    #expect(try RepositoryPolicy.parse("", source: "empty") == RepositoryPolicy.default)
  }

  @Test func everyKeySetAtOnceRoundTrips() throws {
    let custom = fullyCustomPolicy()
    let text = custom.tomlText
    let parsed = try RepositoryPolicy.parse(text, source: "t")
    #expect(parsed == custom)
    #expect(parsed.tomlText == text)
  }

  /// One document per key, holding only that key: parsing it changes exactly that key.
  @Test(arguments: leaves(fullyCustomPolicy().table).map(\.key))
  func eachKeyRoundTripsAlone(_ key: String) throws {
    let custom = leaves(fullyCustomPolicy().table)
    let value = try #require(custom.first { $0.key == key }?.value)
    let text = "\(dotted(key)) = \(inline(value))\n"
    let (parsed, origins) = try RepositoryPolicy.parseWithOrigins(text, source: "one.toml")
    let after = Dictionary(uniqueKeysWithValues: leaves(parsed.table).map { ($0.key, $0.value) })
    let defaults = leaves(RepositoryPolicy.default.table)
    #expect(after[key] == value, "\(text)")
    #expect(defaults.first { $0.key == key }?.value != value, "the custom value must differ from the default")
    for d in defaults where d.key != key && !key.hasPrefix(d.key + ".") {
      #expect(after[d.key] == d.value, "\(d.key) changed when only \(key) was set")
    }
    #expect(origins[key] == .file(source: "one.toml", line: 1))
    #expect(parsed.tomlText.contains(inline(value)) || inline(value).contains("{"))
  }

  @Test func everyDefaultKeyIsCoveredByTheCustomPolicy() {
    let customKeys = Set(leaves(fullyCustomPolicy().table).map(\.key))
    for d in leaves(RepositoryPolicy.default.table) {
      // Empty tables in the default (severity, limits) expand to their entries in the custom policy.
      #expect(customKeys.contains(d.key) || customKeys.contains { $0.hasPrefix(d.key + ".") }, "\(d.key)")
    }
  }

  @Test func sectionsAndArraysOfTablesForms() throws {
    let text = """
      [agents]
      min_confidence = "low"

      [[agents.extra_markers]]
      pattern = "Co-Authored-By: Robo"
      agent = "robo"

      [[agents.extra_markers]]
      pattern = "^robo:"
      agent = "robo"
      confidence = "medium"
      scope = "message"

      [scanning.severity]
      "private-key" = "high"

      [decision.agent]
      risk_medium = "fail"
      """
    let p = try RepositoryPolicy.parse(text, source: "t")
    #expect(p.agents.extraMarkers.count == 2)
    #expect(p.agents.extraMarkers[0].confidence == .high)
    #expect(p.agents.extraMarkers[0].scope == .any)
    #expect(p.agents.extraMarkers[1].scope == .message)
    #expect(p.scanning.severity == ["private-key": .high])
    #expect(p.decision.agent.riskMedium == .fail)
    #expect(p.decision.agent.secret == .fail)
    #expect(p.decision.human == AuthorDecisions.humanDefaults)
  }

  @Test func sizesAcceptIntegersAndUnits() throws {
    let p = try RepositoryPolicy.parse(
      "[scanning]\nmax_blob_size = 2048\n[replay.limits]\nmemory = \"1GiB\"\ndisk = \"300M\"\ntmp = \"64KiB\"\n",
      source: "t")
    #expect(p.scanning.maxBlobSize == 2048)
    #expect(p.replay.limits.memory == 1 << 30)
    #expect(p.replay.limits.disk == 300 << 20)
    #expect(p.replay.limits.tmp == 64 << 10)
  }

  @Test func decisionHelpers() {
    let p = RepositoryPolicy.default
    func finding(_ c: FindingCategory, _ s: Severity) -> Finding {
      Finding(rule: "r", category: c, severity: s, path: "p", fingerprint: "f", match: "m", message: "x")
    }
    #expect(p.action(for: finding(.secret, .high), agent: true) == .fail)
    #expect(p.action(for: finding(.secret, .high), agent: false) == .fail)
    // Below fail_on (medium) a failing category only warns.
    #expect(p.action(for: finding(.secret, .low), agent: true) == .warn)
    #expect(p.action(for: finding(.risk, .critical), agent: true) == .fail)
    #expect(p.action(for: finding(.risk, .high), agent: false) == .warn)
    #expect(p.action(for: finding(.risk, .medium), agent: true) == .warn)
    #expect(p.action(for: finding(.risk, .info), agent: true) == .ignore)
    #expect(p.action(for: finding(.skipped, .low), agent: true) == .warn)
    #expect(p.action(for: finding(.skipped, .low), agent: false) == .ignore)
    #expect(p.replayFailureAction(agent: true) == .fail)
    #expect(p.replayFailureAction(agent: false) == .warn)
    #expect(p.replay.timing(at: .preCommit) == .off)
    #expect(p.replay.timing(at: .preReceive) == .async)
    #expect(p.replay.timing(at: .ci) == .sync)
    #expect(p.replay.timing(at: .replay) == .sync)
  }

  @Test func whoIsJudgedAsAnAgent() {
    var p = RepositoryPolicy()
    let strong = Attribution(agent: "claude-code", confidence: .high)
    let weak = Attribution(agent: "claude-code", confidence: .low)
    #expect(p.judgesAsAgent(attribution: strong, authorEmail: "dev@example.com"))
    #expect(!p.judgesAsAgent(attribution: weak, authorEmail: "dev@example.com"))
    #expect(!p.judgesAsAgent(attribution: .none, authorEmail: "dev@example.com"))
    p.agents.unattributedAsAgent = true
    #expect(p.judgesAsAgent(attribution: .none, authorEmail: "dev@example.com"))
    #expect(p.judgesAsAgent(attribution: weak, authorEmail: "dev@example.com"))
    p.agents.humanIdentities = ["*@example.com"]
    #expect(!p.judgesAsAgent(attribution: strong, authorEmail: "dev@example.com"))
    p.agents.humanIdentities = []
    p.agents.unattributedAsAgent = false
    p.agents.agentIdentities = [AgentIdentity(email: "bot@example.com")]
    #expect(p.judgesAsAgent(attribution: .none, authorEmail: "BOT@example.com"))
    p.agents.minConfidence = .low
    #expect(p.judgesAsAgent(attribution: weak, authorEmail: "dev@example.com"))
    #expect(p.replays(agent: true))
    #expect(!p.replays(agent: false))
    p.replay.authors = .all
    #expect(p.replays(agent: false))
  }

  @Test func identityGlobs() {
    var agents = AgentsPolicy()
    agents.humanIdentities = ["*@people.example.com"]
    agents.agentIdentities = [AgentIdentity(email: "ci-?@Example.com", agent: "ci-agent")]
    #expect(agents.isHuman(email: "Ann@People.Example.com"))
    #expect(!agents.isHuman(email: "ann@example.com"))
    #expect(agents.agentIdentity(email: "ci-7@example.com")?.agent == "ci-agent")
    #expect(agents.agentIdentity(email: "ci-77@example.com") == nil)
    #expect(globMatch("a*b*c", "aXXbYc"))
    #expect(!globMatch("a*b", "aXXc"))
  }

  @Test func ruleSelection() {
    var s = ScanningPolicy()
    s.disabledRules = ["b"]
    #expect(s.isEnabled("a"))
    #expect(!s.isEnabled("b"))
    s.enabledRules = ["a", "b"]
    #expect(!s.isEnabled("c"))
    #expect(s.isEnabled("a"))
    s.severity = ["a": .critical]
    #expect(s.severity(of: "a", default: .low) == .critical)
    #expect(s.severity(of: "c", default: .low) == .low)
  }
}

@Suite struct PolicyErrorTests {
  struct Case: Sendable, CustomStringConvertible {
    var name: String
    var source: String
    var key: String?
    var line: Int
    var fragment: String
    var description: String { name }
  }

  @Test(arguments: [
    Case(
      name: "unknown key", source: "[agents]\nmin_confidance = \"high\"\n", key: "agents.min_confidance", line: 2,
      fragment: "unknown key 'agents.min_confidance'"),
    Case(
      name: "unknown section", source: "# c\n\n[scaning]\nfail_on = \"low\"\n", key: "scaning", line: 3,
      fragment: "Known keys here: agents, scanning"),
    Case(
      name: "wrong type", source: "[scanning]\nfail_on = 3\n", key: "scanning.fail_on", line: 2,
      fragment: "must be one of \"info\", \"low\", \"medium\", \"high\", \"critical\", found an integer (3)"),
    Case(
      name: "bad severity", source: "[scanning]\n\nfail_on = \"severe\"\n", key: "scanning.fail_on", line: 3,
      fragment: "'scanning.fail_on' = \"severe\" is not allowed"),
    Case(
      name: "bad severity override", source: "[scanning.severity]\naws-access-key-id = \"urgent\"\n",
      key: "scanning.severity.aws-access-key-id", line: 2, fragment: "\"urgent\" is not allowed"),
    Case(
      name: "bad action", source: "[decision.human]\nsecret = \"block\"\n", key: "decision.human.secret", line: 2,
      fragment: "one of \"fail\", \"warn\", \"ignore\""),
    Case(
      name: "unknown decision key", source: "[decision.agent]\nsecrets = \"fail\"\n", key: "decision.agent.secrets",
      line: 2, fragment: "unknown key"),
    Case(
      name: "bool as string", source: "agents.unattributed_as_agent = \"yes\"\n",
      key: "agents.unattributed_as_agent", line: 1, fragment: "must be true or false"),
    Case(
      name: "array element type", source: "[agents]\nhuman_identities = [\"a@b\", 7]\n",
      key: "agents.human_identities[1]", line: 2, fragment: "must be a string"),
    Case(
      name: "array expected", source: "[replay]\nbuild = \"swift build\"\n", key: "replay.build", line: 2,
      fragment: "must be an array of strings"),
    Case(
      name: "bad timing", source: "[replay.when]\nci = \"later\"\n", key: "replay.when.ci", line: 2,
      fragment: "\"off\", \"sync\", \"async\""),
    Case(
      name: "unknown entry point", source: "[replay.when]\npre-merge = \"off\"\n", key: "replay.when.pre-merge",
      line: 2, fragment: "Known keys here: pre-receive"),
    Case(
      name: "zero limit", source: "[replay.limits]\nprocesses = 0\n", key: "replay.limits.processes", line: 2,
      fragment: "an integer above zero"),
    Case(
      name: "bad size", source: "[replay.limits]\nmemory = \"lots\"\n", key: "replay.limits.memory", line: 2,
      fragment: "a size"),
    Case(
      name: "marker without agent",
      source: "[agents]\nmin_confidence = \"low\"\n\n[[agents.extra_markers]]\npattern = \"x\"\n",
      key: "agents.extra_markers[0]", line: 4, fragment: "a table with 'pattern' and 'agent'"),
    Case(
      name: "marker unknown key", source: "[[agents.extra_markers]]\npattern = \"x\"\nagent = \"a\"\nweight = 3\n",
      key: "agents.extra_markers[0].weight", line: 4, fragment: "unknown key"),
    Case(
      name: "marker agent id", source: "[[agents.extra_markers]]\npattern = \"x\"\nagent = \"My Bot\"\n",
      key: "agents.extra_markers[0].agent", line: 3, fragment: "kebab-case"),
    Case(
      name: "allowlist commit", source: "[scanning.allowlist]\ncommits = [\"xyz\"]\n",
      key: "scanning.allowlist.commits", line: 2, fragment: "hex digits"),
    Case(
      name: "machine-only section", source: "[sandbox]\nbackend = \"none\"\n", key: "sandbox", line: 1,
      fragment: "belongs to the machine configuration"),
    Case(
      name: "machine-only ceilings", source: "[limits]\nmemory = \"64GiB\"\n", key: "limits", line: 1,
      fragment: "belongs to the machine configuration"),
    Case(
      name: "machine-only replay backend", source: "[replay]\nbackend = \"none\"\n", key: "replay.backend", line: 2,
      fragment: "belongs to the machine configuration"),
    Case(
      name: "machine-only proxy hosts", source: "[replay]\nallowed_hosts = [\"evil.example\"]\n",
      key: "replay.allowed_hosts", line: 2, fragment: "belongs to the machine configuration"),
    Case(
      name: "machine-only api url", source: "[posting]\napi_url = \"https://evil.example\"\n",
      key: "posting.api_url", line: 2, fragment: "belongs to the machine configuration"),
    Case(
      name: "machine-only tokens", source: "tokens.github = \"MY_TOKEN\"\n", key: "tokens", line: 1,
      fragment: "belongs to the machine configuration"),
    Case(
      name: "machine-only override", source: "[decision]\noverride_users = [\"me\"]\n",
      key: "decision.override_users", line: 2, fragment: "belongs to the machine configuration"),
    Case(
      name: "section as value", source: "scanning = \"strict\"\n", key: "scanning", line: 1,
      fragment: "must be a table"),
  ])
  func badInputNamesKeyAndLine(_ c: Case) {
    do {
      let p = try RepositoryPolicy.parse(c.source, source: ".agentgate.toml")
      Issue.record("expected an error, parsed \(p)")
    } catch {
      #expect(error.key == c.key, "\(error)")
      #expect(error.line == c.line, "\(error)")
      #expect(error.description.contains(c.fragment), "\(error)")
      #expect(error.description.hasPrefix(".agentgate.toml: line \(c.line): "), "\(error)")
    }
  }

  @Test(arguments: [
    ("[agents]\nmin_confidence = \"high\n", 2, 23),
    ("[agents]\nmin_confidence = \"high\"\n[agents]\n", 3, 1),
    ("[scanning]\nfail_on = \"low\"\nfail_on = \"high\"\n", 3, 1),
    ("[replay]\nbuild = [\"a\",\n", 2, 9),
  ])
  func syntaxErrorsGiveLineAndColumn(_ source: String, _ line: Int, _ column: Int) {
    do {
      _ = try RepositoryPolicy.parse(source, source: "p.toml")
      Issue.record("expected a syntax error")
    } catch {
      guard case .syntax(let src, let e) = error else {
        Issue.record("expected .syntax, got \(error)")
        return
      }
      #expect(src == "p.toml")
      #expect(e.line == line, "\(error)")
      #expect(e.column == column, "\(error)")
      #expect(error.line == line)
      #expect(error.description.hasPrefix("p.toml: line \(line), column \(column): "))
    }
  }
}

@Suite struct StarterTemplateTests {
  @Test func starterParsesToTheDefaults() throws {
    let p = try RepositoryPolicy.parse(PolicyTemplates.starter, source: "starter")
    #expect(p == RepositoryPolicy.default)
  }

  @Test func starterMentionsEveryKey() {
    let keys = leaves(fullyCustomPolicy().table).map(\.key)
    for key in keys {
      let last = key.split(separator: ".").last.map(String.init) ?? key
      // Map keys (rule ids in severity) are examples, not schema keys.
      if key.hasPrefix("scanning.severity.") { continue }
      #expect(PolicyTemplates.starter.contains(last), "\(key)")
    }
  }
}

@Suite struct PolicyDocsTests {
  static var docs: String? {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return try? String(contentsOf: root.appendingPathComponent("docs/policy.md"), encoding: .utf8)
  }

  @Test func everyPolicyKeyIsDocumented() throws {
    let docs = try #require(Self.docs, "docs/policy.md must exist")
    for (key, _) in leaves(fullyCustomPolicy().table) where !key.hasPrefix("scanning.severity.") {
      let documented = key.replacingOccurrences(of: "replay.when.", with: "replay.when.")
      #expect(docs.contains("`\(documented)`"), "docs/policy.md does not document `\(key)`")
    }
  }

  @Test func everyMachineKeyIsDocumented() throws {
    let docs = try #require(Self.docs, "docs/policy.md must exist")
    var machine = MachineConfig()
    machine.auditLog = "/var/log/agentgate.log"
    for (key, _) in leaves(machine.table) where !key.hasPrefix("tokens.") {
      #expect(docs.contains("`\(key)`"), "docs/policy.md does not document machine key `\(key)`")
    }
    #expect(docs.contains("`tokens.<forge>`"))
  }
}
