// The pipeline: read each selected commit's change (GitReading, both cores), attribute it, scan what
// it adds, replay it in the sandbox when the policy asks, and decide by the trusted policy.
//
// Commits stream through `Repository.forEachChange`; per commit only the record, its attribution and
// its findings are kept, so memory stays bounded on long ranges. For the push gate and CI, each
// commit's judgement is kept in the git dir (`VerdictCache`): commits judged before under the same
// policy and rules are not read or scanned again; replay and the decision are always made afresh.

import Attribution
import Foundation
import GateCore
import GitReading
import Policy
import Sandbox
import Scanning
import Synchronization

/// How replay is asked for by the command line.
public enum ReplayRequest: Sendable, Equatable {
  /// As the policy says for this entry point.
  case policy
  /// Force a synchronous replay (`--replay on`).
  case on
  /// No replay (`--replay off`).
  case off
}

/// One slice of a range for CI matrices: commits whose id hashes to `index` modulo `count`.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
  public var index: Int
  public var count: Int
  public init(index: Int, count: Int) {
    self.index = index
    self.count = count
  }

  /// Parses `K/N` with 1 <= K <= N.
  public init?(_ text: String) {
    let parts = text.split(separator: "/")
    guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, k >= 1, k <= n else { return nil }
    self.init(index: k, count: n)
  }

  public var description: String { "\(index)/\(count)" }

  /// Deterministic: the same commit always lands in the same shard.
  public func contains(_ commitID: String) -> Bool {
    let digest = SHA256.hash(Array(commitID.utf8))
    let value = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    return Int(value % UInt64(count)) == index - 1
  }
}

/// Progress while judging, for a terminal line.
public struct JudgeProgress: Sendable {
  public var commits: Int
  public var total: Int
  public var bytes: Int
  public var findings: Int
  public var seconds: Double
}

public struct JudgeOptions: Sendable {
  public var replay: ReplayRequest
  /// Replay commands from flags, overriding the policy (named in the report as `flag`).
  public var buildCommands: [String]
  public var testCommands: [String]
  public var shard: Shard?
  public var parallelism: Int
  /// The process environment (read once by the CLI): staged attribution and identities.
  public var environment: [String: String]
  /// Executable names of the gate's ancestors (pre-commit attribution).
  public var processChain: [String]
  /// A commit message being written (commit-msg).
  public var message: String?
  /// Seconds from the start after which judging stops (hooks' `--deadline`).
  public var deadline: Double?
  /// The range as the user gave it, for reports.
  public var rangeLabel: String?
  /// Use the gate's verdict cache when it has one.
  public var useCache: Bool = true
  public var progress: (@Sendable (JudgeProgress) -> Void)?

  public init(
    replay: ReplayRequest = .policy, buildCommands: [String] = [], testCommands: [String] = [],
    shard: Shard? = nil, parallelism: Int = ScanOptions.defaultParallelism, environment: [String: String] = [:],
    processChain: [String] = [], message: String? = nil, deadline: Double? = nil, rangeLabel: String? = nil,
    useCache: Bool = true, progress: (@Sendable (JudgeProgress) -> Void)? = nil
  ) {
    self.useCache = useCache
    self.replay = replay
    self.buildCommands = buildCommands
    self.testCommands = testCommands
    self.shard = shard
    self.parallelism = parallelism
    self.environment = environment
    self.processChain = processChain
    self.message = message
    self.deadline = deadline
    self.rangeLabel = rangeLabel
    self.progress = progress
  }
}

/// The judge: the trusted policy and the parts it drives.
public final class Gate: Sendable {
  public let repository: Repository
  public let resolved: ResolvedPolicy
  public let scanner: Scanning.Scanner
  public let detector: AttributionDetector
  public let decider: Decider
  public let sandbox: SandboxPolicy
  public let diffOptions: DiffOptions
  /// The git-ai notes ref, read when it exists.
  public let notesRef = "refs/notes/ai"

  /// Judgements of earlier runs (nil: every commit is judged afresh).
  public let cache: VerdictCache?
  /// The agentgate binary that forwards the fetch phase's proxy inside the sandbox (`sandbox
  /// forward`); nil: this executable, looked up only when a replay has fetch steps. When none can
  /// be found a fetch step is an error, never open network.
  public let forwarder: String?

