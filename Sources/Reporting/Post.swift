// Posting with nothing lost: deliver now, or keep the verdict and its target in the outbox with
// the reason, for `agentgate outbox flush`. Shared by `agentgate post` and `agentgate ci --forge`.

import Foundation
import GateCore

/// What became of a post.
public struct PostOutcome: Sendable {
  public enum Status: String, Sendable {
    /// Every request got a 2xx (or the forge already held that state).
    case delivered
    /// Not delivered; kept in the outbox for a later `outbox flush`.
    case queued
    /// Not delivered and not kept (no outbox given, or it could not be written).
    case failed
  }

  public var status: Status
  public var records: [DeliveryRecord]
  /// One paragraph for people: what happened and what to do.
  public var message: String
  /// The forge refused the only token (401/403/404) or there was none: the caller falls back
  /// to the token-free outputs.
  public var tokenRefused: Bool
  /// The outbox item that keeps the verdict, when queued.
  public var outboxItem: String?
  /// Problems that did not stop the post (a GitHub check run that could not be created).
  public var warnings: [String]
  /// When not delivered: whether a later attempt may succeed (server trouble, rate limits, the
  /// network, a missing token) rather than being refused again (a 4xx, a target that cannot work).
  public var retryable: Bool = false
}

/// The delivery id for a verdict and target: stable across retries and flushes, so receivers can
/// drop repeats.
public func deliveryID(verdict: Verdict, target: PostTarget) -> String {
  let key = [
    target.forge.rawValue, target.apiURL, target.repo, target.sha ?? "", target.context ?? "",
    target.each ? "each" : "range", VerdictJSON.value(verdict, options: RenderOptions(toolVersion: "")).serialized(),
  ].joined(separator: "\u{0}")
  return String(SHA256.hex(key).prefix(32))
}

/// Posts `verdict` to `target`; on failure keeps it in `outbox` (when given) with the reason.
/// `tokens` gives the credential for a forge (the signing secret for `webhook`); it is called
/// once and its value is never stored or printed.
public func post(
  verdict: Verdict, target: PostTarget, transport: any HTTPTransport, tokens: (Forge) -> String?,
  clock: any RetryClock = SystemClock(), outbox: Outbox?, policy: RetryPolicy = RetryPolicy(),
  deliveryID given: String? = nil
) -> PostOutcome {
  let id = given ?? deliveryID(verdict: verdict, target: target)
  var failure: String
  var tokenRefused = false
  var retryable = false
  var records: [DeliveryRecord] = []
  var warnings: [String] = []
  do {
    let publisher = try Publisher(target: target, transport: transport, policy: policy, clock: clock)
    let result = try publisher.publish(verdict, token: tokens(target.forge), deliveryID: id)
    records = result.records
    warnings = result.warnings
    tokenRefused = result.tokenRefused
    retryable = result.transientFailure != nil || result.missingToken
    if let why = result.permanentFailure ?? result.transientFailure {
      failure = why
    } else {
      let n = records.count
      return PostOutcome(
        status: .delivered, records: records,
        message: "posted the verdict (\(verdict.decision.rawValue)) to \(target.forge.rawValue) \(target.repo) "
          + "in \(n) request\(n == 1 ? "" : "s")",
        tokenRefused: false, outboxItem: nil, warnings: warnings)
    }
  } catch {
    // A target that cannot work (bad URL, no commit) is not worth keeping: retrying cannot help.
    return PostOutcome(
      status: .failed, records: [], message: "not posted: \(error.description)", tokenRefused: false, outboxItem: nil,
      warnings: [])
  }
  guard let outbox else {
    return PostOutcome(
      status: .failed, records: records, message: "not posted: \(failure)", tokenRefused: tokenRefused, outboxItem: nil,
      warnings: warnings, retryable: retryable)
  }
  do {
    let item = try outbox.enqueue(verdict: verdict, target: target, reason: failure, deliveryID: id, now: clock.now())
    return PostOutcome(
      status: .queued, records: records,
      message: "not posted: \(failure). The verdict is kept in the outbox as \(item.id) "
        + "(\(outbox.directory)); deliver it later with `agentgate outbox flush`",
      tokenRefused: tokenRefused, outboxItem: item.id, warnings: warnings, retryable: retryable)
  } catch {
    failure += "; and it could not be kept in the outbox: \(error.description)"
    return PostOutcome(
      status: .failed, records: records, message: "not posted: \(failure)", tokenRefused: tokenRefused,
      outboxItem: nil, warnings: warnings, retryable: retryable)
  }
}
