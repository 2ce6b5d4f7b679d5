// Socket and thread helpers for the fetch-phase proxy and its in-sandbox forwarder: owned fds,
// unix and loopback listeners, connects with a deadline, a relay that copies both ways with an
// idle timeout and a byte budget, and detached threads with a small stack.

import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Starts a detached thread (256 KiB stack) running `body`.
func startThread(_ body: @escaping @Sendable () -> Void) throws(SandboxError) {
  final class Box {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
  let box = Unmanaged.passRetained(Box(body)).toOpaque()
  var attr = pthread_attr_t()
  pthread_attr_init(&attr)
  defer { pthread_attr_destroy(&attr) }
  pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
  pthread_attr_setstacksize(&attr, 256 << 10)
  var tid = pthread_t()
  let rc = pthread_create(
    &tid, &attr,
    { raw in
      Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
      return nil
    }, box)
  if rc != 0 {
    Unmanaged<Box>.fromOpaque(box).release()
    throw .systemCall("pthread_create", errno: rc)
  }
}

enum Socket {
  static let stream = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)

  static func withAddress<R>(
    _ storage: inout sockaddr_storage, _ body: (UnsafePointer<sockaddr>) -> R
  ) -> R {
    withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1, body) }
  }

  static func unixAddress(_ path: String) throws(SandboxError) -> sockaddr_un {
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: addr.sun_path)
    guard !bytes.isEmpty, bytes.count < capacity else {
      throw .invalidRequest("unix socket path too long (\(bytes.count) bytes, at most \(capacity - 1)): \(path)")
    }
    withUnsafeMutableBytes(of: &addr.sun_path) { buf in
      for (i, b) in bytes.enumerated() { buf[i] = b }
      buf[bytes.count] = 0
    }
    return addr
  }

  /// Listens on a fresh pathname unix socket (an existing file at `path` is an error).
  static func listenUnix(_ path: String, backlog: Int32 = 64) throws(SandboxError) -> FileDescriptor {
    let fd = try unixSocket(path, "bind", bind)
    try sys(listen(fd.raw, backlog), "listen(\(path))")
    return fd
  }

  static func connectUnix(_ path: String) throws(SandboxError) -> FileDescriptor {
    try unixSocket(path, "connect", connect)
  }

  /// A fresh unix stream socket on which `call` (bind or connect) was made with `path`'s address.
  private static func unixSocket(
    _ path: String, _ what: String, _ call: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32
  ) throws(SandboxError) -> FileDescriptor {
    var addr = try unixAddress(path)
    let fd = FileDescriptor(try sys(socket(AF_UNIX, stream, 0), "socket(AF_UNIX)"))
    let rc = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        call(fd.raw, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    try sys(rc, "\(what)(\(path))")
    return fd
  }

  /// Listens on 127.0.0.1:`port` (0: any free port); returns the fd and the port.
  static func listenLoopback(port: UInt16, backlog: Int32 = 64) throws(SandboxError) -> (FileDescriptor, UInt16) {
    let fd = FileDescriptor(try sys(socket(AF_INET, stream, 0), "socket(AF_INET)"))
    var one: Int32 = 1
    setsockopt(fd.raw, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let rc = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd.raw, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    try sys(rc, "bind(127.0.0.1:\(port))")
    try sys(listen(fd.raw, backlog), "listen(127.0.0.1:\(port))")
    var bound = sockaddr_in()
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &bound) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd.raw, $0, &len) }
    }
    return (fd, UInt16(bigEndian: bound.sin_port))
  }

  /// Connects to `address` within `timeout` seconds (non-blocking connect, then blocking again).
  static func connectTCP(to address: ResolvedAddress, timeout: Double) -> Result<FileDescriptor, SandboxError> {
    var storage = address.storage
    let raw = socket(Int32(storage.ss_family), stream, 0)
    guard raw >= 0 else { return .failure(.systemCall("socket", errno: errno)) }
    let fd = FileDescriptor(raw)
    let flags = fcntl(raw, F_GETFL)
    _ = fcntl(raw, F_SETFL, flags | O_NONBLOCK)
    let rc = withAddress(&storage) { Glibc.connect(raw, $0, address.length) }
    if rc != 0 {
      guard errno == EINPROGRESS else { return .failure(.systemCall("connect(\(address.text))", errno: errno)) }
      var p = pollfd(fd: raw, events: Int16(POLLOUT), revents: 0)
      let deadline = monotonicNow() + timeout
      while true {
        let left = deadline - monotonicNow()
        guard left > 0 else { return .failure(.systemCall("connect(\(address.text)) timed out", errno: ETIMEDOUT)) }
        let n = poll(&p, 1, Int32((left * 1000).rounded(.up)))
        if n < 0 && errno == EINTR { continue }
        if n > 0 { break }
        if n < 0 { return .failure(.systemCall("poll(connect)", errno: errno)) }
      }
      var err: Int32 = 0
      var len = socklen_t(MemoryLayout<Int32>.size)
      getsockopt(raw, SOL_SOCKET, SO_ERROR, &err, &len)
      if err != 0 { return .failure(.systemCall("connect(\(address.text))", errno: err)) }
    }
    _ = fcntl(raw, F_SETFL, flags)
    return .success(fd)
  }

  /// accept() with the new fd close-on-exec (spawned children close every fd above their map anyway).
  static func acceptClient(_ listener: Int32) -> Int32 {
    let c = accept(listener, nil, nil)
    if c >= 0 { _ = fcntl(c, F_SETFD, FD_CLOEXEC) }
    return c
  }

  /// Sends everything (no SIGPIPE); false when the peer is gone.
  static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var off = 0
    while off < bytes.count {
      let n = send(fd, bytes.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      off += n
    }
    return true
  }

  static func sendAll(_ fd: Int32, _ text: String) -> Bool {
    Array(text.utf8).withUnsafeBytes { sendAll(fd, $0) }
  }
}

