// The outbox: verdicts that could not be delivered, one JSON file per item, holding the verdict,
// its target and the reason, never a header or token. Files are written to a temporary name,
// synced and renamed, so a crash leaves either the old item or the new one. `flush` holds an
// advisory lock (flock, released by the kernel if the process dies), re-reads tokens, delivers
// with the item's stable delivery id, removes an item only after a 2xx, and moves items the
// forge rejects for good (4xx) to `dead/` instead of retrying them forever.

import Foundation
import GateCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

public struct OutboxItem: Sendable {
  public var id: String
  /// Seconds since the epoch when it was queued.
  public var created: Double
  /// Why it was not delivered (the latest attempt).
  public var reason: String
  /// Flush attempts so far.
  public var attempts: Int
  public var target: PostTarget
  public var deliveryID: String
  public var verdict: Verdict
  /// True for items in the dead-letter folder.
  public var dead: Bool
}

public struct FlushReport: Sendable {
  public var delivered: [String] = []
  /// Still queued after this flush, with the reason.
  public var remaining: [(id: String, reason: String)] = []
  /// Moved to the dead-letter folder, with the reason.
  public var deadLettered: [(id: String, reason: String)] = []
  /// Items that could not be read or rewritten.
  public var errors: [String] = []
  public var tokenRefused = false

  /// True when nothing is left to deliver and nothing failed.
  public var allDelivered: Bool { remaining.isEmpty && deadLettered.isEmpty && errors.isEmpty }
}

public struct Outbox: Sendable {
  public static let schema = "agentgate.outbox/1"
  public let directory: String

  public init(directory: String) { self.directory = directory }

  var pendingDir: String { directory + "/pending" }
  var deadDir: String { directory + "/dead" }

  /// Where the outbox lives: `AGENTGATE_OUTBOX`, else the machine configuration's setting, else
  /// `<gitdir>/agentgate/outbox`, else `$XDG_STATE_HOME/agentgate/outbox` or
  /// `~/.local/state/agentgate/outbox`.
  public static func defaultDirectory(configured: String?, environment: [String: String], gitDir: String?) -> String {
    if let e = environment["AGENTGATE_OUTBOX"], !e.isEmpty { return e }
    if let c = configured, !c.isEmpty { return c }
    if let g = gitDir, !g.isEmpty { return g + "/agentgate/outbox" }
    if let x = environment["XDG_STATE_HOME"], x.hasPrefix("/") { return x + "/agentgate/outbox" }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.local/state/agentgate/outbox"
  }

  // MARK: Writing

  /// Keeps `verdict` for `target`; returns the new item.
  @discardableResult
  public func enqueue(
    verdict: Verdict, target: PostTarget, reason: String, deliveryID: String? = nil,
    now: Double = Date().timeIntervalSince1970
  ) throws(ReportingError) -> OutboxItem {
    try makeDirectory(pendingDir)
    let stamp = Outbox.stamp(now)
    let random = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    let item = OutboxItem(
      id: "\(stamp)-\(random)", created: now, reason: reason, attempts: 0, target: target,
      deliveryID: deliveryID ?? Reporting.deliveryID(verdict: verdict, target: target), verdict: verdict, dead: false)
    try write(item, to: pendingDir)
    return item
  }

