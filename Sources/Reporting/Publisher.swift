// Posting a verdict to a CI system: one status for the range on its head commit (or one per
// commit), through the retried transport. Each forge's request shape lives in its own file
// (`Forge*.swift`); this file holds what they share.

import Foundation
import GateCore

/// The CI systems and the generic webhook a verdict can be posted to.
public enum Forge: String, CaseIterable, Sendable, Codable {
  case github, gitlab, gitea, forgejo, bitbucket
  case bitbucketDC = "bitbucket-dc"
  case azure, webhook

  /// Environment variables that hold this forge's token, in order of preference.
  public var tokenVariables: [String] {
    switch self {
    case .github: ["GITHUB_TOKEN"]
    case .gitlab: ["GITLAB_TOKEN"]
    case .gitea: ["GITEA_TOKEN"]
    case .forgejo: ["FORGEJO_TOKEN", "GITEA_TOKEN"]
    case .bitbucket, .bitbucketDC: ["BITBUCKET_TOKEN"]
    case .azure: ["AZURE_DEVOPS_TOKEN"]
    case .webhook: ["AGENTGATE_WEBHOOK_SECRET"]
    }
  }

  /// What `--forge-repo` means for this forge.
  public var repoShape: String {
    switch self {
    case .github, .gitea, .forgejo: "OWNER/REPO"
    case .gitlab: "a project id or path (group/project)"
    case .bitbucket: "WORKSPACE/SLUG"
    case .bitbucketDC: "PROJECT/SLUG"
    case .azure: "the repository id or name"
    case .webhook: "any label for the repository (sent in the payload)"
    }
  }
}

/// Where a verdict goes. Never holds a header or a token: outbox items store it as is.
public struct PostTarget: Sendable, Hashable {
  public var forge: Forge
  /// The API base the forge uses (the webhook's own URL for `webhook`).
  public var apiURL: String
  public var repo: String
  /// The commit to post on; nil: the range's head commit.
  public var sha: String?
  /// Status context / check name; nil: `agentgate`, with the shard when sharded.
  public var context: String?
  /// One status per commit instead of one for the range.
  public var each: Bool
  /// Link shown with the status (the CI job's URL).
  public var targetURL: String?
  /// GitHub: also create a check run with annotations. nil: when the token is an App
  /// installation token (`ghs_`).
  public var checkRuns: Bool?

  public init(
    forge: Forge, apiURL: String, repo: String, sha: String? = nil, context: String? = nil, each: Bool = false,
    targetURL: String? = nil, checkRuns: Bool? = nil
  ) {
    self.forge = forge
    self.apiURL = apiURL
    self.repo = repo
    self.sha = sha
    self.context = context
    self.each = each
    self.targetURL = targetURL
    self.checkRuns = checkRuns
  }

  /// Checks the URL and the repository's shape for the forge.
  public func validate() throws(ReportingError) {
    let lower = apiURL.lowercased()
    guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
      throw .badTarget("the API URL \(apiURL) is not http(s); give the forge's API base, e.g. https://api.github.com")
    }
    guard URL(string: apiURL)?.host != nil else {
      throw .badTarget("the API URL \(apiURL) has no host; give the forge's API base, e.g. https://api.github.com")
    }
    let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
    let twoParts = parts.count == 2 && parts.allSatisfy { !$0.isEmpty }
    switch forge {
    case .github, .gitea, .forgejo, .bitbucket, .bitbucketDC:
      guard twoParts else {
        throw .badTarget("--forge-repo \(repo) is not \(forge.repoShape) as \(forge.rawValue) needs")
      }
    case .gitlab, .azure:
      guard !repo.isEmpty else { throw .badTarget("--forge-repo is empty; give \(forge.repoShape)") }
    case .webhook: break
    }
    if let sha, sha.isEmpty || !sha.allSatisfy(\.isHexDigit) {
      throw .badTarget("--sha \(sha) is not a hex commit id")
    }
  }
}

/// One status as every forge understands it, before each maps it to its own fields.
struct StatusPost: Sendable {
  var sha: String
  var decision: Decision
  var context: String
  var description: String
  var targetURL: String?
  /// The verdict waits for a replay that runs later (async): post the forge's pending state, never
  /// a success that was not earned yet.
  var pending = false

  /// True when nothing blocks yet and a replay is still to come.
  static func isPending(_ decision: Decision, _ commits: [CommitVerdict]) -> Bool {
    decision != .fail && decision != .error && commits.contains { $0.replay.status == .pending }
  }
}

