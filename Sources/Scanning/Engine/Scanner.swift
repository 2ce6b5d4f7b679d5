// The scanner: keyword prefilter, then the triggered rules' regexes over a file's whole block of
// added (or removed) lines in one pass each, then entropy, allowlists, decoding, suppressions,
// baseline and redaction. Thread-safe: the pipeline calls `scan` from several workers at once.
//
// Per scan call a `PCRE2Scratch` (match data, JIT stack) is taken from a small pool and returned,
// so threads never share mutable PCRE2 state and nothing is allocated per match.

import Dispatch
import GateCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public struct ScanOptions: Sendable {
  /// Findings at or above this severity fail the scan.
  public var failOn: Severity
  /// Severity of `skipped` findings (binary, oversized, submodule, unreadable content).
  public var skippedSeverity: Severity
  public var disabledRules: Set<String>
  public var severityOverrides: [String: Severity]
  /// The policy's global allowlist: paths, regexes (against the secret) and stop words.
  public var allowlist: RuleAllowlist
  /// Honour allow markers that an agent's commit adds (default: no; they are reported instead).
  public var honourAgentAllowMarkers: Bool
  /// Redact matched secrets in findings (first 4 characters and the length).
  public var redact: Bool
  /// How many times encoded text is decoded and rescanned (base64 of hex of ... ).
  public var maxDecodeDepth: Int
  /// Worker threads for plain-file scans and commits with many files.
  public var parallelism: Int
  /// Plain files larger than this are reported as skipped (`skipped-too-large`), not read.
  public var maxFileBytes: Int

  public init(
    failOn: Severity = .medium, skippedSeverity: Severity = .low, disabledRules: Set<String> = [],
    severityOverrides: [String: Severity] = [:], allowlist: RuleAllowlist = .none,
    honourAgentAllowMarkers: Bool = false, redact: Bool = true, maxDecodeDepth: Int = 2,
    parallelism: Int = ScanOptions.defaultParallelism, maxFileBytes: Int = 100 * 1024 * 1024
  ) {
    self.failOn = failOn
    self.skippedSeverity = skippedSeverity
    self.disabledRules = disabledRules
    self.severityOverrides = severityOverrides
    self.allowlist = allowlist
    self.honourAgentAllowMarkers = honourAgentAllowMarkers
    self.redact = redact
    self.maxDecodeDepth = maxDecodeDepth
    self.parallelism = parallelism
    self.maxFileBytes = maxFileBytes
  }

  /// Online processors (at least 1).
  public static var defaultParallelism: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}

public struct ScanResult: Sendable {
  public var findings: [Finding]
  /// Findings dropped by a suppression: inline markers, the baseline, the policy allowlist.
  public var suppressed: Int
  /// Bytes of line content the rules ran over.
  public var bytesScanned: Int

  public init(findings: [Finding] = [], suppressed: Int = 0, bytesScanned: Int = 0) {
    self.findings = findings
    self.suppressed = suppressed
    self.bytesScanned = bytesScanned
  }

  public mutating func merge(_ other: ScanResult) {
    findings += other.findings
    suppressed += other.suppressed
    bytesScanned += other.bytesScanned
  }

  /// True when a finding reaches `level` (the policy's `fail_on`).
  public func fails(at level: Severity) -> Bool { findings.contains { $0.severity >= level } }
}

/// Ids of the engine's own findings.
public enum EngineRuleID {
  public static let suppressionAddedByAgent = "suppression-added-by-agent"
  public static let regexLimit = "skipped-regex-limit"
  public static func skipped(_ reason: SkipReason) -> String { "skipped-\(reason.rawValue)" }
}

/// Fingerprint of a secret for a rule: sha256 of the rule id and the secret, hex. Positions and
/// paths are not part of it, so it survives unrelated edits and moves.
public func secretFingerprint(rule: String, secret: String) -> String {
  SHA256.hex("\(rule)\u{0}\(secret)")
}

