// The fetch phase's only way out: an HTTP CONNECT proxy run by the gate on a unix socket that is
// bound into the sandbox (which has no network interface but its own loopback).
//
// - Only `CONNECT host:port` is served; any other method is refused (405).
// - The target must be on the allowlist (`host`, `host:port`, `*.domain`, `*.domain:port`; port
//   443 when none is named); anything else gets 403 and is logged.
// - Names are resolved on the host (or pinned by the machine configuration); every address is
//   checked against an explicit deny list (loopback, unspecified, RFC 1918, CGNAT, link-local,
//   ULA, multicast, reserved), so an allowed name can never pivot to the host's own services.
//   TEST-NET and benchmark ranges are not on the list: some egress gateways resolve public
//   registries into them.
// - Bounded: a request head of at most 8 KiB read within a deadline, a connect timeout, an idle
//   timeout per tunnel, a byte budget for the whole proxy lifetime, and at most
//   `maxConnections` tunnels at once (a thread each, small stacks).
// - Decisions are logged as data (host, port, allowed or why not, bytes): never a header, so no
//   credential a client sends ever reaches the log.

import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// One allowlist entry: an exact host or a `*.` suffix, with a port.
public struct EgressRule: Sendable, Equatable, CustomStringConvertible {
  public var host: String
  public var wildcard: Bool
  public var port: UInt16

  /// Parses `host`, `host:port`, `*.domain[:port]` or `[v6]:port`.
  public init(_ entry: String) throws(SandboxError) {
    var text = entry.lowercased().trimmingCharacters(in: " \t")
    var port: UInt16 = 443
    if text.hasPrefix("[") {
      guard let close = text.firstIndex(of: "]") else { throw Self.bad(entry) }
      let rest = text[text.index(after: close)...]
      if rest.hasPrefix(":") {
        guard let p = UInt16(rest.dropFirst()), p > 0 else { throw Self.bad(entry) }
        port = p
      } else if !rest.isEmpty {
        throw Self.bad(entry)
      }
      text = String(text[text.index(after: text.startIndex)..<close])
    } else if let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") {
      guard let p = UInt16(text[text.index(after: colon)...]), p > 0 else { throw Self.bad(entry) }
      port = p
      text = String(text[..<colon])
    }
    if text.hasSuffix(".") { text.removeLast() }
    wildcard = text.hasPrefix("*.")
    if wildcard { text.removeFirst(2) }
    guard EgressRule.isValidHost(text) else { throw Self.bad(entry) }
    host = text
    self.port = port
  }

  private static func bad(_ entry: String) -> SandboxError {
    .invalidRequest(
      "proxy allowlist entry '\(entry)' is not a host, host:port or *.domain[:port]; fix proxy.allowed_hosts")
  }

  /// Letters, digits, dots, dashes (a DNS name), or an IP literal.
  static func isValidHost(_ host: String) -> Bool {
    guard !host.isEmpty, host.utf8.count <= 253 else { return false }
    if ResolvedAddress(literal: host, port: 0) != nil { return true }
    return host.utf8.allSatisfy { c in
      (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x2d
    } && !host.hasPrefix(".") && !host.contains("..")
  }

  public func matches(host other: String, port otherPort: UInt16) -> Bool {
    guard port == otherPort else { return false }
    return wildcard ? other.hasSuffix("." + host) : other == host
  }

  public var description: String { (wildcard ? "*." : "") + host + ":\(port)" }
}

/// What the proxy decided about one CONNECT (or one malformed request).
public struct EgressDecision: Sendable, Equatable, Codable {
  public var host: String
  public var port: Int
  public var allowed: Bool
  /// Why it was refused, or how an allowed tunnel ended.
  public var reason: String
  public var bytesUp: Int
  public var bytesDown: Int

  public init(host: String, port: Int, allowed: Bool, reason: String, bytesUp: Int = 0, bytesDown: Int = 0) {
    self.host = host
    self.port = port
    self.allowed = allowed
    self.reason = reason
    self.bytesUp = bytesUp
    self.bytesDown = bytesDown
  }
}

