// Bitbucket Cloud: POST /repositories/{workspace}/{slug}/commit/{sha}/statuses/build, upserted
// by `key` (at most 40 characters: longer contexts are hashed). `url` is required.
// A token with a colon (`email:api-token`) is sent as Basic auth, any other as Bearer.

import Foundation
import GateCore

extension Publisher {
  static func bitbucketState(_ d: Decision) -> String {
    switch d {
    case .pass, .warn: "SUCCESSFUL"
    case .fail, .error: "FAILED"
    }
  }

  /// A stable key of at most `limit` characters for a context.
  static func statusKey(_ context: String, limit: Int) -> String {
    let plain = String(context.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
    if plain.count <= limit && plain == context { return plain }
    let hash = String(SHA256.hex(context).prefix(12))
    return String(plain.prefix(limit - hash.count - 1)) + "-" + hash
  }

  static func bitbucketAuth(_ token: String) -> [(name: String, value: String)] {
    token.contains(":") ? [("Authorization", "Basic \(base64(token))")] : [("Authorization", "Bearer \(token)")]
  }

  /// The link Bitbucket requires: the given target URL, else the commit's page.
  func bitbucketURL(_ s: StatusPost) -> String {
    if let url = s.targetURL { return url }
    if let host = URL(string: base)?.host, host == "api.bitbucket.org" {
      return "https://bitbucket.org/\(target.repo)/commits/\(s.sha)"
    }
    return base
  }

  func postBitbucketStatus(_ s: StatusPost, token: String, into result: inout PublishResult) {
    let body: JSONValue = .object([
      ("key", .string(Publisher.statusKey(s.context, limit: 40))),
      ("state", .string(s.pending ? "INPROGRESS" : Publisher.bitbucketState(s.decision))),
      ("name", .string(Text.cut(s.context, 255))),
      ("url", .string(bitbucketURL(s))),
      ("description", .string(Text.cut(Text.oneLine(s.description), 255))),
    ])
    let parts = target.repo.split(separator: "/").map(String.init)
    let request = jsonRequest(
      "POST",
      "\(base)/repositories/\(pathSegment(parts[0]))/\(pathSegment(parts[1]))/commit/\(pathSegment(s.sha))/statuses/build",
      auth: Publisher.bitbucketAuth(token), body: body)
    _ = exchange(request, what: "status on \(s.sha.prefix(12))", into: &result)
  }

  /// Bitbucket Data Center: the builds endpoint of 7.4+, and the legacy build-status endpoint
  /// when the server does not have the new one (404). Every field at most 255, url at most 450.
  func postBitbucketDCStatus(_ s: StatusPost, token: String, into result: inout PublishResult) {
    let url = bitbucketURL(s)
    let body: JSONValue = .object([
      ("key", .string(Publisher.statusKey(s.context, limit: 255))),
      ("state", .string(s.pending ? "INPROGRESS" : Publisher.bitbucketState(s.decision))),
      ("name", .string(Text.cut(s.context, 255))),
      ("url", .string(Text.cut(url, 450))),
      ("description", .string(Text.cut(Text.oneLine(s.description), 255))),
    ])
    let parts = target.repo.split(separator: "/").map(String.init)
    let modern = jsonRequest(
      "POST",
      "\(base)/rest/api/latest/projects/\(pathSegment(parts[0]))/repos/\(pathSegment(parts[1]))/commits/\(pathSegment(s.sha))/builds",
      auth: Publisher.bitbucketAuth(token), body: body)
    var first = PublishResult()
    if exchange(modern, what: "status on \(s.sha.prefix(12))", into: &first) != nil {
      result.records += first.records
      return
    }
    guard first.records.last?.httpStatus == 404 else {
      result.records += first.records
      result.transientFailure = first.transientFailure
      result.permanentFailure = first.permanentFailure
      result.tokenRefused = first.tokenRefused
      return
    }
    result.records += first.records
    let legacy = jsonRequest(
      "POST", "\(base)/rest/build-status/1.0/commits/\(pathSegment(s.sha))", auth: Publisher.bitbucketAuth(token),
      body: body)
    _ = exchange(legacy, what: "status on \(s.sha.prefix(12)) (legacy endpoint)", into: &result)
  }
}
