// Posting through the real CurlTransport to a real HTTP server on loopback: each forge's
// method, path, headers and JSON fields; each fault survived or ending in the outbox; the
// outbox delivering once the server recovers; the webhook's signature.

import CurlTransport
import Foundation
import GateCore
import Reporting
import TestSupport
import Testing

let testToken = "tok-SECRET-123"

func makeTransport(timeout: Double = 5, maxBytes: Int = 1 << 20) throws -> CurlTransport {
  try CurlTransport(options: CurlOptions(connectTimeout: 2, totalTimeout: timeout, maxResponseBytes: maxBytes))
}

/// Everything a posting test needs: a server, an outbox in a temp dir, a virtual clock.
struct Rig {
  let server: LoopbackServer
  let dir = TempDir(prefix: "agentgate-outbox")
  let clock = VirtualClock()
  var outbox: Outbox { Outbox(directory: dir.path + "/outbox") }

  init(fallback: @escaping @Sendable (RecordedRequest) -> ServerAction = { _ in .status(201) }) throws {
    server = try LoopbackServer(fallback: fallback)
  }

  func post(
    _ verdict: Verdict = Sample.verdict(), target: PostTarget, token: String? = testToken,
    policy: RetryPolicy = RetryPolicy(random: { 0.5 }), transport: CurlTransport? = nil
  ) throws -> PostOutcome {
    Reporting.post(
      verdict: verdict, target: target, transport: try transport ?? makeTransport(), tokens: { _ in token },
      clock: clock, outbox: outbox, policy: policy)
  }
}

struct ForgeCase: Sendable, CustomTestStringConvertible {
  var forge: Forge
  var prefix: String
  var repo: String
  var success: Int
  var path: String
  var query: String?
  var auth: (String, String)
  /// Field name → expected value (strings) in the JSON body.
  var fields: [String: String]
  var testDescription: String { forge.rawValue }
}

let forgeCases: [ForgeCase] = [
  ForgeCase(
    forge: .github, prefix: "/api/v3", repo: "octo/repo", success: 201,
    path: "/api/v3/repos/octo/repo/statuses/\(Sample.head)", auth: ("authorization", "Bearer \(testToken)"),
    fields: ["state": "failure", "context": "agentgate"]),
  ForgeCase(
    forge: .gitlab, prefix: "/api/v4", repo: "group/sub project", success: 201,
    path: "/api/v4/projects/group%2Fsub%20project/statuses/\(Sample.head)", auth: ("private-token", testToken),
    fields: ["state": "failed", "name": "agentgate"]),
  ForgeCase(
    forge: .gitea, prefix: "/api/v1", repo: "octo/repo", success: 201,
    path: "/api/v1/repos/octo/repo/statuses/\(Sample.head)", auth: ("authorization", "token \(testToken)"),
    fields: ["state": "failure", "context": "agentgate"]),
  ForgeCase(
    forge: .forgejo, prefix: "/api/v1", repo: "octo/repo", success: 201,
    path: "/api/v1/repos/octo/repo/statuses/\(Sample.head)", auth: ("authorization", "token \(testToken)"),
    fields: ["state": "failure", "context": "agentgate"]),
  ForgeCase(
    forge: .bitbucket, prefix: "/2.0", repo: "ws/slug", success: 201,
    path: "/2.0/repositories/ws/slug/commit/\(Sample.head)/statuses/build",
    auth: ("authorization", "Bearer \(testToken)"),
    fields: ["state": "FAILED", "key": "agentgate", "name": "agentgate"]),
  ForgeCase(
    forge: .bitbucketDC, prefix: "", repo: "PRJ/slug", success: 204,
    path: "/rest/api/latest/projects/PRJ/repos/slug/commits/\(Sample.head)/builds",
    auth: ("authorization", "Bearer \(testToken)"),
    fields: ["state": "FAILED", "key": "agentgate", "name": "agentgate"]),
  ForgeCase(
    forge: .azure, prefix: "/org/proj", repo: "repo-id", success: 200,
    path: "/org/proj/_apis/git/repositories/repo-id/commits/\(Sample.head)/statuses", query: "api-version=7.1",
    auth: ("authorization", "Basic " + Data(":\(testToken)".utf8).base64EncodedString()), fields: ["state": "failed"]),
]

