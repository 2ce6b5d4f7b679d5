// The verdict cache: a commit's judgement (its record, attribution and scan findings: the parts of
// a verdict that do not depend on the ref, the replay or the entry point) kept in the repository's
// git dir, so pre-receive, post-receive's background job and repeated CI runs judge a commit once.
//
// Design notes:
// - Keyed by commit id, the git-ai note's digest (notes can change without the commit changing), and
//   a context digest: the resolved policy's canonical bytes plus the rules version (every rule's
//   content, extra rules files included, the baseline, redaction, the agentgate version and the
//   running binary's identity). A different policy or rule set lives in another folder and never
//   matches.
// - Content-addressed, so caching a commit's judgement is sound whether or not its push is accepted.
//   Only complete judgements are stored: never one with unreadable content or a pattern that gave
//   up at its match limit, never a commit at a shallow boundary (its diff would change once the
//   clone is deepened), never "could not decide" (judging throws then, and nothing is stored).
// - A run's new entries go into one segment file (a file per entry cost a second of file-system
//   time on a 1,000-commit push), written to a temp file and renamed into place. The segment's
//   header carries a SHA-256 of its index; each index line names a commit, its note digest, where
//   its entry lies and the entry's SHA-256; each entry repeats its key. A bad segment or entry (torn,
//   edited, another key) is a miss: the commit is judged again and stored in a newer segment, which
//   lookups read first. The checksums catch corruption, not a writer with access to the git dir (who
//   could as well edit the hooks).
// - Bounded: segments are at most a sixteenth of the cap; after a run that stored entries, the
//   oldest segments are removed until the cache is under three quarters of its cap.
// - A cache that cannot be written (a read-only repository) is skipped, never an error.

import Attribution
import Foundation
import GateCore
import Scanning
import Synchronization

/// What one judgement run did with the cache.
public struct CacheStats: Sendable, Equatable, CustomStringConvertible {
  public var hits = 0
  public var misses = 0
  public var stored = 0
  /// Entries that existed but were unreadable, failed their checksum or carried another key.
  public var corrupt = 0
  public var evicted = 0
  public var writeFailures = 0

  public init() {}

  public var description: String {
    var s = "\(hits) hit\(hits == 1 ? "" : "s"), \(misses) miss\(misses == 1 ? "" : "es"), \(stored) stored"
    if corrupt > 0 { s += ", \(corrupt) bad entr\(corrupt == 1 ? "y" : "ies") ignored" }
    if evicted > 0 { s += ", \(evicted) evicted" }
    if writeFailures > 0 { s += ", \(writeFailures) not written (the cache folder is not writable)" }
    return s
  }
}

/// The cached part of one commit's judgement.
public struct CachedJudgement: Sendable, Codable, Equatable {
  public var commit: CommitRecord
  public var attribution: Attribution
  public var findings: [Finding]
  public var suppressed: Int
  public var bytesScanned: Int

  public init(commit: CommitRecord, attribution: Attribution, findings: [Finding], suppressed: Int, bytesScanned: Int) {
    self.commit = commit
    self.attribution = attribution
    self.findings = findings
    self.suppressed = suppressed
    self.bytesScanned = bytesScanned
  }

  /// False for judgements that must be made again next time: content that could not be read, or a
  /// pattern that gave up at its match limit.
  public var isComplete: Bool {
    !findings.contains { $0.rule == EngineRuleID.skipped(.unreadable) || $0.rule == EngineRuleID.regexLimit }
  }
}

public final class VerdictCache: Sendable {
  public static let defaultMaxBytes = 64 << 20
  static let schema = "agentgate-verdict-cache/2"

  /// The cache's root folder (all contexts).
  public let directory: String
  /// Digest of the policy and the rules version: entries of another context never match.
  public let context: String
  public let maxBytes: Int
  /// A segment is written when this many bytes of new entries are buffered (and at `flush`).
  let segmentBytes: Int
  private let counters = Mutex(CacheStats())
  private let buffer = Mutex<(index: [String], bodies: [Data], bytes: Int)>(([], [], 0))

