// A real HTTP/1.1 server on 127.0.0.1 for the posting tests: binds port 0, accepts on a thread,
// parses the request line, headers and Content-Length body, answers from a script, records every
// request, and injects faults (never answering, resetting, closing without an answer).

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

struct RecordedRequest: Sendable {
  var method: String
  /// The request target: path and query.
  var target: String
  /// Lower-cased names; repeated headers joined with ", ".
  var headers: [String: String]
  var body: [UInt8]

  var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
  var query: String? { target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) }
  var bodyText: String { String(decoding: body, as: UTF8.self) }
  /// The body as a JSON object (Foundation's parser, independent of the code under test).
  var json: [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
  }
}

enum ServerAction: Sendable {
  case respond(status: Int, headers: [String: String], body: String)
  /// Reads the request and never answers (until the server stops).
  case hang
  /// Reads the request, then resets the connection (RST).
  case reset
  /// Reads the request, then closes the connection without a byte of answer.
  case close

  static func status(_ code: Int, _ body: String = "{}", headers: [String: String] = [:]) -> ServerAction {
    .respond(status: code, headers: headers, body: body)
  }
}

final class LoopbackServer: @unchecked Sendable {
  private let lock = NSLock()
  private var listener: Int32 = -1
  private var script: [ServerAction] = []
  private var fallback: @Sendable (RecordedRequest) -> ServerAction
  private var recorded: [RecordedRequest] = []
  private var open: Set<Int32> = []
  private var stopped = false
  private let hangRelease = DispatchSemaphore(value: 0)
  private var hanging = 0
  let port: Int

  /// `fallback` answers once the script is used up.
  init(fallback: @escaping @Sendable (RecordedRequest) -> ServerAction = { _ in .status(201) }) throws {
    self.fallback = fallback
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 64) == 0 else {
      close(fd)
      throw POSIXError(.init(rawValue: errno) ?? .EIO)
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    port = Int(UInt16(bigEndian: addr.sin_port))
    listener = fd
    let thread = Thread { [self] in acceptLoop(fd) }
    thread.start()
  }

  deinit { stop() }

  var baseURL: String { "http://127.0.0.1:\(port)" }

  /// Queues answers for the next requests, in order.
  func enqueue(_ actions: ServerAction...) {
    lock.withLock { script.append(contentsOf: actions) }
  }

  func setFallback(_ f: @escaping @Sendable (RecordedRequest) -> ServerAction) {
    lock.withLock { fallback = f }
  }

  var requests: [RecordedRequest] { lock.withLock { recorded } }

  func stop() {
    let (fd, conns, waiting): (Int32, Set<Int32>, Int) = lock.withLock {
      if stopped { return (-1, [], 0) }
      stopped = true
      let r = (listener, open, hanging)
      listener = -1
      return r
    }
    guard fd >= 0 else { return }
    shutdown(fd, Int32(SHUT_RDWR))
    close(fd)
    for _ in 0..<waiting { hangRelease.signal() }
    for c in conns { shutdown(c, Int32(SHUT_RDWR)) }
  }

  private func acceptLoop(_ fd: Int32) {
    while true {
      let conn = accept(fd, nil, nil)
      if conn < 0 {
        if errno == EINTR { continue }
        return
      }
      let isStopped = lock.withLock {
        if !stopped { open.insert(conn) }
        return stopped
      }
      if isStopped {
        close(conn)
        return
      }
      let t = Thread { [self] in
        serve(conn)
        lock.withLock { _ = open.remove(conn) }
        close(conn)
      }
      t.start()
    }
  }

  private func serve(_ conn: Int32) {
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    // Several requests may come on one kept-alive connection.
    var pending: [UInt8] = []
    while true {
      guard let request = readRequest(conn, buffer: &pending) else { return }
      let action: ServerAction = lock.withLock {
        recorded.append(request)
        return script.isEmpty ? fallback(request) : script.removeFirst()
      }
      switch action {
      case .respond(let status, let headers, let body):
        var head = "HTTP/1.1 \(status) \(reason(status))\r\n"
        var all = headers
        all["Content-Length"] = String(body.utf8.count)
        if all["Content-Type"] == nil { all["Content-Type"] = "application/json" }
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        guard sendAll(conn, Array(head.utf8) + Array(body.utf8)) else { return }
      case .hang:
        lock.withLock { hanging += 1 }
        hangRelease.wait()
        return
      case .reset:
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(conn, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        return
      case .close:
        return
      }
    }
  }

  private func sendAll(_ conn: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let n = bytes[offset...].withUnsafeBytes { send(conn, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if n <= 0 { return false }
      offset += n
    }
    return true
  }

  private func readRequest(_ conn: Int32, buffer: inout [UInt8]) -> RecordedRequest? {
    let separator: [UInt8] = [13, 10, 13, 10]
    var headerEnd: Int?
    while headerEnd == nil {
      if let r = find(separator, in: buffer) {
        headerEnd = r
        break
      }
      guard let chunk = receive(conn) else { return nil }
      buffer += chunk
    }
    let head = String(decoding: buffer[..<headerEnd!], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let requestLine = lines.removeFirst().split(separator: " ")
    guard requestLine.count >= 2 else { return nil }
    var headers: [String: String] = [:]
    for line in lines {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let name = line[..<colon].lowercased()
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      headers[name] = headers[name].map { "\($0), \(value)" } ?? value
    }
    let length = Int(headers["content-length"] ?? "0") ?? 0
    let bodyStart = headerEnd! + 4
    while buffer.count < bodyStart + length {
      guard let chunk = receive(conn) else { return nil }
      buffer += chunk
    }
    let body = Array(buffer[bodyStart..<bodyStart + length])
    buffer.removeFirst(bodyStart + length)
    return RecordedRequest(
      method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
  }

  private func receive(_ conn: Int32) -> [UInt8]? {
    var chunk = [UInt8](repeating: 0, count: 65536)
    let n = chunk.withUnsafeMutableBytes { recv(conn, $0.baseAddress, $0.count, 0) }
    guard n > 0 else { return nil }
    return Array(chunk[..<n])
  }

  private func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
    guard hay.count >= needle.count else { return nil }
    for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<i + needle.count]) == needle {
      return i
    }
    return nil
  }

  private func reason(_ status: Int) -> String {
    switch status {
    case 200: "OK"
    case 201: "Created"
    case 204: "No Content"
    case 301: "Moved Permanently"
    case 307: "Temporary Redirect"
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 422: "Unprocessable Entity"
    case 429: "Too Many Requests"
    case 500: "Internal Server Error"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    default: "Status"
    }
  }
}