/// How the fetch phase reaches the network: which hosts, how long, how much.
public struct EgressPolicy: Sendable, Equatable {
  /// `host`, `host:port`, `*.domain`, `*.domain:port` (port 443 when none is named).
  public var allowedHosts: [String]
  /// Host name → fixed addresses (like curl --resolve), instead of the system resolver.
  public var pinnedAddresses: [String: [String]]
  public var connectTimeout: Double
  /// A tunnel with no byte moving for this long is closed.
  public var idleTimeout: Double
  /// Bytes (both ways, all tunnels) the proxy moves in its lifetime before it closes tunnels.
  public var byteCap: Int
  public var maxConnections: Int

  public init(
    allowedHosts: [String], pinnedAddresses: [String: [String]] = [:], connectTimeout: Double = 10,
    idleTimeout: Double = 120, byteCap: Int = 2 << 30, maxConnections: Int = 32
  ) {
    self.allowedHosts = allowedHosts
    self.pinnedAddresses = pinnedAddresses
    self.connectTimeout = connectTimeout
    self.idleTimeout = idleTimeout
    self.byteCap = byteCap
    self.maxConnections = maxConnections
  }

  /// The parsed rules; throws on an entry that is not a host.
  public func rules() throws(SandboxError) -> [EgressRule] {
    var out: [EgressRule] = []
    for entry in allowedHosts { out.append(try EgressRule(entry)) }
    return out
  }
}

/// Address ranges no tunnel may reach, whatever name led there.
public enum EgressDenyList {
  /// (network, prefix length) for IPv4.
  public static let ipv4: [([UInt8], Int)] = [
    ([0, 0, 0, 0], 8),  // "this network", unspecified
    ([10, 0, 0, 0], 8),  // RFC 1918
    ([100, 64, 0, 0], 10),  // CGNAT
    ([127, 0, 0, 0], 8),  // loopback
    ([169, 254, 0, 0], 16),  // link-local, cloud metadata
    ([172, 16, 0, 0], 12),  // RFC 1918
    ([192, 0, 0, 0], 24),  // IETF protocol assignments
    ([192, 168, 0, 0], 16),  // RFC 1918
    ([224, 0, 0, 0], 4),  // multicast
    ([240, 0, 0, 0], 4),  // reserved, broadcast
  ]
  public static let ipv6: [([UInt8], Int)] = [
    ([UInt8](repeating: 0, count: 16), 128),  // unspecified
    ([UInt8](repeating: 0, count: 15) + [1], 128),  // loopback
    ([0xfc] + [UInt8](repeating: 0, count: 15), 7),  // ULA
    ([0xfe, 0x80] + [UInt8](repeating: 0, count: 14), 10),  // link-local
    ([0xff] + [UInt8](repeating: 0, count: 15), 8),  // multicast
  ]

  static func inRange(_ addr: [UInt8], _ net: [UInt8], _ prefix: Int) -> Bool {
    guard addr.count == net.count else { return false }
    var bits = prefix
    for i in 0..<addr.count where bits > 0 {
      let mask: UInt8 = bits >= 8 ? 0xff : ~(0xff >> UInt8(bits))
      if addr[i] & mask != net[i] & mask { return false }
      bits -= 8
    }
    return true
  }

  /// The range that refuses `bytes` (4 or 16 address bytes), nil when none does. IPv4-mapped
  /// and IPv4-compatible IPv6 addresses are judged by their IPv4 part.
  public static func refusal(_ bytes: [UInt8]) -> String? {
    if bytes.count == 16 {
      let mapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
      let compat = bytes[0..<12].allSatisfy { $0 == 0 } && !(bytes[12..<15].allSatisfy { $0 == 0 })
      if mapped || compat { return refusal(Array(bytes[12..<16])) }
      for (net, prefix) in ipv6 where inRange(bytes, net, prefix) {
        return "address in a denied range (\(describe(net, prefix)))"
      }
      return nil
    }
    for (net, prefix) in ipv4 where inRange(bytes, net, prefix) {
      return "address in a denied range (\(describe(net, prefix)))"
    }
    return nil
  }

  static func describe(_ net: [UInt8], _ prefix: Int) -> String {
    if net.count == 4 { return net.map(String.init).joined(separator: ".") + "/\(prefix)" }
    var groups: [String] = []
    for i in stride(from: 0, to: 16, by: 2) {
      groups.append(String(UInt16(net[i]) << 8 | UInt16(net[i + 1]), radix: 16))
    }
    return groups.joined(separator: ":") + "/\(prefix)"
  }
}