public final class Scanner: Sendable {
  public let options: ScanOptions
  let rules: [CompiledRule]
  let changeRules: [any ChangeRule]
  /// `changeRules[i]` as a rule that reads the `AddedWordMasks` of the scan, when it is one.
  let addedLinesRules: [(any AddedLinesChangeRule)?]
  /// The prefilter's entries from `rules.count` on are the `AddedWords` (when a change rule uses
  /// them); entries the automaton cannot hold are always set.
  let addedWordsBase: Int
  let alwaysAddedWords: UInt64
  let alwaysRunRules: [Int]
  let baseline: Baseline?
  let prefilter: KeywordPrefilter
  let globalAllowlist: CompiledAllowlist
  let hasRemovedSideRules: Bool
  let pathOnlyRules: [Int]
  let scratchPairs: Int
  private let scratchPool = Mutex<[PCRE2Scratch]>([])
  /// Hash of every rule id and pattern (plus the engine's version), for verdict caches.
  public let scannerRulesVersion: String

  /// Validates and loads `rules` (disabled ones are left out): kebab-case ids, unique, patterns
  /// that compile, secret groups that exist. Patterns are JIT-compiled later, on first need.
  public init(
    rules: [PatternRule], changeRules: [any ChangeRule] = [], options: ScanOptions = ScanOptions(),
    baseline: Baseline? = nil
  ) throws(ScanError) {
    self.options = options
    var seen = Set<String>()
    var compiled: [CompiledRule] = []
    for rule in rules where !options.disabledRules.contains(rule.id) {
      guard seen.insert(rule.id).inserted else { throw .duplicateRuleID(rule.id) }
      compiled.append(try CompiledRule(rule, severity: options.severityOverrides[rule.id] ?? rule.severity))
    }
    for rule in changeRules where !options.disabledRules.contains(rule.id) {
      guard isKebabCase(rule.id) else { throw .invalidRuleID(rule.id) }
      guard seen.insert(rule.id).inserted else { throw .duplicateRuleID(rule.id) }
    }
    self.rules = compiled
    self.changeRules = changeRules.filter { !options.disabledRules.contains($0.id) }
    self.addedLinesRules = self.changeRules.map { $0 as? any AddedLinesChangeRule }
    self.baseline = baseline
    var keywords = compiled.map { $0.rule.pattern.isEmpty ? ["\u{0}"] : $0.rule.keywords }
    if addedLinesRules.contains(where: { $0 != nil }) { keywords += AddedWords.all.map { [$0] } }
    self.prefilter = KeywordPrefilter(keywords: keywords)
    self.addedWordsBase = compiled.count
    self.alwaysRunRules = prefilter.alwaysRun.filter { $0 < compiled.count }
    self.alwaysAddedWords = prefilter.alwaysRun.filter { $0 >= compiled.count }.reduce(0) {
      $0 | (1 << UInt64($1 - compiled.count))
    }
    self.globalAllowlist = try CompiledAllowlist(options.allowlist, rule: "policy allowlist")
    self.hasRemovedSideRules = compiled.contains { $0.rule.side == .removed }
    self.pathOnlyRules = compiled.indices.filter { compiled[$0].isPathOnly }
    self.scratchPairs = max(16, (compiled.map(\.captureCount).max() ?? 0) + 1)
    var version = SHA256()
    version.update("agentgate-engine/1\n")
    for r in compiled.sorted(by: { $0.rule.id < $1.rule.id }) {
      version.update("\(r.rule.id)\u{0}\(r.rule.pattern)\u{0}\(r.rule.secretGroup)\u{0}\(r.rule.entropy ?? -1)\n")
    }
    for r in self.changeRules.map(\.id).sorted() { version.update("change:\(r)\n") }
    self.scannerRulesVersion = hexString(version.finalize())
  }

  // MARK: Statistics (tests, progress, debugging)