@Suite struct ForgePostingTests {
  @Test(arguments: forgeCases)
  func postsTheRequestTheForgeExpects(_ c: ForgeCase) throws {
    let rig = try Rig(fallback: { _ in .status(c.success, c.success == 204 ? "" : "{}") })
    let target = PostTarget(forge: c.forge, apiURL: rig.server.baseURL + c.prefix, repo: c.repo)
    let outcome = try rig.post(target: target)
    #expect(outcome.status == .delivered, "\(outcome.message)")
    let requests = rig.server.requests
    try #require(requests.count == 1)
    let r = requests[0]
    #expect(r.method == "POST")
    #expect(r.path == c.path)
    #expect(r.query == c.query)
    #expect(r.headers[c.auth.0] == c.auth.1)
    #expect(r.headers["user-agent"] == "agentgate/\(AgentGateVersion.string)")
    #expect(r.headers["content-type"] == "application/json")
    let json = r.json
    for (k, v) in c.fields { #expect(json[k] as? String == v, "\(k)") }
    let description = json["description"] as? String ?? ""
    #expect(description.hasPrefix("agentgate fail: 3 commits"))
    if c.forge == .github {
      #expect(r.headers["accept"] == "application/vnd.github+json")
      #expect(r.headers["x-github-api-version"] == "2022-11-28")
    }
    if c.forge == .azure {
      let context = json["context"] as? [String: String]
      #expect(context == ["name": "agentgate", "genre": "agentgate"])
    }
    if c.forge == .bitbucket || c.forge == .bitbucketDC { #expect((json["url"] as? String)?.hasPrefix("http") == true) }
    #expect(rig.clock.sleeps.isEmpty)
    #expect(try rig.outbox.list().items.isEmpty)
  }

  @Test(arguments: [(Forge.github, 140), (.gitlab, 255), (.gitea, 255), (.bitbucket, 255), (.azure, 255)])
  func cutsFieldsToEachForgesLimits(forge: Forge, limit: Int) throws {
    let rig = try Rig()
    var v = Sample.verdict()
    v.summary = String(repeating: "long words ", count: 60)
    let longContext = "agentgate " + String(repeating: "x", count: 60)
    let repo = forge == .gitlab || forge == .azure ? "123" : "a/b"
    let outcome = try rig.post(
      v, target: PostTarget(forge: forge, apiURL: rig.server.baseURL, repo: repo, context: longContext))
    #expect(outcome.status == .delivered)
    let json = rig.server.requests[0].json
    #expect((json["description"] as? String)?.count == limit)
    #expect((json["description"] as? String)?.hasSuffix("…") == true)
    if forge == .bitbucket {
      let key = json["key"] as! String
      #expect(key.count <= 40)
      #expect(key.hasPrefix("agentgate-xxxx"))
    }
  }

  @Test func shardedContextAndChosenSha() throws {
    let rig = try Rig()
    let outcome = try rig.post(
      Sample.verdict(shard: "2/4"),
      target: PostTarget(forge: .gitea, apiURL: rig.server.baseURL, repo: "o/r", sha: Sample.middle))
    #expect(outcome.status == .delivered)
    let r = rig.server.requests[0]
    #expect(r.path == "/repos/o/r/statuses/\(Sample.middle)")
    #expect(r.json["context"] as? String == "agentgate (shard 2/4)")
  }

  @Test func eachPostsOneStatusPerCommit() throws {
    let rig = try Rig()
    let outcome = try rig.post(target: PostTarget(forge: .github, apiURL: rig.server.baseURL, repo: "o/r", each: true))
    #expect(outcome.status == .delivered)
    let requests = rig.server.requests
    #expect(requests.map(\.path) == [Sample.base, Sample.middle, Sample.head].map { "/repos/o/r/statuses/\($0)" })
    #expect(requests.map { $0.json["state"] as? String } == ["success", "success", "failure"])
    #expect((requests[2].json["description"] as? String)?.contains("secret aws-access-key") == true)
  }

  @Test func headCommitIsTheTipWhateverTheOrder() {
    var v = Sample.verdict()
    #expect(Publisher.headCommit(of: v) == Sample.head)
    v.commits.reverse()
    #expect(Publisher.headCommit(of: v) == Sample.head)
  }

  @Test func gitLabAlreadyInThatStateCountsAsDone() throws {
    let rig = try Rig()
    rig.server.enqueue(.status(400, #"{"message":"Cannot transition status via :run from :running"}"#))
    let outcome = try rig.post(target: PostTarget(forge: .gitlab, apiURL: rig.server.baseURL, repo: "42"))
    #expect(outcome.status == .delivered)
    #expect(rig.server.requests.count == 1)
    #expect(outcome.records[0].detail.contains("already in that state"))
  }

  @Test func bitbucketDataCenterFallsBackToTheLegacyEndpoint() throws {
    let rig = try Rig()
    rig.server.enqueue(.status(404, #"{"errors":[{"message":"not found"}]}"#), .status(204, ""))
    let outcome = try rig.post(target: PostTarget(forge: .bitbucketDC, apiURL: rig.server.baseURL, repo: "PRJ/slug"))
    #expect(outcome.status == .delivered, "\(outcome.message)")
    #expect(
      rig.server.requests.map(\.path) == [
        "/rest/api/latest/projects/PRJ/repos/slug/commits/\(Sample.head)/builds",
        "/rest/build-status/1.0/commits/\(Sample.head)",
      ])
  }

  @Test func checkRunsCarryAnnotationsInBatchesOf50() throws {
    let rig = try Rig(fallback: { r in
      r.path.hasSuffix("/check-runs") ? .status(201, #"{"id": 4242}"#) : .status(r.method == "PATCH" ? 200 : 201)
    })
    let outcome = try rig.post(
      Sample.many(120), target: PostTarget(forge: .github, apiURL: rig.server.baseURL, repo: "o/r"),
      token: "ghs_apptoken")
    #expect(outcome.status == .delivered)
    #expect(outcome.warnings.isEmpty)
    let requests = rig.server.requests
    #expect(requests.map(\.method) == ["POST", "POST", "PATCH", "PATCH"])
    #expect(requests[1].path == "/repos/o/r/check-runs")
    #expect(requests[2].path == "/repos/o/r/check-runs/4242")
    let create = requests[1].json
    #expect(create["head_sha"] as? String == Sample.head)
    #expect(create["conclusion"] as? String == "failure")
    #expect(create["name"] as? String == "agentgate")
    let counts = requests.dropFirst().map { (($0.json["output"] as? [String: Any])?["annotations"] as? [Any])?.count }
    #expect(counts == [50, 50, 20])
    let first = ((create["output"] as! [String: Any])["annotations"] as! [[String: Any]])[0]
    #expect(first["annotation_level"] as? String == "failure")
    #expect(first["path"] as? String == "src/file0.txt")
    #expect(first["start_line"] as? Int == 1)
  }

  @Test func aPersonalTokenCannotCreateCheckRunsButTheStatusStands() throws {
    let rig = try Rig(fallback: { r in
      r.path.hasSuffix("/check-runs")
        ? .status(403, #"{"message":"You must authenticate via a GitHub App."}"#) : .status(201)
    })
    let outcome = try rig.post(
      target: PostTarget(forge: .github, apiURL: rig.server.baseURL, repo: "o/r", checkRuns: true), token: "ghp_pat")
    #expect(outcome.status == .delivered)
    #expect(rig.server.requests.count == 2)
    #expect(outcome.warnings.first?.contains("You must authenticate via a GitHub App.") == true)
  }
}

@Suite struct FaultTests {
  func github(_ rig: Rig) -> PostTarget { PostTarget(forge: .github, apiURL: rig.server.baseURL, repo: "o/r") }

  @Test(arguments: [500, 502, 503])
  func serverErrorsAreRetriedWithBackoff(status: Int) throws {
    let rig = try Rig()
    rig.server.enqueue(.status(status, "oops"), .status(status, "oops"))
    let outcome = try rig.post(target: github(rig))
    #expect(outcome.status == .delivered)
    #expect(rig.server.requests.count == 3)
    // Exponential: base 1 s then 2 s, times the jitter factor (0.5 + 0.5 × 0.5).
    #expect(rig.clock.sleeps == [0.75, 1.5])
  }

  @Test func tooManyRequestsHonoursRetryAfterSeconds() throws {
    let rig = try Rig()
    rig.server.enqueue(.status(429, "{}", headers: ["Retry-After": "7"]))
    let outcome = try rig.post(target: github(rig))
    #expect(outcome.status == .delivered)
    #expect(rig.clock.sleeps == [7])
  }

  @Test func tooManyRequestsHonoursRetryAfterDate() throws {
    let rig = try Rig()
    let f = DateFormatter()
    f.locale = Locale(identifier: "en_US_POSIX")
    f.timeZone = TimeZone(identifier: "GMT")
    f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    let date = f.string(from: Date(timeIntervalSince1970: rig.clock.now() + 30))
    rig.server.enqueue(.status(429, "{}", headers: ["Retry-After": date]))
    #expect(try rig.post(target: github(rig)).status == .delivered)
    #expect(rig.clock.sleeps == [30])
  }

  @Test func rateLimitResetHeader() throws {
    let rig = try Rig()
    rig.server.enqueue(.status(429, "{}", headers: ["RateLimit-Reset": "4", "RateLimit-Remaining": "0"]))
    #expect(
      try rig.post(target: PostTarget(forge: .gitlab, apiURL: rig.server.baseURL, repo: "9")).status == .delivered)
    #expect(rig.clock.sleeps == [4])
  }

  @Test func gitHubPrimaryRateLimitWaitsForTheReset() throws {
    let rig = try Rig()
    let reset = Int(rig.clock.now()) + 12
    rig.server.enqueue(
      .status(
        403, #"{"message":"API rate limit exceeded for installation ID 1."}"#,
        headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset), "x-ratelimit-limit": "5000"]))
    #expect(try rig.post(target: github(rig)).status == .delivered)
    #expect(rig.clock.sleeps == [13])
  }

  @Test func gitHubSecondaryRateLimitWithRetryAfter() throws {
    let rig = try Rig()
    rig.server.enqueue(
      .status(
        403,
        #"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#,
        headers: ["retry-after": "5"]))
    #expect(try rig.post(target: github(rig)).status == .delivered)
    #expect(rig.clock.sleeps == [5])
  }

  @Test func gitHubSecondaryRateLimitBeyondTheBudgetGoesToTheOutbox() throws {
    let rig = try Rig()
    rig.server.enqueue(.status(403, #"{"message":"You have exceeded a secondary rate limit."}"#))
    let outcome = try rig.post(target: github(rig), policy: RetryPolicy(totalSeconds: 30, random: { 0.5 }))
    #expect(outcome.status == .queued)
    #expect(outcome.message.contains("beyond the 30 s budget"))
    #expect(rig.clock.sleeps.isEmpty)
    #expect(try rig.outbox.list().items.count == 1)
  }

  @Test func aRateLimitDuringFlushKeepsTheItemPending() throws {
    let rig = try Rig(fallback: { _ in .status(403, #"{"message":"You have exceeded a secondary rate limit."}"#) })
    let policy = RetryPolicy(totalSeconds: 30, random: { 0.5 })
    #expect(try rig.post(target: github(rig), policy: policy).status == .queued)
    let report = try rig.outbox.flush(
      transport: try makeTransport(), tokens: { _ in testToken }, clock: rig.clock, policy: policy)
    #expect(report.remaining.count == 1)
    #expect(report.deadLettered.isEmpty)
    #expect(report.remaining[0].reason.contains("HTTP 403"))
  }

  @Test(arguments: [ServerAction.reset, .close])
  func brokenConnectionsAreRetried(action: ServerAction) throws {
    let rig = try Rig()
    rig.server.enqueue(action)
    let outcome = try rig.post(target: github(rig))
    #expect(outcome.status == .delivered, "\(outcome.message)")
    #expect(rig.server.requests.count == 2)
    #expect(rig.clock.sleeps.count == 1)
  }

  @Test func aServerThatNeverAnswersTimesOutAndIsRetried() throws {
    let rig = try Rig()
    rig.server.enqueue(.hang)
    let outcome = try rig.post(target: github(rig), transport: try makeTransport(timeout: 1))
    #expect(outcome.status == .delivered, "\(outcome.message)")
    #expect(outcome.records[0].attempts == 2)
    rig.server.stop()
  }

  @Test func nothingAnsweringAtAllEndsInTheOutbox() throws {
    let rig = try Rig()
    let url = rig.server.baseURL
    rig.server.stop()  // the port is closed: connection refused
    let outcome = try rig.post(
      target: PostTarget(forge: .github, apiURL: url, repo: "o/r"), policy: RetryPolicy(maxAttempts: 3, random: { 0.5 })
    )
    #expect(outcome.status == .queued)
    #expect(outcome.message.contains("could not connect"))
    #expect(outcome.message.contains("gave up after 3 attempts"))
  }

  @Test func persistentFailureIsQueuedThenFlushedWhenTheServerRecovers() throws {
    let rig = try Rig(fallback: { _ in .status(503, "maintenance") })
    let outcome = try rig.post(target: github(rig))
    #expect(outcome.status == .queued)
    #expect(rig.server.requests.count == 5)
    let item = try #require(outcome.outboxItem)
    let listed = try rig.outbox.list()
    #expect(listed.items.map(\.id) == [item])
    #expect(listed.items[0].reason.contains("HTTP 503"))
    // Nothing secret in the item.
    let file = try String(contentsOfFile: rig.outbox.directory + "/pending/\(item).json", encoding: .utf8)
    #expect(!file.contains(testToken))
    #expect(!file.lowercased().contains("authorization"))

    // Still down: the item stays, with its attempt counted.
    let still = try rig.outbox.flush(
      transport: try makeTransport(), tokens: { _ in testToken }, clock: rig.clock,
      policy: RetryPolicy(maxAttempts: 2, random: { 0.5 }))
    #expect(still.remaining.map(\.id) == [item])
    #expect(try rig.outbox.list().items[0].attempts == 1)

    rig.server.setFallback { _ in .status(201) }
    let before = rig.server.requests.count
    let report = try rig.outbox.flush(transport: try makeTransport(), tokens: { _ in testToken }, clock: rig.clock)
    #expect(report.delivered == [item])
    #expect(report.allDelivered)
    #expect(try rig.outbox.list().items.isEmpty)
    let delivered = rig.server.requests[before]
    #expect(delivered.path == "/repos/o/r/statuses/\(Sample.head)")
    #expect(delivered.headers["authorization"] == "Bearer \(testToken)")
    #expect(delivered.json["state"] as? String == "failure")
  }

  @Test func otherClientErrorsAreNotRetriedAndDeadLetterOnFlush() throws {
    let rig = try Rig(fallback: { _ in .status(422, #"{"message":"No commit found for SHA: c0ffee"}"#) })
    let outcome = try rig.post(target: github(rig))
    #expect(outcome.status == .queued)
    #expect(rig.server.requests.count == 1)
    #expect(outcome.message.contains("No commit found for SHA"))
    let report = try rig.outbox.flush(transport: try makeTransport(), tokens: { _ in testToken }, clock: rig.clock)
    #expect(report.deadLettered.count == 1)
    let listed = try rig.outbox.list().items
    #expect(listed.count == 1 && listed[0].dead)
    // Dead letters are not retried.
    let again = try rig.outbox.flush(transport: try makeTransport(), tokens: { _ in testToken }, clock: rig.clock)
    #expect(again.deadLettered.isEmpty && again.delivered.isEmpty)
    #expect(rig.server.requests.count == 2)
  }

  @Test(arguments: [401, 403, 404])
  func aTokenThatCannotPostIsSaidClearly(status: Int) throws {
    let rig = try Rig(fallback: { _ in .status(status, #"{"message":"Resource not accessible by integration"}"#) })
    let outcome = try rig.post(target: github(rig))
    #expect(outcome.status == .queued)
    #expect(outcome.tokenRefused)
    #expect(outcome.message.contains("refused the token"))
    #expect(outcome.message.contains("token-free outputs"))
    #expect(!outcome.message.contains(testToken))
    #expect(rig.server.requests.count == 1)
  }

  @Test func noTokenIsQueuedWithoutARequest() throws {
    let rig = try Rig()
    let outcome = try rig.post(target: github(rig), token: nil)
    #expect(outcome.status == .queued)
    #expect(outcome.message.contains("set GITHUB_TOKEN"))
    #expect(rig.server.requests.isEmpty)
    // A flush without a token keeps it pending (not dead): the token may come later.
    let report = try rig.outbox.flush(transport: try makeTransport(), tokens: { _ in nil }, clock: rig.clock)
    #expect(report.remaining.count == 1 && report.deadLettered.isEmpty)
    let delivered = try rig.outbox.flush(transport: try makeTransport(), tokens: { _ in testToken }, clock: rig.clock)
    #expect(delivered.delivered.count == 1)
  }
}

@Suite struct WebhookTests {
  @Test func signsTheBodyAndCarriesAStableDeliveryID() throws {
    let rig = try Rig()
    let target = PostTarget(forge: .webhook, apiURL: rig.server.baseURL + "/hooks/agentgate", repo: "octo/repo")
    #expect(try rig.post(target: target, token: "s3cret").status == .delivered)
    #expect(try rig.post(target: target, token: "s3cret").status == .delivered)
    let requests = rig.server.requests
    #expect(requests.count == 2)
    let r = requests[0]
    #expect(r.path == "/hooks/agentgate")
    let signature = try #require(r.headers["x-agentgate-signature-256"])
    // Recomputed independently with Python's hmac.
    let dir = TempDir()
    try dir.write("body", Data(r.body))
    let py = try python(
      "import hmac,hashlib,sys; print('sha256='+hmac.new(b's3cret', open(sys.argv[1],'rb').read(), hashlib.sha256).hexdigest())",
      args: [dir.file("body")])
    #expect(signature == py.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    #expect(r.headers["x-agentgate-delivery"] == requests[1].headers["x-agentgate-delivery"])
    #expect(r.headers["x-agentgate-delivery"]?.count == 32)
    let json = r.json
    #expect(json["schema"] as? String == "agentgate.webhook/1")
    #expect(json["sha"] as? String == Sample.head)
    #expect(json["state"] as? String == "fail")
    #expect((json["verdict"] as? [String: Any])?["schema"] as? String == "agentgate.verdict/1")
    #expect(r.headers["authorization"] == nil)
  }

  @Test func unsignedWithoutASecret() throws {
    let rig = try Rig()
    let target = PostTarget(forge: .webhook, apiURL: rig.server.baseURL, repo: "r")
    #expect(try rig.post(target: target, token: nil).status == .delivered)
    #expect(rig.server.requests[0].headers["x-agentgate-signature-256"] == nil)
  }
}

@Suite struct CurlTransportTests {
  @Test func followsSameOriginRedirectsOnly() throws {
    let server = try LoopbackServer()
    server.enqueue(.status(307, "", headers: ["Location": "\(server.baseURL)/moved"]))
    let t = try makeTransport()
    let r = try t.send(HTTPRequest(method: "POST", url: server.baseURL + "/start", body: Array("{}".utf8)))
    #expect(r.status == 201)
    #expect(server.requests.map(\.path) == ["/start", "/moved"])
    #expect(server.requests[1].method == "POST")
    #expect(server.requests[1].bodyText == "{}")

    server.enqueue(.status(307, "", headers: ["Location": "http://localhost:\(server.port)/elsewhere"]))
    #expect(throws: TransportError.self) {
      try t.send(HTTPRequest(method: "POST", url: server.baseURL + "/x", headers: [("PRIVATE-TOKEN", testToken)]))
    }
    #expect(!server.requests.contains { $0.path == "/elsewhere" })
  }

  @Test func onlyHttpAndHttps() throws {
    let t = try makeTransport()
    #expect(throws: TransportError.invalidURL("file:///etc/passwd: only http and https are allowed")) {
      try t.send(HTTPRequest(method: "GET", url: "file:///etc/passwd"))
    }
    #expect(throws: TransportError.self) { try t.send(HTTPRequest(method: "GET", url: "gopher://127.0.0.1/")) }
  }

  @Test func capsTheAnswer() throws {
    let server = try LoopbackServer(fallback: { _ in .status(200, String(repeating: "x", count: 300_000)) })
    let small = try makeTransport(maxBytes: 100_000)
    #expect(throws: TransportError.responseTooLarge(limit: 100_000)) {
      try small.send(HTTPRequest(method: "GET", url: server.baseURL))
    }
    let big = try makeTransport(maxBytes: 1_000_000)
    #expect(try big.send(HTTPRequest(method: "GET", url: server.baseURL)).body.count == 300_000)
  }

  @Test func readsStatusHeadersAndBody() throws {
    let server = try LoopbackServer(fallback: { _ in .status(418, "teapot", headers: ["X-Custom": "v1"]) })
    let r = try makeTransport().send(
      HTTPRequest(method: "PATCH", url: server.baseURL + "/p?q=1", headers: [("X-A", "b")], body: Array("abc".utf8)))
    #expect(r.status == 418)
    #expect(r.header("x-custom") == "v1")
    #expect(r.bodyText == "teapot")
    #expect(server.requests[0].method == "PATCH")
    #expect(server.requests[0].target == "/p?q=1")
    #expect(server.requests[0].headers["x-a"] == "b")
    #expect(server.requests[0].bodyText == "abc")
    // Expect: 100-continue is suppressed.
    #expect(server.requests[0].headers["expect"] == nil)
  }

  @Test func describesRequestsWithoutHeaders() {
    let r = HTTPRequest(method: "POST", url: "https://x/y", headers: [("Authorization", "Bearer \(testToken)")])
    #expect("\(r)" == "POST https://x/y")
  }
}
