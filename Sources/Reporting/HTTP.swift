// The HTTP port the publishers talk through. CurlTransport implements it over libcurl; tests
// use the same real transport against a loopback server. Requests never print their headers:
// the Authorization header carries a token.

import Foundation

public struct HTTPRequest: Sendable, CustomStringConvertible {
  public var method: String
  public var url: String
  /// Header names as sent; values may hold credentials and are never printed.
  public var headers: [(name: String, value: String)]
  public var body: [UInt8]

  public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
    self.method = method
    self.url = url
    self.headers = headers
    self.body = body
  }

  public func header(_ name: String) -> String? {
    headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
  }

  /// `METHOD URL` only: headers and body stay out of logs.
  public var description: String { "\(method) \(url)" }
}

public struct HTTPResponse: Sendable {
  public var status: Int
  /// Header names lower-cased; repeated headers joined with ", ".
  public var headers: [String: String]
  public var body: [UInt8]

  public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
    self.status = status
    self.headers = Dictionary(
      headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, b in "\(a), \(b)" })
    self.body = body
  }

  public func header(_ name: String) -> String? { headers[name.lowercased()] }
  public var bodyText: String { String(decoding: body, as: UTF8.self) }
  public var isSuccess: Bool { (200..<300).contains(status) }
}

/// Why no HTTP answer came back.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The URL is not http(s) or cannot be parsed.
  case invalidURL(String)
  /// The connect or total timeout expired.
  case timeout(String)
  /// No connection (refused, unreachable, DNS).
  case connectFailed(String)
  /// The connection broke: reset, closed without an answer, send or receive failed.
  case connectionLost(String)
  /// TLS failed: certificate not trusted, host name mismatch, handshake error.
  case tls(String)
  /// The answer was larger than the configured cap.
  case responseTooLarge(limit: Int)
  /// A redirect pointed somewhere the token must not go (another origin or protocol).
  case redirectRefused(String)
  /// Anything else the HTTP library reported, with the failing call named.
  case other(String)

  /// Worth another attempt: the server may answer next time.
  public var isTransient: Bool {
    switch self {
    case .timeout, .connectFailed, .connectionLost: true
    case .invalidURL, .tls, .responseTooLarge, .redirectRefused, .other: false
    }
  }

  public var description: String {
    switch self {
    case .invalidURL(let m): "invalid URL: \(m)"
    case .timeout(let m): "timed out: \(m)"
    case .connectFailed(let m): "could not connect: \(m)"
    case .connectionLost(let m): "connection lost: \(m)"
    case .tls(let m): "TLS failed: \(m) (give the forge's CA with --cacert if it uses a private CA)"
    case .responseTooLarge(let limit): "the answer was larger than \(limit) bytes"
    case .redirectRefused(let m): "refused to follow a redirect: \(m)"
    case .other(let m): m
    }
  }
}

/// Sends one request and returns the answer, whatever its status.
public protocol HTTPTransport: Sendable {
  func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse
}