  /// Ids of the rules whose pattern has been JIT-compiled so far (lazy compilation).
  public var compiledRuleIDs: [String] { rules.filter(\.isJITCompiled).map(\.rule.id) }

  /// How many times a rule's regex has run over a block so far.
  public func regexRunCount(rule id: String) -> Int {
    rules.first { $0.rule.id == id }?.regexRuns.load(ordering: .relaxed) ?? 0
  }

  public var ruleCount: Int { rules.count + changeRules.count }

  // MARK: Scratch pool

  func withScratch<T>(_ body: (PCRE2Scratch) throws -> T) rethrows -> T {
    let scratch = scratchPool.withLock { $0.popLast() } ?? PCRE2Scratch(pairs: scratchPairs)
    defer { scratchPool.withLock { if $0.count < 16 { $0.append(scratch) } } }
    return try body(scratch)
  }

  // MARK: Commit changes

  /// Scans one commit (or the staged pseudo-commit): the added lines of every file (and removed
  /// lines for rules that read them), path-only rules, change rules, and a `skipped` finding for
  /// every file whose content was not read.
  /// `spreadFiles: false` keeps the commit on the calling thread: a caller that already judges
  /// several commits at once (a history) gains nothing from nested threads, only their cost.
  public func scan(_ change: CommitChange, isAgent: Bool, spreadFiles: Bool = true) -> ScanResult {
    let commit = change.commit.id
    let files = change.files
    var result = ScanResult()
    var words = AddedWordMasks(masks: [UInt64?](repeating: nil, count: files.count))
    if spreadFiles && files.count >= 8 && options.parallelism > 1 {
      let parts = Mutex<[Int: (ScanResult, UInt64?)]>([:])
      DispatchQueue.concurrentPerform(iterations: files.count) { i in
        let r = withScratch { scanFile(files[i], commit: commit, isAgent: isAgent, scratch: $0) }
        parts.withLock { $0[i] = r }
      }
      let all = parts.withLock { $0 }
      for i in files.indices {
        if let (r, w) = all[i] {
          result.merge(r)
          words.masks[i] = w
        }
      }
    } else {
      withScratch { scratch in
        for (i, file) in files.enumerated() {
          let (r, w) = scanFile(file, commit: commit, isAgent: isAgent, scratch: scratch)
          result.merge(r)
          words.masks[i] = w
        }
      }
    }
    if !changeRules.isEmpty {
      withScratch { scratch in
        for (k, rule) in changeRules.enumerated() {
          let found = addedLinesRules[k].map { $0.evaluate(change, added: words) } ?? rule.evaluate(change)
          for var f in found {
            if let s = options.severityOverrides[f.rule] { f.severity = s }
            if options.disabledRules.contains(f.rule) { continue }
            admit(
              f, secret: nil, match: nil, line: nil, markers: nil, isAgent: isAgent, scratch: scratch, into: &result)
          }
        }
      }
    }
    return result
  }

  /// The file's findings, and the `AddedWords` that may occur in its added lines (nil: not read).
  func scanFile(
    _ file: FileDiff, commit: String?, isAgent: Bool, scratch: PCRE2Scratch
  ) -> (ScanResult, UInt64?) {
    var result = ScanResult()
    if file.status != .deleted {
      pathOnlyFindings(path: file.path, commit: commit, isAgent: isAgent, scratch: scratch, into: &result)
    }
    if let reason = file.skipped {
      admit(
        skippedFinding(reason, path: file.path, commit: commit, blob: file.newBlob, detail: nil), secret: nil,
        match: nil, line: nil, markers: nil, isAgent: isAgent, scratch: scratch, into: &result)
      return (result, nil)
    }
    let lines: LineChanges
    do {
      lines = try file.changes.get()
    } catch {
      admit(
        skippedFinding(.unreadable, path: file.path, commit: commit, blob: file.newBlob, detail: "\(error)"),
        secret: nil, match: nil, line: nil, markers: nil, isAgent: isAgent, scratch: scratch, into: &result)
      return (result, nil)
    }
    let words = scanBlock(
      lines.added, side: .added, path: file.path, commit: commit, isAgent: isAgent, scratch: scratch, into: &result)
    if hasRemovedSideRules {
      scanBlock(
        lines.removed, side: .removed, path: file.path, commit: commit, isAgent: isAgent, scratch: scratch,
        into: &result)
    }
    return (result, words)
  }