/// The running proxy. `stop()` (or deinit) closes the listener and every tunnel and removes the
/// socket file.
public final class EgressProxy: Sendable {
  public let socketPath: String
  public let policy: EgressPolicy
  private let rules: [EgressRule]
  private let listener: Int32
  private let stopRead: Int32
  private let stopWrite: Mutex<Int32>
  private let active = Counter()
  private let moved = Counter()
  private let log = Mutex<[EgressDecision]>([])
  private let onDecision: (@Sendable (EgressDecision) -> Void)?
  private let acceptDone = Mutex(false)

  static let maxLogged = 1000
  static let headLimit = 8 << 10

  /// Starts listening on `socketPath` (which must not exist) with mode 0600.
  public init(
    socketPath: String, policy: EgressPolicy, onDecision: (@Sendable (EgressDecision) -> Void)? = nil
  ) throws(SandboxError) {
    self.socketPath = socketPath
    self.policy = policy
    self.rules = try policy.rules()
    self.onDecision = onDecision
    let l = try Socket.listenUnix(socketPath)
    chmod(socketPath, 0o600)
    let (r, w) = try makePipe()
    // The fds now belong to this object (closed in stop()).
    listener = Self.release(l)
    stopRead = Self.release(r)
    stopWrite = Mutex(Self.release(w))
    let state = State(proxy: self)
    do {
      try startThread { state.proxy.acceptLoop() }
    } catch {
      stop()
      throw error
    }
  }

  /// Lets threads reach the proxy without a retain cycle through a closure capture.
  private final class State: Sendable {
    let proxy: EgressProxy
    init(proxy: EgressProxy) { self.proxy = proxy }
  }

  private static func release(_ fd: FileDescriptor) -> Int32 {
    let raw = fcntl(fd.raw, F_DUPFD_CLOEXEC, 3)
    fd.closeNow()
    return raw
  }

  /// Gives the socket to `uid` (the per-run sandbox uid, which must be able to connect).
  public func handSocket(to uid: UInt32) throws(SandboxError) {
    try sys(lchown(socketPath, uid, uid), "lchown(\(socketPath))")
  }

  /// Everything decided so far (at most the first 1000 decisions).
  public var decisions: [EgressDecision] { log.withLock { $0 } }

  /// Stops accepting, ends every tunnel (waits up to 5 s for them) and removes the socket file.
  public func stop() {
    let first = stopWrite.withLock { w -> Bool in
      guard w >= 0 else { return false }
      close(w)
      w = -1
      return true
    }
    guard first else { return }
    shutdown(listener, Int32(SHUT_RDWR))
    let deadline = monotonicNow() + 5
    while (active.current > 0 || !acceptDone.withLock({ $0 })) && monotonicNow() < deadline {
      var ts = timespec(tv_sec: 0, tv_nsec: 1_000_000)
      nanosleep(&ts, nil)
    }
    close(listener)
    unlink(socketPath)
  }

  deinit {
    stop()
    close(stopRead)
  }

  private func record(_ d: EgressDecision) {
    log.withLock { if $0.count < Self.maxLogged { $0.append(d) } }
    onDecision?(d)
  }