  /// `policyDigest`: SHA-256 of the resolved policy's canonical bytes; `rulesVersion`: see
  /// `RuleSet.version`.
  public init(directory: String, policyDigest: String, rulesVersion: String, maxBytes: Int = defaultMaxBytes) {
    self.directory = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    self.context = SHA256.hex("policy \(policyDigest)\nrules \(rulesVersion)\n")
    self.maxBytes = max(maxBytes, 4096)
    self.segmentBytes = max(self.maxBytes / 16, 1024)
  }

  /// The cache of a repository: `GIT_DIR/agentgate/cache`.
  public static func directory(gitDirectory: String) -> String {
    (gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/") + "agentgate/cache"
  }

  /// Counts since this cache object was made.
  public var stats: CacheStats { counters.withLock { $0 } }

  var contextDirectory: String { "\(directory)/v2/\(context.prefix(32))" }

  /// The digest of a commit's note ("-" when it has none).
  public static func noteDigest(_ note: String?) -> String { note.map { SHA256.hex($0) } ?? "-" }

  private struct Entry: Codable {
    var commit: String
    var context: String
    var note: String
    var judgement: CachedJudgement
  }

  // MARK: Reading

  /// The cached judgements of these commits (id to note), newest segment first. What is absent or
  /// bad is a miss; a bad entry or segment is counted as corrupt and never trusted.
  public func lookup(_ wanted: [String: String?]) -> [String: CachedJudgement] {
    var corrupt = 0
    let keys = Dictionary(uniqueKeysWithValues: wanted.map { ($0.key, Self.noteDigest($0.value)) })
    // First the indexes, newest segment first, until every commit has a candidate entry (only the
    // header and index of each segment are read) ...
    var candidates: [String: [(file: SegmentFile, line: IndexLine)]] = [:]
    for name in segments().reversed() where candidates.count < keys.count {
      guard let file = SegmentFile(path: "\(contextDirectory)/\(name)") else { continue }
      guard let index = file.index() else {
        corrupt += 1
        continue
      }
      for line in index where keys[line.commit] == line.note {
        candidates[line.commit, default: []].append((file, line))
      }
    }
    // ... then the entries, checked and decoded on every core; the first sound one wins.
    let commits = Array(candidates.keys)
    let sources = candidates
    let results = Mutex<(found: [String: CachedJudgement], corrupt: Int)>(([:], corrupt))
    let context = context
    DispatchQueue.concurrentPerform(iterations: min(commits.count, 64)) { worker in
      for k in stride(from: worker, to: commits.count, by: min(commits.count, 64)) {
        let commit = commits[k]
        var bad = 0
        var judgement: CachedJudgement?
        for (file, line) in sources[commit] ?? [] {
          guard let bytes = file.entry(offset: line.offset, length: line.length), SHA256.hex(bytes) == line.checksum,
            let entry = try? JSONDecoder().decode(Entry.self, from: bytes),
            entry.commit == commit, entry.context == context, entry.note == line.note,
            entry.judgement.commit.id == commit
          else {
            bad += 1
            continue
          }
          judgement = entry.judgement
          break
        }
        results.withLock {
          $0.corrupt += bad
          if let judgement { $0.found[commit] = judgement }
        }
      }
    }
    let (found, totalCorrupt) = results.withLock { ($0.found, $0.corrupt) }
    counters.withLock {
      $0.hits += found.count
      $0.misses += wanted.count - found.count
      $0.corrupt += totalCorrupt
    }
    return found
  }

  struct IndexLine: Sendable {
    var commit: String
    var note: String
    var offset: Int
    var length: Int
    var checksum: String
  }

  /// A segment open for reading: header `SCHEMA INDEX-BYTES INDEX-SHA256`, then index lines
  /// `COMMIT NOTE OFFSET LENGTH SHA256`, then the entries. Read with pread, so a damaged or short
  /// file is a miss, never a crash.
  /// Shared by the decoding threads once `index()` has run (pread needs no lock).
  final class SegmentFile: @unchecked Sendable {
    let fd: Int32
    private(set) var bodyStart = 0

    init?(path: String) {
      fd = open(path, O_RDONLY | O_CLOEXEC)
      if fd < 0 { return nil }
    }

    deinit { close(fd) }

    func read(at offset: Int, count: Int) -> Data? {
      guard offset >= 0, count >= 0, count <= 1 << 30 else { return nil }
      var data = Data(count: count)
      var done = 0
      let ok = data.withUnsafeMutableBytes { raw -> Bool in
        while done < count {
          let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
          if n < 0 && errno == EINTR { continue }
          guard n > 0 else { return false }
          done += n
        }
        return true
      }
      return ok ? data : nil
    }

    /// The index, nil when the header or the index is damaged.
    func index() -> [IndexLine]? {
      var head = Data()
      var newline: Int?
      while newline == nil && head.count < 512 {
        guard let more = read(at: head.count, count: 128) ?? partial(at: head.count), !more.isEmpty else { return nil }
        head.append(more)
        newline = head.firstIndex(of: 0x0A)
      }
      guard let newline else { return nil }
      let header = String(decoding: head[..<newline], as: UTF8.self).split(separator: " ")
      guard header.count == 3, header[0] == VerdictCache.schema, let size = Int(header[1]), size >= 0,
        let indexData = read(at: newline + 1, count: size), SHA256.hex(indexData) == header[2]
      else { return nil }
      bodyStart = newline + 1 + size
      var lines: [IndexLine] = []
      for raw in String(decoding: indexData, as: UTF8.self).split(separator: "\n") {
        let f = raw.split(separator: " ")
        guard f.count == 5, let offset = Int(f[2]), let length = Int(f[3]) else { return nil }
        lines.append(
          IndexLine(commit: String(f[0]), note: String(f[1]), offset: offset, length: length, checksum: String(f[4])))
      }
      return lines
    }

    /// What is left of a file shorter than a full read.
    private func partial(at offset: Int) -> Data? {
      var buffer = [UInt8](repeating: 0, count: 128)
      let n = pread(fd, &buffer, buffer.count, off_t(offset))
      return n > 0 ? Data(buffer[0..<n]) : nil
    }

    func entry(offset: Int, length: Int) -> Data? {
      guard offset >= 0, length > 0 else { return nil }
      return read(at: bodyStart + offset, count: length)
    }
  }

  /// Segment file names of this context, oldest first (names start with a zero-padded time).
  private func segments() -> [String] {
    list(contextDirectory).filter { $0.hasPrefix("seg-") }.sorted()
  }

  // MARK: Writing

  /// Buffers a complete judgement (incomplete ones are left out); a segment is written when the
  /// buffer is full and at `flush`. Failures to write are counted, not thrown.
  public func store(_ judgement: CachedJudgement, note: String?) {
    guard let id = judgement.commit.id, judgement.isComplete else { return }
    let digest = Self.noteDigest(note)
    guard let body = try? JSONEncoder().encode(Entry(commit: id, context: context, note: digest, judgement: judgement))
    else {
      counters.withLock { $0.writeFailures += 1 }
      return
    }
    let line = "\(id) \(digest) \(body.count) \(SHA256.hex(body))"
    let full: (index: [String], bodies: [Data], bytes: Int)? = buffer.withLock { b in
      b.index.append(line)
      b.bodies.append(body)
      b.bytes += body.count + line.utf8.count
      guard b.bytes >= segmentBytes else { return nil }
      defer { b = ([], [], 0) }
      return b
    }
    if let full { writeSegment(full.index, full.bodies) }
  }

  /// Writes what is buffered as one segment, then keeps the cache under its cap.
  public func flush() {
    let pending = buffer.withLock { b -> (index: [String], bodies: [Data], bytes: Int) in
      defer { b = ([], [], 0) }
      return b
    }
    if !pending.index.isEmpty { writeSegment(pending.index, pending.bodies) }
    if stats.stored > 0 { evictIfNeeded() }
  }

  /// One segment: the index with each entry's offset, then the entries; written to a temp file and
  /// renamed into place, so a reader sees no segment or the whole of it.
  private func writeSegment(_ lines: [String], _ bodies: [Data]) {
    var offset = 0
    var index = ""
    for (line, body) in zip(lines, bodies) {
      // `ID NOTE LENGTH SHA` becomes `ID NOTE OFFSET LENGTH SHA`.
      let f = line.split(separator: " ", maxSplits: 2)
      index += "\(f[0]) \(f[1]) \(offset) \(f[2])\n"
      offset += body.count
    }
    var data = Data("\(Self.schema) \(index.utf8.count) \(SHA256.hex(index))\n".utf8)
    data.append(Data(index.utf8))
    for body in bodies { data.append(body) }
    let now = Date().timeIntervalSince1970
    let name = "seg-" + String(format: "%017.6f", now) + "-\(getpid())-" + UUID().uuidString.prefix(8)
    if writeAtomically(data, to: "\(contextDirectory)/\(name)") {
      counters.withLock { $0.stored += lines.count }
    } else {
      counters.withLock { $0.writeFailures += lines.count }
    }
  }

  private func writeAtomically(_ data: Data, to path: String) -> Bool {
    let folder = (path as NSString).deletingLastPathComponent
    guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil else {
      return false
    }
    var template = Array("\(folder)/.tmp-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { return false }
    let temp = String(cString: template)
    let written = data.withUnsafeBytes { raw -> Bool in
      var offset = 0
      while offset < raw.count {
        let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        offset += n
      }
      return true
    }
    fchmod(fd, 0o644)
    let closed = close(fd) == 0
    guard written, closed, rename(temp, path) == 0 else {
      unlink(temp)
      return false
    }
    return true
  }

  /// Keeps the cache under its cap: when it is over, the oldest segments (of any context) go until
  /// it is under three quarters of it. Leftover temp files older than an hour go too.
  public func evictIfNeeded() {
    var files: [(path: String, size: Int, time: Double)] = []
    var total = 0
    let now = Date().timeIntervalSince1970
    for version in list(directory) {
      for context in list("\(directory)/\(version)") {
        let folder = "\(directory)/\(version)/\(context)"
        for name in list(folder) {
          let path = "\(folder)/\(name)"
          var st = stat()
          guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
          let time = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
          if name.hasPrefix(".tmp-") {
            if now - time > 3600 { unlink(path) }
            continue
          }
          files.append((path, Int(st.st_size), time))
          total += Int(st.st_size)
        }
      }
    }
    guard total > maxBytes else { return }
    files.sort { ($0.time, $0.path) < ($1.time, $1.path) }
    var removed = 0
    for f in files where total > maxBytes * 3 / 4 {
      if unlink(f.path) == 0 {
        total -= f.size
        removed += 1
      }
    }
    counters.withLock { $0.evicted += removed }
  }

  private func list(_ folder: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
  }
}

extension RuleSet {
  /// The rules version a cache entry is valid for: every line rule's content (extra rules files
  /// included), the change rules, the agent rules, the baseline, redaction, the agentgate version
  /// and the running binary's size and modification time (a rebuilt binary may judge differently).
  public static func version(lineRules: [PatternRule], baseline: [UInt8]?, redact: Bool) -> String {
    var h = SHA256()
    h.update("agentgate \(AgentGateVersion.string)\n\(buildIdentity())\nredact \(redact)\n")
    for r in lineRules {
      h.update(
        [
          r.id, r.category.rawValue, r.severity.rawValue, r.keywords.joined(separator: "\u{1}"), r.pattern,
          "\(r.secretGroup)", r.entropy.map { "\($0)" } ?? "-", r.paths.joined(separator: "\u{1}"),
          ([r.allowlist] + r.extraAllowlists).map(fingerprint).joined(separator: "\u{2}"), r.side.rawValue, r.message,
        ].joined(separator: "\u{0}") + "\n")
    }
    for r in changeRules { h.update("change \(r.id) \(r.severity.rawValue)\n") }
    for m in agentRulesMetadata { h.update("agent \(m.id) \(m.description)\n") }
    h.update("baseline \(baseline.map { SHA256.hex($0) } ?? "-")\n")
    return hexString(h.finalize())
  }

  /// An allowlist's content, for the rules version (no reflection: it runs on every hook).
  static func fingerprint(_ a: RuleAllowlist) -> String {
    [
      a.regexes.joined(separator: "\u{1}"), a.stopwords.joined(separator: "\u{1}"), a.paths.joined(separator: "\u{1}"),
      a.regexTarget.rawValue, a.requiresAll ? "all" : "any",
    ].joined(separator: "\u{3}")
  }

  /// The running executable's size and modification time.
  static func buildIdentity() -> String {
    var st = stat()
    guard stat("/proc/self/exe", &st) == 0 else { return "build unknown" }
    return "build \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
  }
}
