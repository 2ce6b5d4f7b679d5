// The fetch-phase proxy: allowlist and deny-list rules as data, the proxy itself against a real
// upstream in a network namespace the test creates (a veth pair, TEST-NET-2 addresses), and the
// whole fetch phase through the shipped binary, as root and unprivileged: an allowed host is
// reached through the proxy (curl with HTTPS_PROXY-style variables), a denied one gets 403, and a
// direct connection from the sandbox has no route.

import Foundation
import TestSupport
import Testing

@testable import Sandbox

@Suite struct EgressRuleTests {
  @Test(arguments: [
    ("pypi.org", "pypi.org", false, 443),
    ("PyPI.org.", "pypi.org", false, 443),
    ("registry.npmjs.org:8443", "registry.npmjs.org", false, 8443),
    ("*.pythonhosted.org", "pythonhosted.org", true, 443),
    ("[2001:db8::1]:443", "2001:db8::1", false, 443),
    ("198.51.100.2:8080", "198.51.100.2", false, 8080),
  ])
  func entriesParse(entry: String, host: String, wildcard: Bool, port: Int) throws {
    let r = try EgressRule(entry)
    #expect(r.host == host && r.wildcard == wildcard && Int(r.port) == port)
  }

  @Test(arguments: ["", "exa mple.com", "host:0", "host:99999", "a..b", "[::1", "evil.com/path", "*.", "x:y"])
  func nonsenseIsRefused(entry: String) {
    #expect(throws: SandboxError.self) { try EgressRule(entry) }
  }

  @Test func wildcardsMatchSubdomainsOnlyAndPortsMustAgree() throws {
    let r = try EgressRule("*.pythonhosted.org")
    #expect(r.matches(host: "files.pythonhosted.org", port: 443))
    #expect(!r.matches(host: "pythonhosted.org", port: 443))
    #expect(!r.matches(host: "evilpythonhosted.org", port: 443))
    #expect(!r.matches(host: "files.pythonhosted.org", port: 80))
  }

  @Test(arguments: [
    ("127.0.0.1", true), ("10.1.2.3", true), ("172.20.0.1", true), ("192.168.1.1", true),
    ("169.254.169.254", true), ("100.64.0.1", true), ("0.0.0.0", true), ("224.0.0.1", true),
    ("255.255.255.255", true), ("::1", true), ("::", true), ("fd00::1", true), ("fe80::1", true),
    ("ff02::1", true), ("::ffff:127.0.0.1", true), ("::ffff:10.0.0.1", true),
    ("198.51.100.2", false), ("151.101.0.223", false), ("2a04:4e42::223", false), ("172.32.0.1", false),
    ("::ffff:151.101.0.223", false),
  ])
  func denyListRefusesLocalRanges(address: String, denied: Bool) throws {
    let a = try #require(ResolvedAddress(literal: address, port: 443))
    #expect((EgressDenyList.refusal(a.bytes) != nil) == denied)
  }

  @Test(arguments: [
    ("pypi.org:443", "pypi.org", 443), ("[::1]:8080", "::1", 8080), ("Host.Example.:80", "host.example", 80),
  ])
  func connectTargetsParse(target: String, host: String, port: Int) throws {
    let (h, p) = try #require(EgressProxy.parseTarget(target))
    #expect(h == host && Int(p) == port)
  }

  @Test(arguments: ["pypi.org", "::1:443", "[::1]443", "a b:443", "host:-1", "host:70000"])
  func badConnectTargetsAreRefused(target: String) {
    #expect(EgressProxy.parseTarget(target) == nil)
  }
}

/// A network namespace with one veth link to the host (198.51.100.1 here, .2 there) and a small
/// upstream server inside it: `GET` gets an HTTP answer, `big N` gets N bytes, a line is echoed.
final class NamespacedUpstream {
  static let address = "198.51.100.2"
  static let port = 8080
  let name: String
  let hostLink: String
  let scratch = TempDir(prefix: "agentgate-upstream")
  let server = Process()

  static let program = """
    import socket, sys, threading, os
    log = open(sys.argv[2], 'a', buffering=1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], 8080)); s.listen(16)
    open(sys.argv[3] + '.tmp', 'w').write('ready'); os.rename(sys.argv[3] + '.tmp', sys.argv[3])
    def serve(c):
        f = c.makefile('rb')
        line = f.readline()
        log.write('line %r\\n' % line)
        if line.startswith(b'GET '):
            while f.readline() not in (b'\\r\\n', b'\\n', b''): pass
            body = b'hello from upstream\\n'
            c.sendall(b'HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n' % len(body) + body)
        elif line.startswith(b'big '):
            n = int(line.split()[1]); chunk = b'x' * 65536
            try:
                while n > 0:
                    c.sendall(chunk[:min(n, 65536)]); n -= 65536
            except OSError:
                pass
        else:
            c.sendall(b'upstream:' + line)
        c.close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
    """