/// What one HTTP exchange of a post did.
public struct DeliveryRecord: Sendable, Equatable {
  /// `status on 1a2b3c4d5e6f`, `check run`, ...
  public var what: String
  public var request: String
  public var httpStatus: Int?
  public var attempts: Int
  public var ok: Bool
  public var detail: String
}

/// The result of posting to one forge (before the outbox is involved).
struct PublishResult: Sendable {
  var records: [DeliveryRecord] = []
  /// Failures worth a later retry (5xx, rate limits, network).
  var transientFailure: String?
  /// A final 4xx (bad request, no permission).
  var permanentFailure: String?
  /// The token was refused (401/403/404): a fork's read-only token, a PAT for check runs...
  var tokenRefused = false
  /// No token was given: a later attempt with one may succeed.
  var missingToken = false
  /// Things that went wrong without failing the post (the check run of a GitHub post).
  var warnings: [String] = []
}

/// Posts verdicts to one target through a transport with retries.
public struct Publisher: Sendable {
  public let target: PostTarget
  public let transport: any HTTPTransport
  public let policy: RetryPolicy
  public let clock: any RetryClock
  public let userAgent: String

  public init(
    target: PostTarget, transport: any HTTPTransport, policy: RetryPolicy = RetryPolicy(),
    clock: any RetryClock = SystemClock(), userAgent: String = "agentgate/\(AgentGateVersion.string)"
  ) throws(ReportingError) {
    try target.validate()
    self.target = target
    self.transport = transport
    self.policy = policy
    self.clock = clock
    self.userAgent = userAgent
  }

  /// The status context: the given one, else `agentgate` (with the shard when sharded).
  public static func context(for verdict: Verdict, target: PostTarget) -> String {
    if let c = target.context, !c.isEmpty { return c }
    return verdict.shard.map { "agentgate (shard \($0))" } ?? "agentgate"
  }

  /// The commit a range status goes on: the one no other judged commit has as a parent (the
  /// tip), whatever order the verdict lists them in; the last listed when that is ambiguous.
  public static func headCommit(of verdict: Verdict) -> String? {
    let ids = verdict.commits.compactMap(\.commit.id)
    let parents = Set(verdict.commits.flatMap(\.commit.parents))
    let tips = ids.filter { !parents.contains($0) }
    return tips.count == 1 ? tips[0] : ids.last
  }

  /// The statuses to post: one for the range, or one per commit.
  func statuses(for verdict: Verdict) throws(ReportingError) -> [StatusPost] {
    let context = Publisher.context(for: verdict, target: target)
    if target.each {
      let posts = verdict.commits.compactMap { c -> StatusPost? in
        guard let id = c.commit.id else { return nil }
        let why = c.reasons.first.map { ": \($0)" } ?? ""
        var what = "\(c.decision.rawValue)\(why)"
        if !c.findings.isEmpty { what += " (\(c.findings.count) finding\(c.findings.count == 1 ? "" : "s"))" }
        return StatusPost(
          sha: id, decision: c.decision, context: context, description: "agentgate: " + what,
          targetURL: target.targetURL, pending: StatusPost.isPending(c.decision, [c]))
      }
      guard !posts.isEmpty else { throw .badTarget("the verdict has no commit with an id to post a status on") }
      return posts
    }
    guard let sha = target.sha ?? Publisher.headCommit(of: verdict) else {
      throw .badTarget("the verdict has no commit id to post on (staged changes?); give --sha")
    }
    let summary =
      verdict.summary.isEmpty ? Reports.summarize(verdict.commits, decision: verdict.decision) : verdict.summary
    return [
      StatusPost(
        sha: sha, decision: verdict.decision, context: context, description: "agentgate " + summary,
        targetURL: target.targetURL, pending: StatusPost.isPending(verdict.decision, verdict.commits))
    ]
  }

  /// Base URL without a trailing slash.
  var base: String {
    var b = target.apiURL
    while b.hasSuffix("/") { b.removeLast() }
    return b
  }

  func jsonRequest(
    _ method: String, _ url: String, auth: [(name: String, value: String)], extra: [(name: String, value: String)] = [],
    body: JSONValue
  ) -> HTTPRequest {
    var headers: [(name: String, value: String)] = [
      ("User-Agent", userAgent), ("Content-Type", "application/json"), ("Accept", "application/json"),
    ]
    headers = headers.filter { h in !extra.contains { $0.name.caseInsensitiveCompare(h.name) == .orderedSame } }
    headers += extra + auth
    return HTTPRequest(method: method, url: url, headers: headers, body: Array(body.serialized().utf8))
  }