  /// Findings of path-only rules (a pattern-less rule reports every file its path filters admit).
  func pathOnlyFindings(
    path: String, commit: String?, isAgent: Bool, scratch: PCRE2Scratch, into result: inout ScanResult
  ) {
    for i in pathOnlyRules where rules[i].applies(to: path, scratch: scratch) {
      let r = rules[i]
      let f = Finding(
        rule: r.rule.id, category: r.rule.category, severity: r.severity, commit: commit, path: path,
        fingerprint: secretFingerprint(rule: r.rule.id, secret: path), match: path, message: r.rule.message)
      admit(f, secret: nil, match: nil, line: nil, markers: nil, isAgent: isAgent, scratch: scratch, into: &result)
    }
  }

  func skippedFinding(_ reason: SkipReason, path: String, commit: String?, blob: String?, detail: String?) -> Finding {
    let id = EngineRuleID.skipped(reason)
    let what: String
    switch reason {
    case .binary: what = "binary content was not scanned"
    case .tooLarge: what = "the file is over the size limit and was not scanned"
    case .submodule: what = "a submodule change: its content was not scanned"
    case .unreadable: what = "the content could not be read" + (detail.map { " (\($0))" } ?? "")
    }
    return Finding(
      rule: id, category: .skipped, severity: options.severityOverrides[id] ?? options.skippedSeverity,
      commit: commit, path: path, fingerprint: secretFingerprint(rule: id, secret: "\(path)\u{0}\(blob ?? "")"),
      match: "", message: "\(what); review it by hand if it may hold a secret")
  }

  // MARK: Blocks

  /// A match before line mapping: the rule, where the secret starts in the scanned buffer, the
  /// secret, the whole match, and the decodings it went through (outermost first).
  struct RawHit {
    var rule: Int
    var offset: Int
    var secret: String
    var match: String
    var encodings: [String]
  }