  private func acceptLoop() {
    defer { acceptDone.withLock { $0 = true } }
    while true {
      var fds = [
        pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
        pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0),
      ]
      let n = poll(&fds, 2, -1)
      if n < 0 && errno == EINTR { continue }
      if n < 0 || fds[1].revents != 0 { return }
      let c = Socket.acceptClient(listener)
      if c < 0 {
        if errno == EINTR || errno == ECONNABORTED || errno == EAGAIN { continue }
        return
      }
      let client = FileDescriptor(c)
      guard active.add(1, limit: policy.maxConnections) else {
        _ = Socket.sendAll(c, Self.response(503, "too many tunnels at once"))
        continue
      }
      let state = State(proxy: self)
      let handed = Handoff(client)
      do {
        try startThread {
          state.proxy.serve(handed.fd)
          state.proxy.active.subtract(1)
        }
      } catch {
        active.subtract(1)
      }
    }
  }

  private final class Handoff: @unchecked Sendable {
    let fd: FileDescriptor
    init(_ fd: FileDescriptor) { self.fd = fd }
  }

  static func response(_ code: Int, _ why: String) -> String {
    let phrase =
      switch code {
      case 200: "Connection established"
      case 400: "Bad Request"
      case 403: "Forbidden"
      case 405: "Method Not Allowed"
      case 502: "Bad Gateway"
      case 503: "Service Unavailable"
      default: "Error"
      }
    if code == 200 { return "HTTP/1.1 200 \(phrase)\r\n\r\n" }
    let body = "agentgate fetch proxy: \(why)\n"
    return
      "HTTP/1.1 \(code) \(phrase)\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\n"
      + "Connection: close\r\n\r\n\(body)"
  }

  /// Reads the request head within the connect deadline; returns it and any bytes after it.
  private func readHead(_ fd: Int32) -> (String, [UInt8])? {
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    let deadline = monotonicNow() + policy.connectTimeout
    let end: [UInt8] = [13, 10, 13, 10]
    while bytes.count <= Self.headLimit {
      let left = deadline - monotonicNow()
      guard left > 0 else { return nil }
      var fds = [
        pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0),
      ]
      let n = poll(&fds, 2, Int32((left * 1000).rounded(.up)))
      if n < 0 && errno == EINTR { continue }
      if n <= 0 || fds[1].revents != 0 { return nil }
      let got = recv(fd, &buf, buf.count, 0)
      if got < 0 && errno == EINTR { continue }
      guard got > 0 else { return nil }
      let from = max(0, bytes.count - 3)
      bytes += buf[0..<got]
      if bytes.count >= 4 {
        for i in from...(bytes.count - 4) where bytes[i..<(i + 4)].elementsEqual(end) {
          return (String(decoding: bytes[0..<i], as: UTF8.self), Array(bytes[(i + 4)...]))
        }
      }
    }
    return nil
  }

  /// Splits a CONNECT target `host:port` or `[v6]:port`.
  static func parseTarget(_ target: String) -> (String, UInt16)? {
    var host: Substring
    var portText: Substring
    if target.hasPrefix("[") {
      guard let close = target.firstIndex(of: "]"), target[target.index(after: close)...].hasPrefix(":") else {
        return nil
      }
      host = target[target.index(after: target.startIndex)..<close]
      portText = target[target.index(close, offsetBy: 2)...]
    } else {
      guard let colon = target.lastIndex(of: ":"), !target[..<colon].contains(":") else { return nil }
      host = target[..<colon]
      portText = target[target.index(after: colon)...]
    }
    var h = host.lowercased()
    if h.hasSuffix(".") { h.removeLast() }
    guard let port = UInt16(portText), port > 0, EgressRule.isValidHost(h) else { return nil }
    return (h, port)
  }

  private func serve(_ client: FileDescriptor) {
    let c = client.raw
    guard let (head, early) = readHead(c) else {
      record(EgressDecision(host: "", port: 0, allowed: false, reason: "no complete request head in time"))
      _ = Socket.sendAll(c, Self.response(400, "incomplete request"))
      return
    }
    let requestLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
    let parts = requestLine.split(separator: " ")
    guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
      record(EgressDecision(host: "", port: 0, allowed: false, reason: "malformed request line"))
      _ = Socket.sendAll(c, Self.response(400, "malformed request"))
      return
    }
    guard parts[0] == "CONNECT" else {
      // Plain-HTTP proxying would let the sandbox read the response of any URL; only tunnels.
      let authority = Self.hostOfAbsoluteURI(String(parts[1]))
      let (host, port) = Self.parseTarget(authority) ?? (authority, 0)
      record(
        EgressDecision(
          host: host, port: Int(port), allowed: false, reason: "method \(parts[0].prefix(16)) refused: only CONNECT"))
      _ = Socket.sendAll(c, Self.response(405, "only CONNECT (https) is allowed"))
      return
    }
    guard let (host, port) = Self.parseTarget(String(parts[1])) else {
      record(EgressDecision(host: "", port: 0, allowed: false, reason: "malformed CONNECT target"))
      _ = Socket.sendAll(c, Self.response(400, "malformed CONNECT target"))
      return
    }
    guard rules.contains(where: { $0.matches(host: host, port: port) }) else {
      record(EgressDecision(host: host, port: Int(port), allowed: false, reason: "not on the allowlist"))
      _ = Socket.sendAll(c, Self.response(403, "\(host):\(port) is not on the fetch allowlist"))
      return
    }
    let addresses: [ResolvedAddress]
    if let pinned = policy.pinnedAddresses[host] {
      addresses = pinned.compactMap { ResolvedAddress(literal: $0, port: port) }
    } else if let literal = ResolvedAddress(literal: host, port: port) {
      addresses = [literal]
    } else {
      addresses = ResolvedAddress.resolve(host, port: port)
    }
    guard !addresses.isEmpty else {
      record(EgressDecision(host: host, port: Int(port), allowed: false, reason: "name did not resolve"))
      _ = Socket.sendAll(c, Self.response(502, "\(host) did not resolve"))
      return
    }
    for a in addresses {
      if let why = EgressDenyList.refusal(a.bytes) {
        record(EgressDecision(host: host, port: Int(port), allowed: false, reason: "\(a.text): \(why)"))
        _ = Socket.sendAll(c, Self.response(403, "\(host) resolves to a denied address"))
        return
      }
    }
    var upstream: FileDescriptor?
    var lastError = "no address"
    for a in addresses {
      switch Socket.connectTCP(to: a, timeout: policy.connectTimeout) {
      case .success(let fd): upstream = fd
      case .failure(let e): lastError = e.description
      }
      if upstream != nil { break }
    }
    guard let upstream else {
      record(
        EgressDecision(host: host, port: Int(port), allowed: false, reason: "upstream unreachable: \(lastError)"))
      _ = Socket.sendAll(c, Self.response(502, "\(host):\(port) is unreachable"))
      return
    }
    guard Socket.sendAll(c, Self.response(200, "")) else { return }
    var up = 0
    if !early.isEmpty {
      guard moved.add(early.count, limit: policy.byteCap),
        early.withUnsafeBytes({ Socket.sendAll(upstream.raw, $0) })
      else { return }
      up = early.count
    }
    let cap = policy.byteCap
    let r = relay(c, upstream.raw, stop: stopRead, idleTimeout: policy.idleTimeout) { [moved] n in
      moved.add(n, limit: cap)
    }
    record(
      EgressDecision(
        host: host, port: Int(port), allowed: true, reason: "tunnel ended: \(r.end.rawValue)", bytesUp: up + r.up,
        bytesDown: r.down))
  }

  /// The host of `http://host[:port]/...` (for the log of a refused plain request), else "".
  static func hostOfAbsoluteURI(_ uri: String) -> String {
    let chars = Array(uri)
    guard
      let i = (0..<max(0, chars.count - 2)).first(where: {
        chars[$0] == ":" && chars[$0 + 1] == "/" && chars[$0 + 2] == "/"
      })
    else { return "" }
    let rest = String(chars[(i + 3)...])
    let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    let hostPort = authority.split(separator: "@").last.map(String.init) ?? ""
    return String(hostPort.prefix(253)).lowercased()
  }
}