  static func stamp(_ t: Double) -> String {
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "UTC")
    f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    return f.string(from: Date(timeIntervalSince1970: t))
  }

  func makeDirectory(_ path: String) throws(ReportingError) {
    do {
      try FileManager.default.createDirectory(
        atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw .io(path: path, operation: "create the outbox directory", reason: "\(error.localizedDescription)")
    }
  }

  static func encode(_ item: OutboxItem) -> String {
    let t = item.target
    let doc: JSONValue = .object([
      ("schema", .string(schema)),
      ("id", .string(item.id)),
      ("created", .double(item.created)),
      ("reason", .string(item.reason)),
      ("attempts", .int(Int64(item.attempts))),
      ("delivery_id", .string(item.deliveryID)),
      (
        "target",
        .object([
          ("forge", .string(t.forge.rawValue)), ("api_url", .string(t.apiURL)), ("repo", .string(t.repo)),
          ("sha", .optional(t.sha)), ("context", .optional(t.context)), ("each", .bool(t.each)),
          ("target_url", .optional(t.targetURL)), ("check_runs", t.checkRuns.map(JSONValue.bool) ?? .null),
        ])
      ),
      ("verdict", VerdictJSON.value(item.verdict, options: RenderOptions())),
    ])
    return doc.serialized(pretty: true) + "\n"
  }

  static func decode(_ text: String, path: String, dead: Bool) throws(ReportingError) -> OutboxItem {
    let v: JSONValue
    do { v = try JSONValue.parse(text) } catch { throw .corruptOutboxItem(path: path, reason: error.description) }
    guard v["schema"]?.stringValue == schema else {
      throw .corruptOutboxItem(path: path, reason: "not an \(schema) document")
    }
    guard let id = v["id"]?.stringValue, let t = v["target"], let forgeName = t["forge"]?.stringValue,
      let forge = Forge(rawValue: forgeName), let api = t["api_url"]?.stringValue, let repo = t["repo"]?.stringValue,
      let delivery = v["delivery_id"]?.stringValue, let verdictValue = v["verdict"]
    else { throw .corruptOutboxItem(path: path, reason: "a required field is missing") }
    let verdict: Verdict
    do { verdict = try VerdictJSON.decode(verdictValue) } catch {
      throw .corruptOutboxItem(path: path, reason: error.description)
    }
    let target = PostTarget(
      forge: forge, apiURL: api, repo: repo, sha: t["sha"]?.stringValue, context: t["context"]?.stringValue,
      each: t["each"]?.boolValue ?? false, targetURL: t["target_url"]?.stringValue,
      checkRuns: t["check_runs"]?.boolValue)
    return OutboxItem(
      id: id, created: v["created"]?.doubleValue ?? 0, reason: v["reason"]?.stringValue ?? "",
      attempts: Int(v["attempts"]?.intValue ?? 0), target: target, deliveryID: delivery, verdict: verdict, dead: dead)
  }

  /// Write-then-rename with fsync of the file and the directory.
  func write(_ item: OutboxItem, to dir: String) throws(ReportingError) {
    let final = "\(dir)/\(item.id).json"
    let temp = "\(dir)/.tmp-\(item.id)-\(getpid()).json"
    let bytes = Array(Outbox.encode(item).utf8)
    let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .io(path: temp, operation: "create", reason: String(cString: strerror(errno))) }
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        let why = String(cString: strerror(errno))
        close(fd)
        unlink(temp)
        throw .io(path: temp, operation: "write", reason: why)
      }
      offset += n
    }
    if fsync(fd) != 0 {
      let why = String(cString: strerror(errno))
      close(fd)
      unlink(temp)
      throw .io(path: temp, operation: "sync", reason: why)
    }
    close(fd)
    guard rename(temp, final) == 0 else {
      let why = String(cString: strerror(errno))
      unlink(temp)
      throw .io(path: final, operation: "rename into place", reason: why)
    }
    let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 {
      _ = fsync(dfd)
      close(dfd)
    }
  }

  // MARK: Reading

  /// Every item, pending first then dead letters, oldest first. Unreadable files are reported
  /// as errors, not skipped.
  public func list() throws(ReportingError) -> (items: [OutboxItem], errors: [ReportingError]) {
    var items: [OutboxItem] = []
    var errors: [ReportingError] = []
    for (dir, dead) in [(pendingDir, false), (deadDir, true)] {
      for name in Outbox.itemFiles(dir) {
        let path = "\(dir)/\(name)"
        do {
          let text = try Outbox.read(path)
          items.append(try Outbox.decode(text, path: path, dead: dead))
        } catch {
          errors.append(error)
        }
      }
    }
    return (items, errors)
  }

  static func itemFiles(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
      .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
  }

  static func read(_ path: String) throws(ReportingError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw .io(path: path, operation: "read", reason: "cannot open it")
    }
    return String(decoding: data, as: UTF8.self)
  }

  /// Removes an item (pending or dead) for good.
  public func drop(_ id: String) throws(ReportingError) {
    guard !id.contains("/"), !id.hasPrefix(".") else { throw .noSuchOutboxItem(id) }
    for dir in [pendingDir, deadDir] {
      let path = "\(dir)/\(id).json"
      if FileManager.default.fileExists(atPath: path) {
        guard unlink(path) == 0 else {
          throw .io(path: path, operation: "remove", reason: String(cString: strerror(errno)))
        }
        return
      }
    }
    throw .noSuchOutboxItem(id)
  }

  // MARK: Flushing

  /// Delivers every pending item once (each with bounded retries).
  public func flush(
    transport: any HTTPTransport, tokens: (Forge) -> String?, clock: any RetryClock = SystemClock(),
    policy: RetryPolicy = RetryPolicy()
  ) throws(ReportingError) -> FlushReport {
    try makeDirectory(pendingDir)
    let lock = try FlushLock(path: directory + "/.flush.lock")
    defer { lock.release() }
    removeStaleTemporaries(now: clock.now())
    var report = FlushReport()
    for name in Outbox.itemFiles(pendingDir) {
      let path = "\(pendingDir)/\(name)"
      var item: OutboxItem
      do {
        item = try Outbox.decode(try Outbox.read(path), path: path, dead: false)
      } catch {
        // Unreadable: move aside so it neither blocks nor is retried forever.
        try? makeDirectory(deadDir)
        _ = rename(path, "\(deadDir)/\(name)")
        report.errors.append(error.description)
        continue
      }
      item.attempts += 1
      let outcome = post(
        verdict: item.verdict, target: item.target, transport: transport, tokens: tokens, clock: clock, outbox: nil,
        policy: policy, deliveryID: item.deliveryID)
      switch outcome.status {
      case .delivered:
        if unlink(path) != 0 {
          report.errors.append("delivered \(item.id) but could not remove \(path): \(String(cString: strerror(errno)))")
        }
        report.delivered.append(item.id)
      case .queued, .failed:
        item.reason =
          outcome.message.hasPrefix("not posted: ") ? String(outcome.message.dropFirst(12)) : outcome.message
        report.tokenRefused = report.tokenRefused || outcome.tokenRefused
        do {
          if !outcome.retryable {
            try makeDirectory(deadDir)
            item.dead = true
            try write(item, to: deadDir)
            unlink(path)
            report.deadLettered.append((item.id, item.reason))
          } else {
            try write(item, to: pendingDir)
            report.remaining.append((item.id, item.reason))
          }
        } catch {
          report.errors.append(error.description)
          report.remaining.append((item.id, item.reason))
        }
      }
    }
    return report
  }

  /// Temporary files older than an hour are left by a crash; newer ones may be a writer's.
  func removeStaleTemporaries(now: Double) {
    for dir in [pendingDir, deadDir] {
      for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(".tmp-") {
        let path = "\(dir)/\(name)"
        if let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
          now - date.timeIntervalSince1970 > 3600
        {
          unlink(path)
        }
      }
    }
  }
}

/// An exclusive, non-blocking flock on a file: one flush at a time; the kernel drops it when
/// the process dies, so a crashed flush never blocks the next one.
final class FlushLock {
  private var fd: Int32

  init(path: String) throws(ReportingError) {
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw .io(path: path, operation: "open the flush lock", reason: String(cString: strerror(errno)))
    }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let busy = errno == EWOULDBLOCK
      let why = String(cString: strerror(errno))
      close(fd)
      fd = -1
      throw .io(
        path: path, operation: "lock",
        reason: busy ? "another `agentgate outbox flush` is running; wait for it to finish" : why)
    }
  }

  func release() {
    guard fd >= 0 else { return }
    _ = flock(fd, LOCK_UN)
    close(fd)
    fd = -1
  }

  deinit { release() }
}