  init() throws {
    let id = String(UInt32.random(in: 0x10_0000...0xff_ffff), radix: 16)
    name = "agt-\(id)"
    hostLink = "agh\(id)"
    let nsLink = "agn\(id)"
    for cmd in [
      ["netns", "add", name],
      ["link", "add", hostLink, "type", "veth", "peer", "name", nsLink],
      ["link", "set", nsLink, "netns", name],
      ["addr", "add", "198.51.100.1/30", "dev", hostLink],
      ["link", "set", hostLink, "up"],
      ["-n", name, "addr", "add", "\(Self.address)/30", "dev", nsLink],
      ["-n", name, "link", "set", nsLink, "up"],
      ["-n", name, "link", "set", "lo", "up"],
    ] {
      let r = try runProcess(["/usr/sbin/ip"] + cmd, timeout: 10)
      guard r.status == 0 else {
        removeNamespace()
        throw TestSupportError.commandFailed("ip \(cmd.joined(separator: " "))", r.status, r.stderr)
      }
    }
    server.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    server.arguments = [
      "netns", "exec", name, "/usr/bin/python3", "-c", Self.program, Self.address, log, scratch.file("ready"),
    ]
    server.standardOutput = FileHandle.nullDevice
    server.standardError = FileHandle.nullDevice
    try server.run()
    guard waitUntil(20, { FileManager.default.fileExists(atPath: self.scratch.file("ready")) }) else {
      stop()
      throw TestSupportError.commandFailed("upstream server", -1, "did not start")
    }
  }

  var log: String { scratch.file("log") }
  var logged: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

  func stop() {
    if server.isRunning {
      kill(server.processIdentifier, SIGKILL)
      server.waitUntilExit()
    }
    removeNamespace()
  }

  /// Deleting one end of the veth pair removes both at once (a namespace's own removal is lazy).
  private func removeNamespace() {
    _ = try? runProcess(["/usr/sbin/ip", "link", "del", hostLink], timeout: 10)
    _ = try? runProcess(["/usr/sbin/ip", "netns", "del", name], timeout: 10)
  }

  deinit { stop() }
}

/// A client of the proxy's unix socket: sends bytes, reads until EOF or a deadline.
struct ProxyClient {
  let fd: Int32

  init(_ path: String) throws {
    fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { buf in
      for (i, b) in path.utf8.enumerated() { buf[i] = b }
    }
    let rc = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
      }
    }
    guard rc == 0 else { throw TestSupportError.commandFailed("connect \(path)", errno, "") }
  }

  func send(_ text: String) {
    _ = Array(text.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }

  /// Reads until `until` appears in what was read, EOF, or `seconds` pass.
  func read(until: String? = nil, seconds: Double = 10) -> (text: String, bytes: Int, eof: Bool) {
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if let until, String(decoding: out, as: UTF8.self).contains(until) { break }
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&p, 1, 100) > 0 else { continue }
      let n = recv(fd, &buf, buf.count, 0)
      if n <= 0 { return (String(decoding: out.prefix(4096), as: UTF8.self), out.count, true) }
      if out.count < 16 << 20 { out += buf[0..<n] }
    }
    return (String(decoding: out.prefix(4096), as: UTF8.self), out.count, false)
  }

  func close() { Glibc.close(fd) }
}

extension SandboxRuns {
  @Suite struct EgressProxyTests {
    func proxy(
      _ upstream: NamespacedUpstream, _ configure: (inout EgressPolicy) -> Void = { _ in }
    ) throws
      -> (EgressProxy, TempDir)
    {
      let dir = TempDir(prefix: "agentgate-proxy")
      var policy = EgressPolicy(
        allowedHosts: ["allowed.test:8080", "loop.test:8080"],
        pinnedAddresses: [
          "allowed.test": [NamespacedUpstream.address], "denied.test": [NamespacedUpstream.address],
          "loop.test": ["127.0.0.1"],
        ])
      configure(&policy)
      return (try EgressProxy(socketPath: dir.file("p.sock"), policy: policy), dir)
    }