/// The forwarder that runs inside the sandbox (as `agentgate sandbox forward`): it listens on the
/// sandbox's own loopback and carries each connection to the gate's proxy socket, unchanged.
/// Tools reach it through HTTPS_PROXY; it decides nothing (the gate's proxy does).
public enum EgressForwarder {
  /// Where the proxy socket and the forwarder binary appear inside the sandbox.
  public static let socketMount = "/.agentgate/proxy.sock"
  public static let binaryMount = "/.agentgate/agentgate"
  public static let port: UInt16 = 3128

  /// Listens on 127.0.0.1:`port`, writes `ready\n` to `readyFD`, then serves until killed.
  public static func run(port: UInt16, socketPath: String, readyFD: Int32 = 1) throws(SandboxError) -> Never {
    signal(SIGPIPE, SIG_IGN)
    let (listener, _) = try Socket.listenLoopback(port: port)
    _ = write(readyFD, "ready\n", 6)
    close(readyFD)
    while true {
      let c = Socket.acceptClient(listener.raw)
      if c < 0 {
        if errno == EINTR || errno == ECONNABORTED { continue }
        throw .systemCall("accept", errno: errno)
      }
      let client = FileDescriptor(c)
      let handed = ForwardPair(client)
      try startThread {
        guard let upstream = try? Socket.connectUnix(socketPath) else { return }
        _ = relay(handed.fd.raw, upstream.raw, stop: nil, idleTimeout: 3600) { _ in true }
      }
    }
  }

  private final class ForwardPair: @unchecked Sendable {
    let fd: FileDescriptor
    init(_ fd: FileDescriptor) { self.fd = fd }
  }
}