  public init(
    repository: Repository, resolved: ResolvedPolicy, scanner: Scanning.Scanner, detector: AttributionDetector,
    sandbox: SandboxPolicy, cache: VerdictCache? = nil, forwarder: String? = nil
  ) {
    self.cache = cache
    self.forwarder = forwarder
    self.repository = repository
    self.resolved = resolved
    self.scanner = scanner
    self.detector = detector
    self.decider = Decider(policy: resolved.policy)
    self.sandbox = sandbox
    self.diffOptions = DiffOptions(maxBlobSize: resolved.policy.scanning.maxBlobSize)
  }

  /// The entry points whose judgements are cached by default: the push gate and CI judge the same
  /// commits again (pre-receive, then post-receive's job; every CI run of a branch).
  public static let cachedEntryPoints: Set<EntryPoint> = [.preReceive, .postReceive, .prePush, .ci]

  /// Builds every part from the resolved policy: rules (plus extra rule files), baseline from the
  /// trusted place, attribution settings, sandbox policy, and the verdict cache in the git dir
  /// (`cache` nil: on for `cachedEntryPoints`; never without redaction).
  public static func make(
    repository: Repository, resolved: ResolvedPolicy, resolver: PolicyResolver, extraRules: [String] = [],
    redact: Bool = true, cache: Bool? = nil, cacheMaxBytes: Int = VerdictCache.defaultMaxBytes
  ) throws -> Gate {
    let policy = resolved.policy
    let settings = AttributionSettings(policy.agents)
    do {
      try settings.validate()
    } catch {
      throw GateError.invalid("the policy's [agents] settings are invalid: \(error.description)")
    }
    var baseline: Baseline?
    var baselineBytes: [UInt8]?
    if let path = policy.scanning.baseline {
      guard let bytes = try resolver.readTrusted(path: path, for: resolved) else {
        throw GateError.unreadable(
          path: path, what: "baseline", reason: "the policy names it, but it is not at \(resolved.identity.label)")
      }
      baselineBytes = bytes
      do {
        baseline = try Baseline.load(json: String(decoding: bytes, as: UTF8.self))
      } catch {
        throw GateError.badBaseline(path: path, reason: error.description)
      }
    }
    let rules = try RuleSet.lineRules(extraFiles: resolved.machine.extraRulesFiles + extraRules)
    let scanner: Scanning.Scanner
    do {
      scanner = try Scanning.Scanner(
        rules: rules, changeRules: RuleSet.changeRules, options: ScanOptions(policy.scanning, redact: redact),
        baseline: baseline)
    } catch {
      throw GateError.invalid("the rules could not be loaded: \(error)")
    }
    var verdictCache: VerdictCache?
    // Unredacted findings are never cached: the secrets would land on disk.
    if redact, cache ?? cachedEntryPoints.contains(resolved.entryPoint) {
      verdictCache = VerdictCache(
        directory: VerdictCache.directory(gitDirectory: repository.gitDirectory),
        policyDigest: SHA256.hex(policy.tomlText),
        rulesVersion: RuleSet.version(lineRules: rules, baseline: baselineBytes, redact: redact),
        maxBytes: cacheMaxBytes)
    }
    return Gate(
      repository: repository, resolved: resolved, scanner: scanner, detector: AttributionDetector(settings: settings),
      sandbox: SandboxPolicy(machine: resolved.machine, limits: resolved.limits), cache: verdictCache)
  }

  /// Attribution, findings and the commit record of one change, before replay and decision.
  struct Judged: Sendable {
    var commit: CommitRecord
    var attribution: Attribution
    var findings: [Finding]
    var suppressed: Int
  }

  /// Judges the selected commits and returns the verdict. Throws (exit 2) when it cannot decide.
  public func judge(_ selection: CommitSelection, options: JudgeOptions) throws -> Verdict {
    let start = Date()
    var judged: [Judged]
    var order: [String?]
    switch selection {
    case .staged:
      let change = try repository.stagedChange(options: diffOptions, environment: options.environment)
      let j = judgeStaged(change, options: options)
      judged = [j]
      order = [nil]
    default:
      var ids = try repository.commitIDs(selection)
      if let shard = options.shard { ids = ids.filter(shard.contains) }
      let results = try judgeCommits(ids, selection: selection, options: options, start: start)
      judged = ids.compactMap { results[$0] }
      order = ids
    }
    _ = order

    let replayTargets = try replayTargets(judged: judged, selection: selection, options: options)
    var verdicts: [CommitVerdict] = []
    for j in judged {
      let replay = replayTargets[j.commit.id ?? ""] ?? skippedReplay(for: j, options: options)
      let (decision, reasons) = decider.decide(
        attribution: j.attribution, authorEmail: j.commit.author.email, findings: j.findings, replay: replay)
      verdicts.append(
        CommitVerdict(
          commit: j.commit, attribution: j.attribution, findings: j.findings, suppressed: j.suppressed,
          replay: replay, decision: decision, reasons: reasons))
    }
    return Gate.verdict(
      verdicts, policy: resolved.identity, range: options.rangeLabel, shard: options.shard?.description)
  }