    @Test func allowedHostIsTunneledAndEverythingElseIsRefused() throws {
      let upstream = try NamespacedUpstream()
      let (proxy, _dir) = try proxy(upstream)
      defer { proxy.stop() }
      _ = _dir

      let ok = try ProxyClient(proxy.socketPath)
      ok.send(
        "CONNECT allowed.test:8080 HTTP/1.1\r\nHost: allowed.test:8080\r\nProxy-Authorization: Basic c2VjcmV0LXRva2Vu\r\n\r\n"
      )
      #expect(ok.read(until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
      ok.send("hello\n")
      #expect(ok.read(until: "upstream:hello").text.contains("upstream:hello"))
      ok.close()

      let cases: [(String, String)] = [
        ("CONNECT denied.test:8080 HTTP/1.1\r\n\r\n", "HTTP/1.1 403"),
        ("CONNECT allowed.test:9999 HTTP/1.1\r\n\r\n", "HTTP/1.1 403"),
        ("CONNECT \(NamespacedUpstream.address):8080 HTTP/1.1\r\n\r\n", "HTTP/1.1 403"),
        ("CONNECT loop.test:8080 HTTP/1.1\r\n\r\n", "HTTP/1.1 403"),
        ("GET http://allowed.test:8080/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n", "HTTP/1.1 405"),
        ("CONNECT allowed.test HTTP/1.1\r\n\r\n", "HTTP/1.1 400"),
      ]
      for (request, expected) in cases {
        let c = try ProxyClient(proxy.socketPath)
        c.send(request)
        let r = c.read(until: "\n\n")
        #expect(r.text.hasPrefix(expected), "\(request): \(r.text)")
        c.close()
      }
      proxy.stop()
      let d = proxy.decisions
      #expect(d.filter(\.allowed).map(\.host) == ["allowed.test"])
      let refused = d.filter { !$0.allowed }
      #expect(
        refused.map(\.host) == [
          "denied.test", "allowed.test", NamespacedUpstream.address, "loop.test", "allowed.test", "",
        ])
      #expect(refused.first { $0.host == "loop.test" }?.reason.contains("127.0.0.0/8") == true)
      // Only the allowed tunnel reached the upstream.
      #expect(upstream.logged.split(separator: "\n") == ["line b'hello\\n'"])
      // Headers (credentials) never reach the log.
      #expect(!"\(d)".contains("c2VjcmV0"))
    }

    @Test func byteCapEndsTheTunnel() throws {
      let upstream = try NamespacedUpstream()
      let (proxy, _dir) = try proxy(upstream) { $0.byteCap = 200_000 }
      defer { proxy.stop() }
      _ = _dir
      let c = try ProxyClient(proxy.socketPath)
      c.send("CONNECT allowed.test:8080 HTTP/1.1\r\n\r\n")
      #expect(c.read(until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
      c.send("big 5000000\n")
      let r = c.read(seconds: 20)
      c.close()
      #expect(r.eof)
      #expect(r.bytes < 400_000, "\(r.bytes) bytes came through a 200000-byte cap")
      proxy.stop()
      #expect(proxy.decisions.last?.reason == "tunnel ended: byte cap")
    }

    @Test func idleTunnelsAndSilentClientsTimeOut() throws {
      let upstream = try NamespacedUpstream()
      let (proxy, _dir) = try proxy(upstream) {
        $0.idleTimeout = 1
        $0.connectTimeout = 1
      }
      defer { proxy.stop() }
      _ = _dir
      let idle = try ProxyClient(proxy.socketPath)
      idle.send("CONNECT allowed.test:8080 HTTP/1.1\r\n\r\n")
      #expect(idle.read(until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
      #expect(idle.read(seconds: 15).eof)
      idle.close()
      let silent = try ProxyClient(proxy.socketPath)
      silent.send("CONNECT allowed")
      #expect(silent.read(seconds: 15).text.hasPrefix("HTTP/1.1 400"))
      silent.close()
      proxy.stop()
      #expect(proxy.decisions.contains { $0.reason == "tunnel ended: idle timeout" })
      #expect(proxy.decisions.contains { $0.reason == "no complete request head in time" })
    }

    @Test func tooManyTunnelsAreRefusedAndStopEndsTheRest() throws {
      let upstream = try NamespacedUpstream()
      let (proxy, _dir) = try proxy(upstream) { $0.maxConnections = 2 }
      _ = _dir
      var open: [ProxyClient] = []
      for _ in 0..<2 {
        let c = try ProxyClient(proxy.socketPath)
        c.send("CONNECT allowed.test:8080 HTTP/1.1\r\n\r\n")
        #expect(c.read(until: "\r\n\r\n").text.hasPrefix("HTTP/1.1 200"))
        open.append(c)
      }
      let third = try ProxyClient(proxy.socketPath)
      #expect(third.read(until: "\n").text.hasPrefix("HTTP/1.1 503"))
      third.close()
      proxy.stop()
      for c in open {
        #expect(c.read(seconds: 10).eof)
        c.close()
      }
      #expect(!FileManager.default.fileExists(atPath: proxy.socketPath))
    }

