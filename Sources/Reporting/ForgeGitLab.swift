// GitLab: POST /projects/:id/statuses/:sha, the project id or URL-encoded path. A 400 "Cannot
// transition status" means the commit already holds that state: counted as done.

import GateCore

extension Publisher {
  static func gitlabState(_ d: Decision) -> String {
    switch d {
    case .pass, .warn: "success"
    case .fail, .error: "failed"
    }
  }

  func postGitLabStatus(_ s: StatusPost, token: String, into result: inout PublishResult) {
    var body: [(String, JSONValue)] = [
      ("state", .string(s.pending ? "pending" : Publisher.gitlabState(s.decision))),
      ("name", .string(Text.cut(s.context, 255))),
      ("description", .string(Text.cut(Text.oneLine(s.description), 255))),
    ]
    if let url = s.targetURL, url.count <= 255 { body.append(("target_url", .string(url))) }
    let request = jsonRequest(
      "POST", "\(base)/projects/\(pathSegment(target.repo))/statuses/\(pathSegment(s.sha))",
      auth: [("PRIVATE-TOKEN", token)], body: .object(body))
    _ = exchange(request, what: "status on \(s.sha.prefix(12))", into: &result) { r in
      r.status == 400 && r.bodyText.contains("Cannot transition status")
    }
  }
}
