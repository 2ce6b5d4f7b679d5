// TLS against a real HTTPS server (Python's http.server wrapped in ssl) with a test CA made by
// the openssl command: without the CA the post fails (peer verified), with it it succeeds.

import CurlTransport
import Foundation
import Reporting
import TestSupport
import Testing

/// A CA, a server certificate for 127.0.0.1 and localhost, and an HTTPS server using it.
final class TLSServer: @unchecked Sendable {
  let dir = TempDir(prefix: "agentgate-tls")
  let process = Process()
  private(set) var port = 0
  var caFile: String { dir.file("ca.pem") }
  var url: String { "https://127.0.0.1:\(port)" }

  static let serverScript = """
    import http.server, ssl, sys, os, signal
    signal.alarm(120)
    cert, key, portfile = sys.argv[1:4]
    class H(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get('Content-Length', '0'))
            body = self.rfile.read(n)
            out = ('{"received": %d, "auth": "%s"}' % (len(body), self.headers.get('Authorization', ''))).encode()
            self.send_response(201)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        def log_message(self, *a):
            pass
    srv = http.server.HTTPServer(('127.0.0.1', 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    open(portfile + '.tmp', 'w').write(str(srv.server_address[1]))
    os.rename(portfile + '.tmp', portfile)
    srv.serve_forever()
    """

  init() throws {
    func openssl(_ args: [String]) throws {
      let r = try runProcess(["openssl"] + args, cwd: dir.path, timeout: 60)
      guard r.status == 0 else {
        throw TestSupportError.commandFailed("openssl \(args.joined(separator: " "))", r.status, r.stderr)
      }
    }
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    try openssl(
      ["req", "-x509"] + ec + [
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=AgentGate Test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
      ])
    try openssl(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"])
    try dir.write(
      "ext.cnf",
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    try openssl([
      "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
      "-days", "2", "-extfile", "ext.cnf",
    ])
    try dir.write("server.py", Self.serverScript)
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", dir.file("server.py"), dir.file("server.pem"), dir.file("server.key"), dir.file("port"),
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    var found: Int?
    for _ in 0..<200 {
      if let text = try? String(contentsOfFile: dir.file("port"), encoding: .utf8), let p = Int(text) {
        found = p
        break
      }
      guard process.isRunning else { break }
      usleep(50_000)
    }
    guard let found else {
      process.terminate()
      throw TestSupportError.commandFailed("python3 https server", -1, "did not start within 10 s")
    }
    port = found
  }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
  }
}

@Suite(.serialized) struct TLSTests {
  @Test func verifiesThePeerAndTrustsAGivenCA() throws {
    let server = try TLSServer()
    let request = HTTPRequest(method: "POST", url: server.url + "/x", body: Array("{}".utf8))

    let untrusted = try CurlTransport(options: CurlOptions(connectTimeout: 5, totalTimeout: 10))
    #expect {
      try untrusted.send(request)
    } throws: { error in
      guard case .tls(let m) = error as? TransportError else { return false }
      return m.contains("127.0.0.1")
    }

    let trusted = try CurlTransport(options: CurlOptions(connectTimeout: 5, totalTimeout: 10, caBundle: server.caFile))
    let response = try trusted.send(request)
    #expect(response.status == 201)
    #expect(response.bodyText.contains("\"received\": 2"))

    // A post through the publisher with the CA: delivered, token sent over TLS only.
    let dir = TempDir()
    let outcome = Reporting.post(
      verdict: Sample.verdict(), target: PostTarget(forge: .gitea, apiURL: server.url + "/api/v1", repo: "o/r"),
      transport: trusted, tokens: { _ in testToken }, clock: VirtualClock(), outbox: Outbox(directory: dir.path))
    #expect(outcome.status == .delivered, "\(outcome.message)")

    // Without the CA the post is not delivered: a TLS failure is not retried, it is queued.
    let refused = Reporting.post(
      verdict: Sample.verdict(), target: PostTarget(forge: .gitea, apiURL: server.url + "/api/v1", repo: "o/r"),
      transport: untrusted, tokens: { _ in testToken }, clock: VirtualClock(), outbox: Outbox(directory: dir.path))
    #expect(refused.status == .queued)
    #expect(refused.message.contains("TLS failed"))
    #expect(refused.records.first?.attempts == 1)
  }

  @Test func anUnreadableCABundleIsAnError() {
    #expect(throws: TransportError.tls("the CA bundle /nonexistent/ca.pem cannot be read")) {
      try CurlTransport(options: CurlOptions(caBundle: "/nonexistent/ca.pem"))
    }
  }
}