/// One address a host name resolved to, with its printable form.
struct ResolvedAddress: @unchecked Sendable {
  var storage: sockaddr_storage
  var length: socklen_t
  var text: String
  /// The raw address bytes (4 for IPv4, 16 for IPv6).
  var bytes: [UInt8]

  /// Parses a numeric IPv4 or IPv6 literal.
  init?(literal: String, port: UInt16) {
    if literal.contains(":") {
      var a6 = sockaddr_in6()
      a6.sin6_family = sa_family_t(AF_INET6)
      a6.sin6_port = port.bigEndian
      guard inet_pton(AF_INET6, literal, &a6.sin6_addr) == 1 else { return nil }
      self.init(address: a6)
    } else {
      var a4 = sockaddr_in()
      a4.sin_family = sa_family_t(AF_INET)
      a4.sin_port = port.bigEndian
      guard inet_pton(AF_INET, literal, &a4.sin_addr) == 1 else { return nil }
      self.init(address: a4)
    }
  }

  /// A `sockaddr_in` or `sockaddr_in6`, copied into storage with its length.
  private init<Address>(address: Address) {
    var storage = sockaddr_storage()
    withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: address) { dst.copyMemory(from: $0) } }
    self.init(storage: storage, length: socklen_t(MemoryLayout<Address>.size))
  }

  init(storage: sockaddr_storage, length: socklen_t) {
    self.storage = storage
    self.length = length
    var s = storage
    var buf = [CChar](repeating: 0, count: 64)
    if Int32(storage.ss_family) == AF_INET6 {
      let a6 = withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee } }
      var addr = a6.sin6_addr
      inet_ntop(AF_INET6, &addr, &buf, socklen_t(buf.count))
      bytes = withUnsafeBytes(of: a6.sin6_addr) { Array($0) }
    } else {
      let a4 = withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee } }
      var addr = a4.sin_addr
      inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
      bytes = withUnsafeBytes(of: a4.sin_addr) { Array($0) }
    }
    text = cString(buf)
  }

  /// Resolves `host` with the system resolver (TCP addresses only).
  static func resolve(_ host: String, port: UInt16) -> [ResolvedAddress] {
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var list: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &list) == 0 else { return [] }
    defer { freeaddrinfo(list) }
    var out: [ResolvedAddress] = []
    var cur = list
    while let ai = cur {
      if let sa = ai.pointee.ai_addr, ai.pointee.ai_family == AF_INET || ai.pointee.ai_family == AF_INET6 {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { dst in
          dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(ai.pointee.ai_addrlen)))
        }
        out.append(ResolvedAddress(storage: storage, length: ai.pointee.ai_addrlen))
      }
      cur = ai.pointee.ai_next
    }
    return out
  }
}

/// Why a relay ended.
enum RelayEnd: String, Sendable {
  case closed, idle = "idle timeout", byteCap = "byte cap", stopped
}

/// Copies bytes both ways between `a` (the client side) and `b` until one side closes, nothing
/// moves for `idleTimeout`, `budget` refuses more bytes, or `stop` becomes readable.
/// Returns bytes a→b, bytes b→a and why it ended.
func relay(
  _ a: Int32, _ b: Int32, stop: Int32?, idleTimeout: Double, budget: (Int) -> Bool
) -> (up: Int, down: Int, end: RelayEnd) {
  var up = 0
  var down = 0
  var buf = [UInt8](repeating: 0, count: 32 << 10)
  var openA = true
  var openB = true
  var lastActivity = monotonicNow()
  while openA || openB {
    let left = lastActivity + idleTimeout - monotonicNow()
    if left <= 0 { return (up, down, .idle) }
    var fds: [pollfd] = []
    if openA { fds.append(pollfd(fd: a, events: Int16(POLLIN), revents: 0)) }
    if openB { fds.append(pollfd(fd: b, events: Int16(POLLIN), revents: 0)) }
    if let stop { fds.append(pollfd(fd: stop, events: Int16(POLLIN), revents: 0)) }
    let n = poll(&fds, nfds_t(fds.count), Int32(min(left * 1000, 60_000).rounded(.up)))
    if n < 0 && errno == EINTR { continue }
    if n < 0 { return (up, down, .closed) }
    for p in fds where p.revents != 0 {
      if p.fd == stop { return (up, down, .stopped) }
      let from = p.fd
      let to = from == a ? b : a
      let got = recv(from, &buf, buf.count, 0)
      if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
      if got <= 0 {
        // Half-close: pass the EOF on and keep copying the other way.
        shutdown(to, Int32(SHUT_WR))
        if from == a { openA = false } else { openB = false }
        continue
      }
      guard budget(got) else { return (up, down, .byteCap) }
      let ok = buf.withUnsafeBytes { Socket.sendAll(to, UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
      if from == a { up += got } else { down += got }
      lastActivity = monotonicNow()
      if !ok { return (up, down, .closed) }
    }
  }
  return (up, down, .closed)
}

/// A counter shared between threads.
final class Counter: Sendable {
  private let value = Mutex(0)
  /// Adds `n` when the result stays at or below `limit`; false (nothing added) otherwise.
  func add(_ n: Int, limit: Int = .max) -> Bool {
    value.withLock { v in
      guard v <= limit - n else { return false }
      v += n
      return true
    }
  }
  func subtract(_ n: Int) { value.withLock { $0 -= n } }
  var current: Int { value.withLock { $0 } }
}