  /// Sends one request with retries and records it; `alreadyDone` reads a forge's own
  /// "already in that state" answer.
  func exchange(
    _ request: HTTPRequest, what: String, into result: inout PublishResult,
    alreadyDone: (HTTPResponse) -> Bool = { _ in false }
  ) -> HTTPResponse? {
    let outcome = Retry.send(request, transport: transport, policy: policy, clock: clock) { r in
      if alreadyDone(r) { return .alreadyDone }
      return Retry.classify(r, now: clock.now(), policy: policy)
    }
    switch outcome {
    case .done(let r, let attempts):
      let detail = r.isSuccess ? "HTTP \(r.status)" : "HTTP \(r.status): already in that state, counted as done"
      result.records.append(
        DeliveryRecord(
          what: what, request: request.description, httpStatus: r.status, attempts: attempts, ok: true, detail: detail))
      return r
    case .rejected(let r, let attempts):
      let message = Publisher.errorMessage(r)
      result.records.append(
        DeliveryRecord(
          what: what, request: request.description, httpStatus: r.status, attempts: attempts, ok: false,
          detail: "HTTP \(r.status)\(message.isEmpty ? "" : ": " + message)"))
      if [401, 403, 404].contains(r.status) {
        result.tokenRefused = true
        result.permanentFailure =
          "\(target.forge.rawValue) refused the token (HTTP \(r.status)\(message.isEmpty ? "" : ": " + message)) "
          + "for \(what); it cannot post statuses to \(target.repo) (a fork's read-only token, or missing "
          + "permission); the token-free outputs (annotations, summary, report files) still carry the verdict"
      } else {
        result.permanentFailure =
          "\(target.forge.rawValue) rejected \(what) (HTTP \(r.status)\(message.isEmpty ? "" : ": " + message))"
      }
      return nil
    case .gaveUp(let reason, let status, let attempts):
      result.records.append(
        DeliveryRecord(
          what: what, request: request.description, httpStatus: status, attempts: attempts, ok: false, detail: reason))
      result.transientFailure = "\(what) on \(target.forge.rawValue) not delivered: \(reason)"
      return nil
    }
  }

  /// A short, printable excerpt of an error answer (its `message` field when JSON).
  static func errorMessage(_ r: HTTPResponse) -> String {
    let text = r.bodyText
    if let v = try? JSONValue.parse(text) {
      for key in ["message", "error_description", "error"] {
        if let m = v[key]?.stringValue { return Text.oneLine(Text.cut(m, 300)) }
        if let m = v[key]?["message"]?.stringValue { return Text.oneLine(Text.cut(m, 300)) }
      }
    }
    return Text.oneLine(Text.cut(text.trimmingCharacters(in: .whitespacesAndNewlines), 200))
  }

  /// Posts the verdict; `token` is the forge's credential (the webhook's signing secret).
  func publish(_ verdict: Verdict, token: String?, deliveryID: String) throws(ReportingError) -> PublishResult {
    var result = PublishResult()
    if target.forge == .webhook {
      publishWebhook(verdict, secret: token, deliveryID: deliveryID, into: &result)
      return result
    }
    guard let token, !token.isEmpty else {
      result.permanentFailure =
        "no token for \(target.forge.rawValue): set \(target.forge.tokenVariables.joined(separator: " or "))"
      result.tokenRefused = true
      result.missingToken = true
      return result
    }
    for status in try statuses(for: verdict) {
      switch target.forge {
      case .github: postGitHubStatus(status, token: token, into: &result)
      case .gitlab: postGitLabStatus(status, token: token, into: &result)
      case .gitea, .forgejo: postGiteaStatus(status, token: token, into: &result)
      case .bitbucket: postBitbucketStatus(status, token: token, into: &result)
      case .bitbucketDC: postBitbucketDCStatus(status, token: token, into: &result)
      case .azure: postAzureStatus(status, token: token, into: &result)
      case .webhook: break
      }
      if result.transientFailure != nil || result.permanentFailure != nil { return result }
    }
    if target.forge == .github, target.checkRuns ?? token.hasPrefix("ghs_") {
      postGitHubCheckRun(verdict, token: token, deliveryID: deliveryID, into: &result)
    }
    return result
  }
}

/// Percent-encodes one URL path segment (GitLab's `group%2Fproject`, commit ids, names).
func pathSegment(_ s: String) -> String {
  let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
  return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}

/// `base64` of a string's UTF-8 (Basic auth).
func base64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