  /// Assembles a verdict with its summary line.
  public static func verdict(
    _ commits: [CommitVerdict], policy: PolicyIdentity, range: String?, shard: String?
  ) -> Verdict {
    let decision = Decision.combine(commits.map(\.decision))
    let agents = commits.filter { $0.attribution.isAgent }.count
    let findings = commits.reduce(0) { $0 + $1.findings.count }
    let failed = commits.filter { $0.decision == .fail }.count
    var summary =
      "\(decision.rawValue): \(commits.count) commit\(commits.count == 1 ? "" : "s") judged, \(agents) by an agent, "
      + "\(findings) finding\(findings == 1 ? "" : "s")"
    if failed > 0 { summary += ", \(failed) blocked" }
    return Verdict(decision: decision, commits: commits, policy: policy, summary: summary, range: range, shard: shard)
  }

  // MARK: Attribution and scanning

  private func judgeStaged(_ change: CommitChange, options: JudgeOptions) -> Judged {
    var attribution = detector.attribute(
      environment: options.environment, processChain: options.processChain,
      identity: (author: change.commit.author, committer: change.commit.committer))
    var commit = change.commit
    if let message = options.message {
      attribution = detector.attribute(message: message, base: attribution)
      commit.message = message
    }
    let result = scanner.scan(
      change, isAgent: decider.judgedAsAgent(attribution, authorEmail: change.commit.author.email))
    return Judged(commit: commit, attribution: attribution, findings: result.findings, suppressed: result.suppressed)
  }

  /// Attribution and findings of every commit in `ids`: from the verdict cache when it holds them,
  /// else read and judged on `options.parallelism` threads (and stored for the next run).
  private func judgeCommits(
    _ ids: [String], selection: CommitSelection, options: JudgeOptions, start: Date
  ) throws -> [String: Judged] {
    let hasNotes = (try? repository.resolveCommit(notesRef)) != nil
    let total = ids.count
    let deadline = options.deadline
    let cache = options.useCache ? self.cache : nil
    let collector = JudgeCollector(total: total, start: start, progress: options.progress)

    // Cached judgements first; what remains is read and judged.
    var pending = ids
    var notes: [String: String] = [:]
    if let cache, !ids.isEmpty {
      if hasNotes {
        for id in ids { notes[id] = repository.note(ref: notesRef, commit: id) }
      }
      var wanted: [String: String?] = [:]
      for id in ids { wanted.updateValue(notes[id], forKey: id) }
      let hits = cache.lookup(wanted)
      var judgedHits: [String: Judged] = [:]
      for (id, hit) in hits {
        judgedHits[id] = Judged(
          commit: hit.commit, attribution: hit.attribution, findings: hit.findings, suppressed: hit.suppressed)
        collector.counted(hit.bytesScanned, hit.findings.count)
      }
      collector.results.withLock { $0 = judgedHits }
      pending = ids.filter { hits[$0] == nil }
    }
    if pending.isEmpty { return collector.results.withLock { $0 } }

    let shallow = cache != nil && repository.isShallow
    let knownNotes = notes
    // Several commits on several threads: each commit's files stay on its thread.
    let spreadFiles = pending.count == 1 || options.parallelism <= 1
    let judge: @Sendable (CommitChange) throws -> Void = { change in
      guard let id = change.commit.id else { return }
      let elapsed = Date().timeIntervalSince(start)
      if let deadline, elapsed > deadline {
        throw GateError.deadline(seconds: deadline, judged: collector.judged, total: total)
      }
      let note = cache != nil ? knownNotes[id] : hasNotes ? self.repository.note(ref: self.notesRef, commit: id) : nil
      let attribution = self.detector.attribute(change.commit, note: note)
      let result = self.scanner.scan(
        change, isAgent: self.decider.judgedAsAgent(attribution, authorEmail: change.commit.author.email),
        spreadFiles: spreadFiles)
      collector.results.withLock {
        $0[id] = Judged(
          commit: change.commit, attribution: attribution, findings: result.findings, suppressed: result.suppressed)
      }
      if let cache, !shallow || self.parentsPresent(change.commit) {
        cache.store(
          CachedJudgement(
            commit: change.commit, attribution: attribution, findings: result.findings,
            suppressed: result.suppressed, bytesScanned: result.bytesScanned), note: note)
      }
      collector.counted(result.bytesScanned, result.findings.count)
    }

    if pending.count == ids.count {
      let wanted = options.shard == nil ? nil : Set(ids)
      try repository.forEachChange(selection, options: diffOptions, parallelism: options.parallelism) { change in
        if let wanted, let id = change.commit.id, !wanted.contains(id) { return }
        try judge(change)
      }
    } else {
      try forEachChange(of: pending, options: options, judge)
    }
    cache?.flush()
    return collector.results.withLock { $0 }
  }

