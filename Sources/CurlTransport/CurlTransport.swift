// CurlTransport: the HTTPTransport over libcurl's easy interface.
//
// - http and https only (CURLOPT_PROTOCOLS_STR and REDIR_PROTOCOLS_STR).
// - Redirects are followed here, not by libcurl, and only within the same origin (or an
//   http→https upgrade of it): libcurl would carry custom headers such as GitLab's PRIVATE-TOKEN
//   to whatever host a redirect names. Bounded by `maxRedirects`.
// - TLS verified (peer and host); `caBundle` for a private CA; proxies from the usual
//   environment variables (libcurl's default).
// - Connect and total timeouts; the answer's body is capped.
// - Never verbose: headers carry tokens.
// One easy handle per request, so one transport serves many threads.

internal import CCurlShims
import Foundation
import Reporting

public struct CurlOptions: Sendable {
  public var connectTimeout: Double
  public var totalTimeout: Double
  public var maxResponseBytes: Int
  public var maxRedirects: Int
  /// A PEM file of CA certificates to trust instead of the system's.
  public var caBundle: String?

  public init(
    connectTimeout: Double = 10, totalTimeout: Double = 30, maxResponseBytes: Int = 4 << 20, maxRedirects: Int = 5,
    caBundle: String? = nil
  ) {
    self.connectTimeout = connectTimeout
    self.totalTimeout = totalTimeout
    self.maxResponseBytes = maxResponseBytes
    self.maxRedirects = maxRedirects
    self.caBundle = caBundle
  }
}

public final class CurlTransport: HTTPTransport {
  public let options: CurlOptions

  public init(options: CurlOptions = CurlOptions()) throws(TransportError) {
    if let ca = options.caBundle, !FileManager.default.isReadableFile(atPath: ca) {
      throw .tls("the CA bundle \(ca) cannot be read")
    }
    try CurlGlobal.ensure()
    self.options = options
  }