  /// Scans one block (a file's added or removed lines) and admits its findings. Returns the
  /// `AddedWords` bits that may occur in the block (nil when it was not read).
  @discardableResult
  func scanBlock(
    _ block: LineBlock, side: LineSide, path: String, commit: String?, isAgent: Bool, scratch: PCRE2Scratch,
    into result: inout ScanResult
  ) -> UInt64? {
    guard !block.isEmpty else { return block.bytes.isEmpty ? 0 : nil }
    result.bytesScanned += block.bytes.count
    scratch.blockWords = 0
    var failures: [String] = []
    var pathCache = [Int8](repeating: 0, count: rules.count)
    let hits = block.bytes.withUnsafeBufferPointer { buf in
      if buf.count <= Scanner.windowBytes * 2 {
        return rawHits(
          in: buf, side: side, path: path, depth: 0, scratch: scratch, pathCache: &pathCache, failures: &failures)
      }
      return windowedHits(in: buf, side: side, path: path, scratch: scratch, failures: &failures)
    }
    var seen = Set<String>()
    var markerCache: [Int: AllowMarkers] = [:]
    func markers(_ idx: Int) -> AllowMarkers {
      if let m = markerCache[idx] { return m }
      let m = AllowMarkers(line: block.bytes[block.range(ofLine: idx)])
      markerCache[idx] = m
      return m
    }
    for hit in hits.sorted(by: { ($0.offset, $0.rule) < ($1.offset, $1.rule) }) {
      let idx = block.lineIndex(containing: hit.offset)
      let number = Int(block.numbers[idx])
      let column = hit.offset - Int(block.starts[idx]) + 1
      let rule = rules[hit.rule]
      guard seen.insert("\(hit.rule)\u{0}\(idx)\u{0}\(column)\u{0}\(hit.secret)").inserted else { continue }
      var message = rule.rule.message
      if !hit.encodings.isEmpty { message += " (in \(hit.encodings.joined(separator: " in "))-encoded text)" }
      let f = Finding(
        rule: rule.rule.id, category: rule.rule.category, severity: rule.severity, commit: commit, path: path,
        line: number, column: column, fingerprint: secretFingerprint(rule: rule.rule.id, secret: hit.secret),
        match: options.redact ? Redaction.redact(hit.secret) : hit.secret, message: message)
      // Markers: on the line itself, or a next-line marker on the previous added line.
      var marker: (line: Int, column: Int)?
      if let at = markers(idx).sameLine {
        marker = (number, at + 1)
      } else if idx > 0, Int(block.numbers[idx - 1]) == number - 1, let at = markers(idx - 1).nextLine {
        marker = (number - 1, at + 1)
      }
      admit(
        f, secret: hit.secret, match: hit.match, line: block.text(ofLine: idx), markers: marker, isAgent: isAgent,
        scratch: scratch, into: &result)
    }
    let limitID = EngineRuleID.regexLimit
    for ruleID in Set(failures).sorted() where !options.disabledRules.contains(limitID) {
      let id = limitID
      result.findings.append(
        Finding(
          rule: id, category: .skipped, severity: options.severityOverrides[id] ?? options.skippedSeverity,
          commit: commit, path: path, fingerprint: secretFingerprint(rule: id, secret: "\(path)\u{0}\(ruleID)"),
          match: "",
          message: "rule '\(ruleID)' hit the regex engine's limit on this file, so it was not fully scanned; "
            + "review it by hand"))
    }
    return scratch.blockWords
  }

  /// Large blocks are cut into windows of whole lines (64 KiB, overlapping by 8 KiB so a match
  /// up to that long, such as a PEM key, is seen whole in one window). Each window gets its own
  /// keyword prefilter, so a rule's regex runs only near its keywords; windows of blocks over
  /// 4 MiB are spread over `parallelism` threads.
  static let windowBytes = 64 * 1024
  static let windowOverlap = 8 * 1024
  static let parallelBlockBytes = 4 * 1024 * 1024

  static func windows(_ buf: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = 0
    let n = buf.count
    while start < n {
      var end = min(n, start + windowBytes)
      while end < n, buf[end - 1] != 0x0A { end += 1 }
      out.append(start..<end)
      if end >= n { break }
      // Next window: the first line start at or after `end - overlap`, and past `start`.
      var next = max(start + 1, end - windowOverlap)
      while next < end, buf[next - 1] != 0x0A { next += 1 }
      start = next
    }
    return out
  }

