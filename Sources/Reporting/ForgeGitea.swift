// Gitea and Forgejo: POST /repos/{owner}/{repo}/statuses/{sha}. Only the four states every
// version knows are posted (a warn is `success`, its description says so).

import GateCore

extension Publisher {
  static func giteaState(_ d: Decision) -> String {
    switch d {
    case .pass, .warn: "success"
    case .fail: "failure"
    case .error: "error"
    }
  }

  func postGiteaStatus(_ s: StatusPost, token: String, into result: inout PublishResult) {
    var body: [(String, JSONValue)] = [
      ("state", .string(s.pending ? "pending" : Publisher.giteaState(s.decision))),
      ("context", .string(Text.cut(s.context, 255))),
      ("description", .string(Text.cut(Text.oneLine(s.description), 255))),
    ]
    if let url = s.targetURL { body.append(("target_url", .string(url))) }
    let request = jsonRequest(
      "POST", "\(base)/repos/\(target.repo)/statuses/\(pathSegment(s.sha))",
      auth: [("Authorization", "token \(token)")], body: .object(body))
    _ = exchange(request, what: "status on \(s.sha.prefix(12))", into: &result)
  }
}