  public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
    var current = request
    var redirects = 0
    while true {
      let (response, location) = try perform(current)
      guard (300..<400).contains(response.status), response.status != 304, let location else { return response }
      guard redirects < options.maxRedirects else {
        throw .redirectRefused("more than \(options.maxRedirects) redirects from \(request.url)")
      }
      redirects += 1
      guard Self.sameOrigin(current.url, location) else {
        throw .redirectRefused(
          "\(current.url) redirects to \(Self.origin(location) ?? location), another origin; "
            + "give the final API URL instead (the token is not sent elsewhere)")
      }
      switch response.status {
      case 307, 308: break
      default:
        // 301/302/303 would turn a POST into a GET and lose the body: say so instead.
        guard current.method == "GET" || current.method == "HEAD" else {
          throw .redirectRefused(
            "\(current.url) answered \(response.status) to \(current.method); give the API URL it points to: \(location)"
          )
        }
      }
      current.url = location
    }
  }

  /// scheme://host:port, lower-cased.
  static func origin(_ url: String) -> String? {
    guard let u = URLComponents(string: url), let scheme = u.scheme?.lowercased(), let host = u.host?.lowercased()
    else {
      return nil
    }
    let port = u.port ?? (scheme == "https" ? 443 : 80)
    return "\(scheme)://\(host):\(port)"
  }

  /// Same scheme, host and port, or the same host moving from http to https.
  static func sameOrigin(_ from: String, _ to: String) -> Bool {
    guard let a = URLComponents(string: from), let b = URLComponents(string: to), let sa = a.scheme?.lowercased(),
      let sb = b.scheme?.lowercased(), ["http", "https"].contains(sb), a.host?.lowercased() == b.host?.lowercased()
    else { return false }
    if sa == sb { return origin(from) == origin(to) }
    return sa == "http" && sb == "https" && (b.port == nil || b.port == 443)
  }

  private func perform(_ request: HTTPRequest) throws(TransportError) -> (HTTPResponse, String?) {
    let lower = request.url.lowercased()
    guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
      throw .invalidURL("\(request.url): only http and https are allowed")
    }
    guard let easy = CurlEasy() else { throw .other("curl_easy_init failed (out of memory?)") }
    let sink = ResponseSink(limit: options.maxResponseBytes)
    let headers = CurlHeaderList()
    for h in request.headers {
      // Names and values with line breaks would smuggle headers in.
      guard !h.name.contains(where: \.isNewline), !h.value.contains(where: \.isNewline) else {
        throw .other("header \(h.name) contains a line break")
      }
      headers.append("\(h.name): \(h.value)")
    }
    headers.append("Expect:")  // no 100-continue round trip

    try easy.set(CURLOPT_URL, request.url)
    try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
    try easy.set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
    try easy.set(CURLOPT_FOLLOWLOCATION, 0)
    try easy.set(CURLOPT_NOSIGNAL, 1)
    try easy.set(CURLOPT_VERBOSE, 0)
    try easy.set(CURLOPT_SSL_VERIFYPEER, 1)
    try easy.set(CURLOPT_SSL_VERIFYHOST, 2)
    if let ca = options.caBundle { try easy.set(CURLOPT_CAINFO, ca) }
    try easy.set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
    try easy.set(CURLOPT_TIMEOUT_MS, Int(options.totalTimeout * 1000))
    try easy.set(CURLOPT_MAXFILESIZE_LARGE, offT: Int64(options.maxResponseBytes))
    try easy.check(ccurl_easy_setopt_slist(easy.handle, CURLOPT_HTTPHEADER, headers.list), "CURLOPT_HTTPHEADER")

    switch request.method {
    case "GET":
      try easy.set(CURLOPT_HTTPGET, 1)
    case "POST":
      try easy.set(CURLOPT_POST, 1)
    default:
      try easy.set(CURLOPT_CUSTOMREQUEST, request.method)
    }
    if !request.body.isEmpty || request.method != "GET" {
      try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offT: Int64(request.body.count))
      try request.body.withUnsafeBufferPointer { buf throws(TransportError) in
        // COPYPOSTFIELDS copies the bytes: nothing dangles after this closure.
        let raw = UnsafeMutableRawPointer(mutating: buf.baseAddress ?? UnsafePointer(bitPattern: 1)!)
        try easy.check(ccurl_easy_setopt_pointer(easy.handle, CURLOPT_COPYPOSTFIELDS, raw), "CURLOPT_COPYPOSTFIELDS")
      }
    }

    let unmanaged = Unmanaged.passRetained(sink)
    defer { unmanaged.release() }
    let context = unmanaged.toOpaque()
    try easy.check(ccurl_easy_setopt_write_function(easy.handle, curlWrite), "CURLOPT_WRITEFUNCTION")
    try easy.check(ccurl_easy_setopt_pointer(easy.handle, CURLOPT_WRITEDATA, context), "CURLOPT_WRITEDATA")
    try easy.check(ccurl_easy_setopt_header_function(easy.handle, curlHeader), "CURLOPT_HEADERFUNCTION")
    try easy.check(ccurl_easy_setopt_pointer(easy.handle, CURLOPT_HEADERDATA, context), "CURLOPT_HEADERDATA")

    let code = curl_easy_perform(easy.handle)
    if code != CURLE_OK {
      if sink.overflowed || code == CURLE_FILESIZE_EXCEEDED { throw .responseTooLarge(limit: options.maxResponseBytes) }
      throw easy.transportError(code, url: request.url)
    }
    var status = 0
    try easy.check(ccurl_easy_getinfo_long(easy.handle, CURLINFO_RESPONSE_CODE, &status), "CURLINFO_RESPONSE_CODE")
    var location: UnsafeMutablePointer<CChar>?
    try easy.check(ccurl_easy_getinfo_string(easy.handle, CURLINFO_REDIRECT_URL, &location), "CURLINFO_REDIRECT_URL")
    let response = HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    return (response, location.map { String(cString: $0) })
  }
}

// MARK: - libcurl plumbing

