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
//   Only complete judgements are stored: never one with unreadable content, never a commit at a
//   shallow boundary (its diff would change once the clone is deepened), never "could not decide"
//   (judging throws then, and nothing is stored).
// - Each entry is one file, written to a temp file and renamed into place; its first line carries a
//   SHA-256 of the body, and the body repeats the key. A bad entry (torn, edited, another key) is a
//   miss: the commit is judged again and the entry replaced. The checksum catches corruption, not a
//   writer with access to the git dir (who could as well edit the hooks).
// - Bounded: after a run that stored entries, the oldest entries (by write time) are removed until
//   the cache is under three quarters of its size cap.
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

  /// False for judgements that must be made again next time: content that could not be read.
  public var isComplete: Bool {
    !findings.contains { $0.rule == EngineRuleID.skipped(.unreadable) || $0.rule == EngineRuleID.regexLimit }
  }
}

public final class VerdictCache: Sendable {
  public static let defaultMaxBytes = 64 << 20
  static let schema = "agentgate-verdict-cache/1"

  /// The cache's root folder (all contexts).
  public let directory: String
  /// Digest of the policy and the rules version: entries of another context never match.
  public let context: String
  public let maxBytes: Int
  private let counters = Mutex(CacheStats())

  /// `policyDigest`: SHA-256 of the resolved policy's canonical bytes; `rulesVersion`: see
  /// `RuleSet.version`.
  public init(directory: String, policyDigest: String, rulesVersion: String, maxBytes: Int = defaultMaxBytes) {
    self.directory = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    self.context = SHA256.hex("policy \(policyDigest)\nrules \(rulesVersion)\n")
    self.maxBytes = max(maxBytes, 4096)
  }

  /// The cache of a repository: `GIT_DIR/agentgate/cache`.
  public static func directory(gitDirectory: String) -> String {
    (gitDirectory.hasSuffix("/") ? gitDirectory : gitDirectory + "/") + "agentgate/cache"
  }

  /// Counts since this cache object was made.
  public var stats: CacheStats { counters.withLock { $0 } }

  var contextDirectory: String { "\(directory)/v1/\(context.prefix(32))" }

  func entryPath(commit: String, noteDigest: String) -> String {
    "\(contextDirectory)/\(commit.prefix(2))/\(commit)-\(noteDigest.prefix(16))"
  }

  /// The digest of a commit's note ("-" when it has none).
  public static func noteDigest(_ note: String?) -> String { note.map { SHA256.hex($0) } ?? "-" }

  private struct Entry: Codable {
    var commit: String
    var context: String
    var note: String
    var judgement: CachedJudgement
  }

  /// The cached judgement of `commit`, or nil (a miss; a bad entry counts as corrupt).
  public func lookup(commit: String, note: String?) -> CachedJudgement? {
    let digest = Self.noteDigest(note)
    let path = entryPath(commit: commit, noteDigest: digest)
    guard let data = FileManager.default.contents(atPath: path) else {
      counters.withLock { $0.misses += 1 }
      return nil
    }
    guard let entry = decode(data), entry.commit == commit, entry.context == context, entry.note == digest,
      entry.judgement.commit.id == commit
    else {
      counters.withLock {
        $0.corrupt += 1
        $0.misses += 1
      }
      return nil
    }
    counters.withLock { $0.hits += 1 }
    return entry.judgement
  }

  private func decode(_ data: Data) -> Entry? {
    guard let newline = data.firstIndex(of: 0x0A) else { return nil }
    let header = String(decoding: data[data.startIndex..<newline], as: UTF8.self).split(separator: " ")
    guard header.count == 2, header[0] == Self.schema else { return nil }
    let body = data[(newline + 1)...]
    guard SHA256.hex(body) == header[1] else { return nil }
    return try? JSONDecoder().decode(Entry.self, from: body)
  }

  /// Stores a complete judgement (incomplete ones are left out); failures to write are counted, not thrown.
  public func store(_ judgement: CachedJudgement, note: String?) {
    guard let id = judgement.commit.id, judgement.isComplete else { return }
    let digest = Self.noteDigest(note)
    let entry = Entry(commit: id, context: context, note: digest, judgement: judgement)
    guard let body = try? JSONEncoder().encode(entry) else {
      counters.withLock { $0.writeFailures += 1 }
      return
    }
    var data = Data("\(Self.schema) \(SHA256.hex(body))\n".utf8)
    data.append(body)
    let path = entryPath(commit: id, noteDigest: digest)
    if writeAtomically(data, to: path) {
      counters.withLock { $0.stored += 1 }
    } else {
      counters.withLock { $0.writeFailures += 1 }
    }
  }

  /// Writes `data` beside `path` and renames it into place, so a reader sees the old entry, no
  /// entry, or the whole new one.
  private func writeAtomically(_ data: Data, to path: String) -> Bool {
    let folder = (path as NSString).deletingLastPathComponent
    if mkdir(folder, 0o755) != 0 && errno != EEXIST {
      guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil
      else { return false }
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

  /// Keeps the cache under its cap: when it is over, the oldest entries go until it is under three
  /// quarters of it. Leftover temp files older than an hour go too.
  public func evictIfNeeded() {
    var entries: [(path: String, size: Int, time: Double)] = []
    var total = 0
    let now = Date().timeIntervalSince1970
    for context in list("\(directory)/v1") {
      for fan in list("\(directory)/v1/\(context)") {
        let folder = "\(directory)/v1/\(context)/\(fan)"
        for name in list(folder) {
          let path = "\(folder)/\(name)"
          var st = stat()
          guard stat(path, &st) == 0 else { continue }
          let time = Double(st.st_mtim.tv_sec)
          if name.hasPrefix(".tmp-") {
            if now - time > 3600 { unlink(path) }
            continue
          }
          entries.append((path, Int(st.st_size), time))
          total += Int(st.st_size)
        }
      }
    }
    guard total > maxBytes else { return }
    entries.sort { $0.time < $1.time }
    var removed = 0
    for e in entries where total > maxBytes * 3 / 4 {
      if unlink(e.path) == 0 {
        total -= e.size
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
          "\(r.allowlist)", "\(r.extraAllowlists)", r.side.rawValue, r.message,
        ].joined(separator: "\u{0}") + "\n")
    }
    for r in changeRules { h.update("change \(r.id) \(r.severity.rawValue)\n") }
    for m in agentRulesMetadata { h.update("agent \(m.id) \(m.description)\n") }
    h.update("baseline \(baseline.map { SHA256.hex($0) } ?? "-")\n")
    return hexString(h.finalize())
  }

  /// The running executable's size and modification time.
  static func buildIdentity() -> String {
    var st = stat()
    guard stat("/proc/self/exe", &st) == 0 else { return "build unknown" }
    return "build \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
  }
}