  func windowedHits(
    in buf: UnsafeBufferPointer<UInt8>, side: LineSide, path: String, scratch: PCRE2Scratch,
    failures: inout [String]
  ) -> [RawHit] {
    let windows = Scanner.windows(buf)
    func run(
      _ range: Range<Int>, _ scratch: PCRE2Scratch, _ cache: inout [Int8], _ failed: inout [String]
    )
      -> [RawHit]
    {
      rawHits(
        in: UnsafeBufferPointer(rebasing: buf[range]), side: side, path: path, depth: 0, scratch: scratch,
        pathCache: &cache, failures: &failed
      ).map {
        var h = $0
        h.offset += range.lowerBound
        return h
      }
    }
    let workers = min(options.parallelism, windows.count)
    if buf.count < Scanner.parallelBlockBytes || workers < 2 {
      var cache = [Int8](repeating: 0, count: rules.count)
      return windows.flatMap { run($0, scratch, &cache, &failures) }
    }
    let parts = Mutex<[(hits: [RawHit], failures: [String], words: UInt64)]>([])
    let next = Atomic<Int>(0)
    nonisolated(unsafe) let base = buf
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      withScratch { scratch in
        scratch.blockWords = 0
        var cache = [Int8](repeating: 0, count: rules.count)
        var hits: [RawHit] = []
        var failed: [String] = []
        while true {
          let i = next.add(1, ordering: .relaxed).oldValue
          if i >= windows.count { break }
          hits += rawHits(
            in: UnsafeBufferPointer(rebasing: base[windows[i]]), side: side, path: path, depth: 0, scratch: scratch,
            pathCache: &cache, failures: &failed
          ).map {
            var h = $0
            h.offset += windows[i].lowerBound
            return h
          }
        }
        parts.withLock { $0.append((hits, failed, scratch.blockWords)) }
      }
    }
    let all = parts.withLock { $0 }
    failures += all.flatMap(\.failures)
    for part in all { scratch.blockWords |= part.words }
    return all.flatMap(\.hits)
  }

  /// The matches of every triggered rule in `buf`, then of the decoded text of encoded runs.
  ///
  /// One pass of the keyword automaton over `buf` finds, for each rule, the lines where one of its
  /// keywords occurs; the rule's regex then runs only over those lines (consecutive hit lines as
  /// one region). A rule whose pattern can cross a line break (`\n`, `\R`, `[\s\S]`, `(?s)`)
  /// gets its region extended by up to `windowOverlap` bytes of following lines; rules without
  /// keywords run over the whole buffer.
  func rawHits(
    in buf: UnsafeBufferPointer<UInt8>, side: LineSide, path: String, depth: Int, scratch: PCRE2Scratch,
    pathCache: inout [Int8], failures: inout [String]
  ) -> [RawHit] {
    var hits: [RawHit] = []
    let n = buf.count
    let words = collectKeywordLines(buf, scratch: scratch)
    if depth == 0 { scratch.blockWords |= words }
    for i in alwaysRunRules { scratch.hits.append((Int32(i), 0, Int32(n))) }
    if scratch.hits.count > 1 {
      scratch.hits.sort { ($0.rule, $0.start) < ($1.rule, $1.start) }
    }
    var k = 0
    let count = scratch.hits.count
    while k < count {
      let i = Int(scratch.hits[k].rule)
      var j = k + 1
      while j < count, Int(scratch.hits[j].rule) == i { j += 1 }
      let first = k
      k = j
      let rule = rules[i]
      guard rule.rule.side == side, !rule.isPathOnly else { continue }
      if pathCache[i] == 0 { pathCache[i] = rule.applies(to: path, scratch: scratch) ? 1 : 2 }
      guard pathCache[i] == 1, let regex = rule.readyRegex() else { continue }
      rule.regexRuns.add(1, ordering: .relaxed)
      // Regions: consecutive or overlapping hit lines merged.
      var regionStart = -1
      var regionEnd = -1
      var failed = false
      func runRegion() {
        guard regionStart >= 0, !failed else { return }
        do {
          try matchRegion(
            regex, rule: rule, index: i, buf: buf, range: regionStart..<regionEnd, path: path, scratch: scratch,
            into: &hits)
        } catch {
          failures.append(rule.rule.id)
          failed = true
        }
      }
      for h in first..<j {
        let s = Int(scratch.hits[h].start)
        var e = Int(scratch.hits[h].end)
        if rule.spansLines && e < n {
          e = min(n, e + Scanner.windowOverlap)
          while e < n, buf[e] != 0x0A { e += 1 }
        }
        if regionStart >= 0 && s <= regionEnd + 1 {
          regionEnd = max(regionEnd, e)
        } else {
          runRegion()
          regionStart = s
          regionEnd = e
        }
      }
      runRegion()
    }
    if depth < options.maxDecodeDepth {
      for segment in Decoder.segments(in: buf) {
        let inner = segment.decoded.withUnsafeBufferPointer { d in
          rawHits(
            in: d, side: side, path: path, depth: depth + 1, scratch: scratch, pathCache: &pathCache,
            failures: &failures)
        }
        for h in inner {
          hits.append(
            RawHit(
              rule: h.rule, offset: segment.offset, secret: h.secret, match: h.match,
              encodings: [segment.kind.rawValue] + h.encodings))
        }
      }
    }
    return hits
  }

  /// Fills `scratch.hits` with (rule, line start, line end) for every line of `buf` holding one of
  /// a rule's keywords, once per rule and line, in order of position. Line end is the offset of
  /// the line's newline (or `buf.count`). Returns the `AddedWords` bits found in `buf` (those
  /// the automaton cannot hold always set).
  @discardableResult
  func collectKeywordLines(_ buf: UnsafeBufferPointer<UInt8>, scratch: PCRE2Scratch) -> UInt64 {
    scratch.hits.removeAll(keepingCapacity: true)
    if scratch.hitStamp.count != rules.count {
      scratch.hitStamp = [UInt32](repeating: 0, count: rules.count)
      scratch.hitLine = [Int32](repeating: 0, count: rules.count)
      scratch.stamp = 0
    }
    scratch.stamp &+= 1
    if scratch.stamp == 0 {
      for r in scratch.hitStamp.indices { scratch.hitStamp[r] = 0 }
      scratch.stamp = 1
    }
    let stamp = scratch.stamp
    let n = buf.count
    var lineStart = 0
    var lineEnd = -1
    var hits = scratch.hits
    scratch.hits = []
    var words = alwaysAddedWords
    let base = addedWordsBase
    var pending = scratch.pendingHits
    scratch.pendingHits = []
    scratch.hitStamp.withUnsafeMutableBufferPointer { stamps in
      scratch.hitLine.withUnsafeMutableBufferPointer { lines in
        prefilter.forEachHit(buf, pending: &pending) { r, p in
          if r >= base {
            words |= 1 << UInt64(r - base)
            return
          }
          if p > lineEnd || p < lineStart {
            var s = p
            while s > 0, buf[s - 1] != 0x0A { s -= 1 }
            var e = p
            while e < n, buf[e] != 0x0A { e += 1 }
            lineStart = s
            lineEnd = e
          }
          if stamps[r] == stamp && Int(lines[r]) == lineStart { return }
          stamps[r] = stamp
          lines[r] = Int32(lineStart)
          hits.append((Int32(r), Int32(lineStart), Int32(lineEnd)))
        }
      }
    }
    scratch.hits = hits
    scratch.pendingHits = pending
    return words
  }

  /// Runs one rule's regex over `range` of `buf` and records its admitted matches: the secret
  /// group, entropy (on the candidate's bytes, before any string is made), then the allowlists.
  func matchRegion(
    _ regex: PCRE2Regex, rule: CompiledRule, index i: Int, buf: UnsafeBufferPointer<UInt8>, range: Range<Int>,
    path: String, scratch: PCRE2Scratch, into hits: inout [RawHit]
  ) throws(PCRE2Failure) {
    let group = rule.rule.secretGroup
    try regex.forEachMatch(in: buf, range: range, scratch: scratch) { groups in
      guard let whole = groups[0] else { return true }
      var range: Range<Int>?
      if group == -1 {
        range = groups.dropFirst().first { $0 != nil } ?? whole
      } else {
        range = group < groups.count ? groups[group] : nil
      }
      guard let range, !range.isEmpty else { return true }
      let secretBytes = UnsafeBufferPointer(rebasing: buf[range])
      if let minimum = rule.rule.entropy, shannonEntropy(secretBytes) < minimum { return true }
      let secret = String(decoding: secretBytes, as: UTF8.self)
      let match = String(decoding: UnsafeBufferPointer(rebasing: buf[whole]), as: UTF8.self)
      if !rule.allowlists.isEmpty {
        var ls = range.lowerBound
        while ls > 0, buf[ls - 1] != 0x0A { ls -= 1 }
        var le = range.upperBound
        while le < buf.count, buf[le] != 0x0A { le += 1 }
        let line = String(decoding: UnsafeBufferPointer(rebasing: buf[ls..<le]), as: UTF8.self)
        if rule.allows(secret: secret, match: match, line: line, path: path, scratch: scratch) { return true }
      }
      hits.append(RawHit(rule: i, offset: range.lowerBound, secret: secret, match: match, encodings: []))
      return true
    }
  }

  // MARK: Suppression

  /// Applies the policy allowlist, the baseline and allow markers, then records the finding.
  func admit(
    _ finding: Finding, secret: String?, match: String?, line: String?, markers: (line: Int, column: Int)?,
    isAgent: Bool, scratch: PCRE2Scratch, into result: inout ScanResult
  ) {
    // A rule the policy disabled reports nothing (engine findings such as `skipped-binary` too).
    if options.disabledRules.contains(finding.rule) { return }
    if !globalAllowlist.isEmpty,
      globalAllowlist.allows(secret: secret, match: match, line: line, path: finding.path, scratch: scratch)
    {
      result.suppressed += 1
      return
    }
    if let baseline, baseline.contains(finding.fingerprint, path: finding.path) {
      result.suppressed += 1
      return
    }
    if let marker = markers {
      if isAgent && !options.honourAgentAllowMarkers {
        result.findings.append(finding)
        let id = EngineRuleID.suppressionAddedByAgent
        if !options.disabledRules.contains(id) {
          result.findings.append(
            Finding(
              rule: id, category: .risk, severity: options.severityOverrides[id] ?? .medium, commit: finding.commit,
              path: finding.path, line: marker.line, column: marker.column,
              fingerprint: secretFingerprint(rule: id, secret: finding.fingerprint), match: "allow marker",
              message:
                "an agent's commit added an allow marker next to a '\(finding.rule)' finding; it is not honoured "
                + "for agent commits: remove the secret, or have a person add the marker or a baseline entry"))
        }
      } else {
        result.suppressed += 1
      }
      return
    }
    result.findings.append(finding)
  }
}