    /// A replay with a fetch step: the fetch reaches the allowed host through the proxy and leaves
    /// its download in the work dir; the build step sees the file but has no network at all; the
    /// refused host is named in the fetch step's output.
    @Test func replayFetchStepFeedsTheOfflineBuild() throws {
      let upstream = try NamespacedUpstream()
      let dir = TempDir(prefix: "agentgate-fetchreplay")
      try dir.write("README", "tree\n")
      let egress = FetchEgress(
        policy: EgressPolicy(
          allowedHosts: ["allowed.test:8080"],
          pinnedAddresses: ["allowed.test": [NamespacedUpstream.address], "denied.test": [NamespacedUpstream.address]]),
        forwarder: agentgateBinary())
      let replayer = ReplayRunner(
        runner: SandboxRunner(policy: SandboxPolicy(limits: SandboxLimits(wallClockSeconds: 120))), egress: egress)
      let outcome = replayer.replay(
        workDir: dir.path,
        steps: [
          ReplayCommand(
            kind: .fetch,
            command: "curl -sS --max-time 10 --proxytunnel -o dep.txt http://allowed.test:8080/ && "
              + "{ curl -sS --max-time 10 --proxytunnel http://denied.test:8080/ || true; }",
            origin: "policy"),
          ReplayCommand(
            kind: .build,
            command: "cat dep.txt; curl -sS --max-time 5 --proxytunnel http://allowed.test:8080/ || echo build-offline",
            origin: "policy"),
        ])
      #expect(outcome.status == .passed, "\(outcome)")
      #expect(outcome.steps.count == 2)
      #expect(outcome.steps.first?.outputTail.contains("refused denied.test:8080 (not on the allowlist)") == true)
      #expect(outcome.steps.first?.outputTail.contains("allowed allowed.test:8080 (") == true)
      let build = outcome.steps.last?.outputTail ?? ""
      #expect(build.contains("hello from upstream") && build.contains("build-offline"), "\(build)")
      #expect(upstream.logged.split(separator: "\n").count == 1, "\(upstream.logged)")
    }

    @Test func fetchStepWithoutAProxyIsAnError() throws {
      let dir = TempDir(prefix: "agentgate-fetchreplay")
      let outcome = ReplayRunner(runner: SandboxRunner(policy: SandboxPolicy())).replay(
        workDir: dir.path, steps: [ReplayCommand(kind: .fetch, command: "touch fetched", origin: "policy")])
      #expect(outcome.status == .error)
      #expect(outcome.reason?.contains("proxy configuration") == true)
    }

    /// The whole fetch phase through the binary: curl through the proxy variables reaches the
    /// allowed host, gets 403 for another, and a direct connection has no route. The build phase
    /// (no --allow-host) has neither proxy nor network.
    @Test(arguments: Who.allCases)
    func fetchPhaseReachesOnlyAllowedHostsThroughTheProxy(who: Who) throws {
      let upstream = try NamespacedUpstream()
      let p = try Probe(who)
      let script = """
        echo "proxy=$HTTPS_PROXY"
        curl -sS --max-time 10 --proxytunnel http://allowed.test:8080/ || echo "allowed-failed $?"
        curl -sS --max-time 10 --proxytunnel http://denied.test:8080/ 2>&1; echo "denied-exit $?"
        python3 -c '
        import socket
        try:
            socket.create_connection(("\(NamespacedUpstream.address)", 8080), timeout=3); print("direct-connected")
        except OSError as e:
            print("direct-blocked", e.errno)
        '
        """
      let pins = ["allowed.test", "denied.test"].flatMap { ["--pin-host", "\($0)=\(NamespacedUpstream.address)"] }
      let r = try p.sh(script, extra: ["--allow-host", "allowed.test:8080"] + pins)
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("proxy=http://127.0.0.1:3128"))
      #expect(r.stdout.contains("hello from upstream"), "\(r.stdout) \(r.stderr)")
      #expect(r.stdout.contains("403"), "\(r.stdout)")
      #expect(r.stdout.contains("denied-exit 56"), "\(r.stdout)")
      #expect(r.stdout.contains("direct-blocked 101"), "\(r.stdout)")  // ENETUNREACH: only lo
      #expect(r.stderr.contains("fetch proxy refused denied.test:8080: not on the allowlist"), "\(r.stderr)")
      #expect(upstream.logged.split(separator: "\n") == ["line b'GET / HTTP/1.1\\r\\n'"], "\(upstream.logged)")

      let build = try p.sh(
        """
        echo "proxy=${HTTPS_PROXY:-none}"
        python3 -c '
        import socket
        for target in [("127.0.0.1", 3128), ("\(NamespacedUpstream.address)", 8080)]:
            try:
                socket.create_connection(target, timeout=3); print("connected", target[1])
            except OSError as e:
                print("blocked", target[1])
        '
        ls /.agentgate 2>/dev/null || echo no-agentgate-dir
        """)
      #expect(build.stdout.contains("proxy=none"))
      #expect(build.stdout.contains("blocked 3128") && build.stdout.contains("blocked 8080"), "\(build.stdout)")
      #expect(build.stdout.contains("no-agentgate-dir"))
    }
  }
}
