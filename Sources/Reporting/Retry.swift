// Bounded retries: attempts and total time are capped; the server's own wait instructions win
// (Retry-After as seconds or HTTP date, x-ratelimit-reset with x-ratelimit-remaining 0,
// RateLimit-Reset), then exponential backoff with jitter for 5xx and transport failures. Other
// 4xx are final. Clock and sleep are injected so tests never wait.

import Foundation

/// Time as the retry loop sees it.
public protocol RetryClock: Sendable {
  /// Seconds since the Unix epoch.
  func now() -> Double
  func sleep(seconds: Double)
}

/// The real clock.
public struct SystemClock: RetryClock {
  public init() {}
  public func now() -> Double { Date().timeIntervalSince1970 }
  public func sleep(seconds: Double) {
    guard seconds > 0 else { return }
    Thread.sleep(forTimeInterval: seconds)
  }
}

public struct RetryPolicy: Sendable {
  public var maxAttempts: Int
  /// Total time budget across attempts and waits.
  public var totalSeconds: Double
  public var baseDelay: Double
  public var maxDelay: Double
  /// GitHub: wait at least this long after a secondary rate limit without instructions.
  public var secondaryLimitDelay: Double
  /// A number in [0, 1) for jitter.
  public var random: @Sendable () -> Double

  public init(
    maxAttempts: Int = 5, totalSeconds: Double = 60, baseDelay: Double = 1, maxDelay: Double = 20,
    secondaryLimitDelay: Double = 60, random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
  ) {
    self.maxAttempts = maxAttempts
    self.totalSeconds = totalSeconds
    self.baseDelay = baseDelay
    self.maxDelay = maxDelay
    self.secondaryLimitDelay = secondaryLimitDelay
    self.random = random
  }
}

/// How a publisher reads an answer.
public enum ResponseClass: Sendable, Equatable {
  case success
  /// The forge already holds this state (GitLab's "Cannot transition status"): counts as done.
  case alreadyDone
  /// Try again, after the server's wait when it gave one.
  case retry(wait: Double?)
  /// Final: another attempt would get the same answer.
  case permanent
}

/// The end of a retried exchange.
public enum SendResult: Sendable {
  case done(HTTPResponse, attempts: Int)
  /// A final non-2xx answer.
  case rejected(HTTPResponse, attempts: Int)
  /// Gave up on transient trouble (5xx, rate limit, transport failure) within the budget.
  case gaveUp(reason: String, lastStatus: Int?, attempts: Int)

  public var attempts: Int {
    switch self {
    case .done(_, let a), .rejected(_, let a), .gaveUp(_, _, let a): a
    }
  }
}

public enum Retry {
  /// The standard reading of an answer: 2xx done; 429, 5xx and rate-limit 403s retried; other
  /// 4xx final.
  public static func classify(_ r: HTTPResponse, now: Double, policy: RetryPolicy) -> ResponseClass {
    if r.isSuccess { return .success }
    let wait = serverWait(r, now: now)
    if r.status == 429 { return .retry(wait: wait) }
    if r.status == 403 {
      if r.header("x-ratelimit-remaining") == "0" { return .retry(wait: wait) }
      let body = r.bodyText.lowercased()
      if body.contains("secondary rate limit") || body.contains("abuse detection") {
        return .retry(wait: wait ?? policy.secondaryLimitDelay)
      }
      if body.contains("rate limit") { return .retry(wait: wait) }
      return .permanent
    }
    if (500..<600).contains(r.status) { return .retry(wait: wait) }
    return .permanent
  }

  /// The wait the server asked for, in seconds from `now`, if any.
  public static func serverWait(_ r: HTTPResponse, now: Double) -> Double? {
    if let ra = r.header("retry-after")?.trimmingCharacters(in: .whitespaces) {
      if let s = Double(ra), s >= 0 { return s }
      if let date = httpDate(ra) { return max(0, date - now) }
    }
    if r.header("x-ratelimit-remaining")?.trimmingCharacters(in: .whitespaces) == "0",
      let reset = r.header("x-ratelimit-reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) })
    {
      return max(0, reset - now) + 1
    }
    if let reset = r.header("ratelimit-reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
      // Delta seconds (IETF draft); GitLab has sent an epoch here, so large values are read as one.
      return reset > 1_000_000_000 ? max(0, reset - now) : reset
    }
    return nil
  }

  /// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms.
  static func httpDate(_ s: String) -> Double? {
    for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
      let f = DateFormatter()
      f.locale = Locale(identifier: "en_US_POSIX")
      f.timeZone = TimeZone(identifier: "GMT")
      f.dateFormat = format
      if let d = f.date(from: s) { return d.timeIntervalSince1970 }
    }
    return nil
  }

  /// Sends `request` until it succeeds, is rejected, or the attempts or time run out.
  public static func send(
    _ request: HTTPRequest, transport: any HTTPTransport, policy: RetryPolicy, clock: any RetryClock,
    classify: (HTTPResponse) -> ResponseClass
  ) -> SendResult {
    let start = clock.now()
    var attempt = 0
    var lastReason = ""
    var lastStatus: Int?
    while true {
      attempt += 1
      var wait: Double?
      do {
        let response = try transport.send(request)
        lastStatus = response.status
        switch classify(response) {
        case .success, .alreadyDone: return .done(response, attempts: attempt)
        case .permanent: return .rejected(response, attempts: attempt)
        case .retry(let w):
          wait = w
          lastReason = "HTTP \(response.status)" + (w.map { " (server asked to wait \(Int($0.rounded(.up))) s)" } ?? "")
        }
      } catch {
        guard error.isTransient else { return .gaveUp(reason: error.description, lastStatus: nil, attempts: attempt) }
        lastStatus = nil
        lastReason = error.description
      }
      if attempt >= policy.maxAttempts {
        return .gaveUp(
          reason: "\(lastReason); gave up after \(attempt) attempts", lastStatus: lastStatus, attempts: attempt)
      }
      let backoff = min(policy.maxDelay, policy.baseDelay * pow(2, Double(attempt - 1)))
      let delay = wait ?? backoff * (0.5 + 0.5 * policy.random())
      let elapsed = clock.now() - start
      if elapsed + delay > policy.totalSeconds {
        return .gaveUp(
          reason: "\(lastReason); the next attempt would be due after \(Int(delay.rounded(.up))) s, "
            + "beyond the \(Int(policy.totalSeconds)) s budget", lastStatus: lastStatus, attempts: attempt)
      }
      clock.sleep(seconds: delay)
    }
  }
}