/// Findings of one rule on one of its examples: the example's text scanned alone, at its path
/// (`example.txt` when none), with only that rule (entropy and allowlists applied). For the rule
/// sets' parameterized tests.
public func ruleExampleFindings(_ rule: PatternRule, _ example: RuleExample) throws -> [Finding] {
  let scanner = try Scanner(rules: [rule], changeRules: [], options: ScanOptions(parallelism: 1), baseline: nil)
  return scanner.scanText(example.text, path: example.path ?? "example.txt").findings
}

extension Scanner {
  /// Scans `text` as the added content of a file at `path` (all lines numbered from 1).
  public func scanText(_ text: String, path: String, commit: String? = nil, isAgent: Bool = false) -> ScanResult {
    let block = lineBlock(Array(text.utf8), firstLine: 1)
    var result = ScanResult()
    withScratch { scratch in
      scanBlock(block, side: .added, path: path, commit: commit, isAgent: isAgent, scratch: scratch, into: &result)
    }
    return result
  }
}

/// A block of every line in `bytes` (a trailing newline does not start an empty last line).
func lineBlock(_ bytes: [UInt8], firstLine: Int) -> LineBlock {
  var starts: [Int32] = [0]
  var numbers: [Int32] = [Int32(firstLine)]
  var content = bytes
  if content.last == 0x0A { content.removeLast() }
  var n = Int32(firstLine)
  content.withUnsafeBufferPointer { buf in
    for i in 0..<buf.count where buf[i] == 0x0A {
      n += 1
      starts.append(Int32(i + 1))
      numbers.append(n)
    }
  }
  return LineBlock(bytes: content, starts: starts, numbers: numbers)
}