/// curl_global_init exactly once per process, before the first handle (thread-safe: a static
/// let is initialized once under a lock).
enum CurlGlobal {
  static let initCode: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))

  static func ensure() throws(TransportError) {
    guard initCode == CURLE_OK else {
      throw .other("curl_global_init failed: \(String(cString: curl_easy_strerror(initCode)))")
    }
  }
}

/// Owns one CURL easy handle and its error buffer.
final class CurlEasy {
  let handle: UnsafeMutableRawPointer
  private let errorBuffer: UnsafeMutablePointer<CChar>

  init?() {
    guard let h = curl_easy_init() else { return nil }
    handle = h
    errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    _ = ccurl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
  }

  deinit {
    curl_easy_cleanup(handle)
    errorBuffer.deallocate()
  }

  /// The library's own words for the last failure.
  func message(_ code: CURLcode) -> String {
    let detail = String(cString: errorBuffer)
    return detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
  }

  /// The one checker of libcurl statuses: names the failing call, keeps libcurl's message.
  func check(_ code: CURLcode, _ call: String) throws(TransportError) {
    guard code == CURLE_OK else { throw .other("libcurl \(call) failed: \(message(code)) (code \(code.rawValue))") }
  }

  func set(_ option: CURLoption, _ value: Int) throws(TransportError) {
    try check(ccurl_easy_setopt_long(handle, option, value), "curl_easy_setopt(\(option.rawValue))")
  }

  func set(_ option: CURLoption, offT value: Int64) throws(TransportError) {
    try check(ccurl_easy_setopt_off_t(handle, option, curl_off_t(value)), "curl_easy_setopt(\(option.rawValue))")
  }

  func set(_ option: CURLoption, _ value: String) throws(TransportError) {
    try check(ccurl_easy_setopt_string(handle, option, value), "curl_easy_setopt(\(option.rawValue))")
  }

  /// Maps a failed transfer to what the retry logic needs to know.
  func transportError(_ code: CURLcode, url: String) -> TransportError {
    let m = "\(url): \(message(code))"
    switch code {
    case CURLE_OPERATION_TIMEDOUT: return .timeout(m)
    case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .connectFailed(m)
    case CURLE_GOT_NOTHING, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
      return .connectionLost(m)
    case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM,
      CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return .tls(m)
    case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT: return .invalidURL(m)
    default: return .other("libcurl curl_easy_perform failed: \(m) (code \(code.rawValue))")
    }
  }
}

/// Owns a curl_slist of request headers.
final class CurlHeaderList {
  private(set) var list: UnsafeMutablePointer<curl_slist>?

  func append(_ line: String) {
    if let next = curl_slist_append(list, line) { list = next }
  }

  deinit { curl_slist_free_all(list) }
}

/// Collects the answer: headers of the final response, body up to a cap.
final class ResponseSink {
  let limit: Int
  var body: [UInt8] = []
  var headers: [String: String] = [:]
  var overflowed = false

  init(limit: Int) { self.limit = limit }

  func header(_ line: String) {
    let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.hasPrefix("HTTP/") {
      headers = [:]  // a new response (after 100 Continue or a redirect)
      return
    }
    guard let colon = trimmed.firstIndex(of: ":") else { return }
    let name = trimmed[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
    let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    if let old = headers[name] { headers[name] = old + ", " + value } else { headers[name] = value }
  }
}

private let curlWrite: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
  data, size, count, context in
  guard let context else { return 0 }
  let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
  let n = size * count
  if sink.body.count + n > sink.limit {
    sink.overflowed = true
    return 0  // libcurl stops with CURLE_WRITE_ERROR
  }
  if let data, n > 0 {
    data.withMemoryRebound(to: UInt8.self, capacity: n) {
      sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
    }
  }
  return n
}

private let curlHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
  data, size, count, context in
  let n = size * count
  guard let context, let data else { return n }
  let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
  let line = data.withMemoryRebound(to: UInt8.self, capacity: n) {
    String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self)
  }
  sink.header(line)
  return n
}