  /// Reads and judges exactly these commits (the ones the cache did not hold) on several threads,
  /// each with its own handle on the repository (opened with the same quarantine environment).
  private func forEachChange(
    of ids: [String], options: JudgeOptions, _ body: @Sendable (CommitChange) throws -> Void
  ) throws {
    let workers = max(1, min(options.parallelism, ids.count))
    let next = Mutex(0)
    let failure = Mutex<(any Error)?>(nil)
    let gitDirectory = repository.gitDirectory
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      do {
        let repo =
          worker == 0 ? repository : try Repository(path: gitDirectory, environment: options.environment)
        while failure.withLock({ $0 == nil }) {
          let k = next.withLock { n -> Int in
            defer { n += 1 }
            return n
          }
          if k >= ids.count { break }
          let record = try repo.commit(ids[k])
          try body(CommitChange(commit: record, files: try repo.changes(of: record, options: diffOptions)))
        }
      } catch {
        failure.withLock { if $0 == nil { $0 = error } }
      }
    }
    if let error = failure.withLock({ $0 }) { throw error }
  }

  /// In a shallow clone: true when every parent of `commit` is present (its diff is the real one).
  private func parentsPresent(_ commit: CommitRecord) -> Bool {
    commit.parents.allSatisfy { (try? repository.resolveCommit($0)) != nil }
  }

  // MARK: Replay

  /// Whether replay runs here, and how, for these options.
  public func replayTiming(_ options: JudgeOptions) -> ReplayTiming {
    switch options.replay {
    case .on: .sync
    case .off: .off
    case .policy: resolved.replayTiming
    }
  }

  private func skippedReplay(for j: Judged, options: JudgeOptions) -> ReplayOutcome {
    switch replayTiming(options) {
    case .off:
      return ReplayOutcome(status: .skipped, reason: "replay is off at \(resolved.entryPoint.rawValue)")
    case .async where wantsReplay(j):
      return ReplayOutcome(status: .pending, reason: "replay runs after the push (async)")
    default:
      return ReplayOutcome(
        status: .skipped,
        reason: wantsReplay(j) ? "not replayed: only the tip of each range is" : "not replayed: human commit")
    }
  }

  private func wantsReplay(_ j: Judged) -> Bool {
    resolved.policy.replays(agent: decider.judgedAsAgent(j.attribution, authorEmail: j.commit.author.email))
  }

  /// Replays the commits the policy selects (`each` agent commit, or the `tip` of each range) and
  /// returns their outcomes by commit id ("" for the staged index).
  private func replayTargets(
    judged: [Judged], selection: CommitSelection, options: JudgeOptions
  ) throws -> [String: ReplayOutcome] {
    guard replayTiming(options) == .sync else { return [:] }
    let candidates = judged.filter(wantsReplay)
    guard !candidates.isEmpty else { return [:] }
    var targets: [Judged]
    switch resolved.policy.replay.mode {
    case .each:
      targets = candidates
    default:
      let tips = tipIDs(selection: selection, judged: judged)
      targets = candidates.filter { tips.contains($0.commit.id ?? "") }
      if targets.isEmpty, let last = candidates.last { targets = [last] }
    }
    var outcomes: [String: ReplayOutcome] = [:]
    for t in targets {
      outcomes[t.commit.id ?? ""] = replay(commit: t.commit.id, options: options)
    }
    return outcomes
  }

  private func tipIDs(selection: CommitSelection, judged: [Judged]) -> Set<String> {
    switch selection {
    case .updates(let updates):
      return Set(updates.filter { !$0.isDeletion }.compactMap { try? repository.resolveCommit($0.newID) })
    case .staged:
      return [""]
    default:
      return Set(judged.last.flatMap { $0.commit.id }.map { [$0] } ?? [])
    }
  }

  /// Exports the commit's tree (or the index) into a fresh quota'd work dir and runs the build and
  /// test commands in the sandbox. A sandbox that cannot run gives status `error`, never a pass.
  public func replay(commit: String?, options: JudgeOptions) -> ReplayOutcome {
    // Fetch steps reach only the machine's allowed hosts, through the gate's proxy; with an empty
    // allowlist the proxy refuses everything. Build and test steps have no network at all.
    let egress =
      resolved.policy.replay.fetch.isEmpty
      ? nil
      : FetchEgress(
        policy: EgressPolicy(allowedHosts: resolved.machine.proxyAllowedHosts),
        forwarder: forwarder ?? FetchEgress.currentExecutable() ?? "")
    let runner = ReplayRunner(runner: SandboxRunner(policy: sandbox), egress: egress)
    let work: QuotaWorkDir
    do {
      work = try QuotaWorkDir.create(policy: sandbox)
    } catch {
      return ReplayOutcome(status: .error, backend: sandbox.backend.rawValue, reason: error.description)
    }
    defer { work.remove() }
    do {
      if let commit {
        try repository.exportTree(commit: commit, into: work.path)
      } else {
        try repository.exportIndex(into: work.path)
      }
    } catch {
      return ReplayOutcome(
        status: .error, backend: sandbox.backend.rawValue, reason: "could not export the tree: \(error)")
    }
    let steps = replayCommands(in: work.path, options: options)
    return runner.replay(in: work, steps: steps)
  }

  /// Flags first, then the trusted policy, then what the tree's build files suggest.
  public func replayCommands(in dir: String, options: JudgeOptions) -> [ReplayCommand] {
    let replay = resolved.policy.replay
    let fetch = replay.fetch.map { ReplayCommand(kind: .fetch, command: $0, origin: "policy") }
    let steps: [ReplayCommand]
    if !options.buildCommands.isEmpty || !options.testCommands.isEmpty {
      steps =
        options.buildCommands.map { ReplayCommand(kind: .build, command: $0, origin: "flag") }
        + options.testCommands.map { ReplayCommand(kind: .test, command: $0, origin: "flag") }
    } else if replay.hasCommands {
      steps =
        replay.build.map { ReplayCommand(kind: .build, command: $0, origin: "policy") }
        + replay.test.map { ReplayCommand(kind: .test, command: $0, origin: "policy") }
    } else {
      steps = ReplayRunner.detectCommands(in: dir)
    }
    return fetch + steps
  }
}

