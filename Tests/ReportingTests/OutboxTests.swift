// The outbox on disk: where it lives, what it keeps (never a token), and that flush survives
// crashes, refuses to run twice at once, and sets aside what it cannot read.

import CurlTransport
import Foundation
import GateCore
import Reporting
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct OutboxTests {
  @Test func locationPrecedence() {
    let env = ["AGENTGATE_OUTBOX": "/env/box", "XDG_STATE_HOME": "/xdg", "HOME": "/home/u"]
    #expect(Outbox.defaultDirectory(configured: "/conf", environment: env, gitDir: "/r/.git") == "/env/box")
    var e = env
    e["AGENTGATE_OUTBOX"] = nil
    #expect(Outbox.defaultDirectory(configured: "/conf", environment: e, gitDir: "/r/.git") == "/conf")
    #expect(Outbox.defaultDirectory(configured: nil, environment: e, gitDir: "/r/.git") == "/r/.git/agentgate/outbox")
    #expect(Outbox.defaultDirectory(configured: nil, environment: e, gitDir: nil) == "/xdg/agentgate/outbox")
    e["XDG_STATE_HOME"] = nil
    #expect(
      Outbox.defaultDirectory(configured: nil, environment: e, gitDir: nil) == "/home/u/.local/state/agentgate/outbox")
  }

  @Test func keepsTheVerdictAndTargetPrivately() throws {
    let dir = TempDir()
    let box = Outbox(directory: dir.path + "/box")
    let target = PostTarget(forge: .gitlab, apiURL: "https://gitlab.example/api/v4", repo: "g/p", context: "gate")
    let item = try box.enqueue(verdict: Sample.verdict(), target: target, reason: "HTTP 503")
    let path = box.directory + "/pending/\(item.id).json"
    let attrs = try FileManager.default.attributesOfItem(atPath: path)
    #expect((attrs[.posixPermissions] as? Int) == 0o600)
    let dirAttrs = try FileManager.default.attributesOfItem(atPath: box.directory + "/pending")
    #expect((dirAttrs[.posixPermissions] as? Int) == 0o700)
    let listed = try box.list()
    #expect(listed.errors.isEmpty)
    #expect(listed.items.count == 1)
    #expect(listed.items[0].target == target)
    #expect(listed.items[0].verdict.commits.count == 3)
    #expect(listed.items[0].reason == "HTTP 503")
    #expect(listed.items[0].deliveryID == deliveryID(verdict: Sample.verdict(), target: target))
    try box.drop(item.id)
    #expect(try box.list().items.isEmpty)
    #expect(throws: ReportingError.noSuchOutboxItem(item.id)) { try box.drop(item.id) }
    #expect(throws: ReportingError.noSuchOutboxItem("../pending/x")) { try box.drop("../pending/x") }
  }

  @Test func aCrashBetweenDeliveryAndRemovalRedeliversTheSameDelivery() throws {
    let server = try LoopbackServer()
    let dir = TempDir()
    let box = Outbox(directory: dir.path)
    let target = PostTarget(forge: .webhook, apiURL: server.baseURL + "/hook", repo: "o/r")
    let item = try box.enqueue(verdict: Sample.verdict(), target: target, reason: "HTTP 502")
    let path = box.directory + "/pending/\(item.id).json"
    let saved = try Data(contentsOf: URL(fileURLWithPath: path))
    let first = try box.flush(transport: try makeTransport(), tokens: { _ in "secret" }, clock: VirtualClock())
    #expect(first.delivered == [item.id])
    #expect(!FileManager.default.fileExists(atPath: path))
    // As if the process died after the 2xx but before the unlink.
    try saved.write(to: URL(fileURLWithPath: path))
    let second = try box.flush(transport: try makeTransport(), tokens: { _ in "secret" }, clock: VirtualClock())
    #expect(second.delivered == [item.id])
    let r = server.requests
    #expect(r.count == 2)
    #expect(r[0].headers["x-agentgate-delivery"] == item.deliveryID)
    #expect(r[1].headers["x-agentgate-delivery"] == item.deliveryID)
    #expect(r[0].body == r[1].body)
  }

  @Test func leftoversOfACrashedWriteAreIgnoredThenCleaned() throws {
    let server = try LoopbackServer()
    let dir = TempDir()
    let box = Outbox(directory: dir.path)
    try box.enqueue(
      verdict: Sample.verdict(), target: PostTarget(forge: .webhook, apiURL: server.baseURL, repo: "r"), reason: "x")
    let stale = box.directory + "/pending/.tmp-20260101T000000Z-dead-1.json"
    let fresh = box.directory + "/pending/.tmp-20260101T000000Z-live-2.json"
    try dir.write("pending/.tmp-20260101T000000Z-dead-1.json", "{\"schema\": \"agentgate.outb")
    try dir.write("pending/.tmp-20260101T000000Z-live-2.json", "{")
    let old = Date().addingTimeInterval(-7200)
    try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: stale)
    #expect(try box.list().items.count == 1)
    #expect(try box.list().errors.isEmpty)
    let report = try box.flush(transport: try makeTransport(), tokens: { _ in nil }, clock: SystemClock())
    #expect(report.delivered.count == 1)
    #expect(!FileManager.default.fileExists(atPath: stale))
    #expect(FileManager.default.fileExists(atPath: fresh))
  }

  @Test func aCorruptItemIsSetAsideAndReported() throws {
    let server = try LoopbackServer()
    let dir = TempDir()
    let box = Outbox(directory: dir.path)
    try dir.write("pending/20260101T000000Z-0badf00d.json", "{\"schema\": \"agentgate.outbox/1\", \"id\": 3}")
    try box.enqueue(
      verdict: Sample.verdict(), target: PostTarget(forge: .webhook, apiURL: server.baseURL, repo: "r"), reason: "x")
    let listed = try box.list()
    #expect(listed.items.count == 1)
    #expect(listed.errors.count == 1)
    #expect(listed.errors[0].description.contains("20260101T000000Z-0badf00d.json"))
    let report = try box.flush(transport: try makeTransport(), tokens: { _ in nil }, clock: VirtualClock())
    #expect(report.delivered.count == 1)
    #expect(report.errors.count == 1)
    #expect(FileManager.default.fileExists(atPath: dir.path + "/dead/20260101T000000Z-0badf00d.json"))
  }

  @Test func oneFlushAtATime() throws {
    let dir = TempDir()
    let box = Outbox(directory: dir.path)
    try FileManager.default.createDirectory(atPath: dir.path + "/pending", withIntermediateDirectories: true)
    let fd = open(dir.path + "/.flush.lock", O_RDWR | O_CREAT, 0o600)
    #expect(fd >= 0)
    #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
    #expect {
      _ = try box.flush(transport: try makeTransport(), tokens: { _ in nil }, clock: VirtualClock())
    } throws: { error in
      "\(error)".contains("another `agentgate outbox flush` is running")
    }
    close(fd)  // the holder goes away (as a crashed flush does): the next flush runs
    let report = try box.flush(transport: try makeTransport(), tokens: { _ in nil }, clock: VirtualClock())
    #expect(report.allDelivered)
  }
}
