// Azure DevOps: POST {org/project}/_apis/git/repositories/{repo}/commits/{sha}/statuses with
// api-version 7.1; Basic auth with an empty user and the PAT.

import GateCore

extension Publisher {
  static func azureState(_ d: Decision) -> String {
    switch d {
    case .pass, .warn: "succeeded"
    case .fail: "failed"
    case .error: "error"
    }
  }

  func postAzureStatus(_ s: StatusPost, token: String, into result: inout PublishResult) {
    var body: [(String, JSONValue)] = [
      ("state", .string(s.pending ? "pending" : Publisher.azureState(s.decision))),
      ("description", .string(Text.cut(Text.oneLine(s.description), 255))),
      ("context", .object([("name", .string(Text.cut(s.context, 255))), ("genre", .string("agentgate"))])),
    ]
    if let url = s.targetURL { body.append(("targetUrl", .string(url))) }
    let request = jsonRequest(
      "POST",
      "\(base)/_apis/git/repositories/\(pathSegment(target.repo))/commits/\(pathSegment(s.sha))/statuses?api-version=7.1",
      auth: [("Authorization", "Basic \(base64(":" + token))")], body: .object(body))
    _ = exchange(request, what: "status on \(s.sha.prefix(12))", into: &result)
  }
}