/// What parallel judging collects: the judgements by commit id and the progress counters.
final class JudgeCollector: Sendable {
  let results = Mutex<[String: Gate.Judged]>([:])
  private let counters = Mutex<(commits: Int, bytes: Int, findings: Int, lastReport: Double)>((0, 0, 0, 0))
  let total: Int
  let start: Date
  let progress: (@Sendable (JudgeProgress) -> Void)?

  init(total: Int, start: Date, progress: (@Sendable (JudgeProgress) -> Void)?) {
    self.total = total
    self.start = start
    self.progress = progress
  }

  var judged: Int { counters.withLock { $0.commits } }

  /// One more commit judged (or taken from the cache); reports progress at most five times a second.
  func counted(_ bytes: Int, _ findings: Int) {
    guard let progress else {
      counters.withLock { $0.commits += 1 }
      return
    }
    let elapsed = Date().timeIntervalSince(start)
    let total = total
    let snapshot: JudgeProgress? = counters.withLock { c in
      c.commits += 1
      c.bytes += bytes
      c.findings += findings
      guard elapsed - c.lastReport >= 0.2 || c.commits == total else { return nil }
      c.lastReport = elapsed
      return JudgeProgress(commits: c.commits, total: total, bytes: c.bytes, findings: c.findings, seconds: elapsed)
    }
    if let snapshot { progress(snapshot) }
  }
}
