// The generic webhook: the verdict JSON in an envelope naming the repository, commit and
// context, POSTed to the URL. `X-AgentGate-Delivery` is stable for one verdict and target, so a
// receiver can drop repeats (retries, outbox flushes); with a secret,
// `X-AgentGate-Signature-256: sha256=<hex HMAC-SHA256 of the body>`.

import GateCore

extension Publisher {
  public static let webhookSchema = "agentgate.webhook/1"

  /// The exact body a webhook receives.
  func webhookBody(_ verdict: Verdict, deliveryID: String) -> [UInt8] {
    let context = Publisher.context(for: verdict, target: target)
    let doc: JSONValue = .object([
      ("schema", .string(Publisher.webhookSchema)),
      ("delivery", .string(deliveryID)),
      ("repo", .string(target.repo)),
      ("sha", .optional(target.sha ?? Publisher.headCommit(of: verdict))),
      ("context", .string(context)),
      ("state", .string(verdict.decision.rawValue)),
      ("description", .string(verdict.summary)),
      ("target_url", .optional(target.targetURL)),
      ("verdict", VerdictJSON.value(verdict, options: RenderOptions())),
    ])
    return Array(doc.serialized().utf8)
  }

  func publishWebhook(_ verdict: Verdict, secret: String?, deliveryID: String, into result: inout PublishResult) {
    let body = webhookBody(verdict, deliveryID: deliveryID)
    var headers: [(name: String, value: String)] = [
      ("User-Agent", userAgent), ("Content-Type", "application/json"), ("X-AgentGate-Event", "verdict"),
      ("X-AgentGate-Delivery", deliveryID),
    ]
    if let secret, !secret.isEmpty {
      let mac = SHA256.hmac(key: Array(secret.utf8), message: body)
      headers.append(("X-AgentGate-Signature-256", "sha256=" + hexString(mac)))
    }
    let request = HTTPRequest(method: "POST", url: target.apiURL, headers: headers, body: body)
    _ = exchange(request, what: "webhook delivery", into: &result)
  }
}
