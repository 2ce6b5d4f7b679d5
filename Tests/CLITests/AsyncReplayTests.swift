import Foundation
import TestSupport
import Testing

/// A loopback webhook receiver (python3's http.server) that appends each POST body to a file.
final class WebhookReceiver {
  let process = Process()
  let dir = TempDir(prefix: "agentgate-webhook")
  var log: String { dir.file("bodies.jsonl") }
  let port: Int

  init() throws {
    let script = """
      import http.server, sys
      log = sys.argv[1]
      class H(http.server.BaseHTTPRequestHandler):
          def do_POST(self):
              body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
              with open(log, 'ab') as f:
                  f.write(body.replace(b'\\n', b' ') + b'\\n')
              self.send_response(200); self.send_header('Content-Length', '0'); self.end_headers()
          def log_message(self, *a): pass
      s = http.server.HTTPServer(('127.0.0.1', 0), H)
      open(sys.argv[2], 'w').write(str(s.server_address[1]))
      s.timeout = 1
      for _ in range(120):
          s.handle_request()
      """
    try dir.write("server.py", script)
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", dir.file("server.py"), dir.file("bodies.jsonl"), dir.file("port")]
    try process.run()
    let deadline = Date().addingTimeInterval(20)
    var found: Int?
    while Date() < deadline {
      if let text = try? String(contentsOfFile: dir.file("port"), encoding: .utf8), let p = Int(text) {
        found = p
        break
      }
      usleep(20_000)
    }
    guard let found else {
      process.terminate()
      throw TestSupportError.commandFailed("webhook receiver", -1, "did not start")
    }
    port = found
  }

  func bodies() -> [String] {
    ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
  }

  deinit {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }
}

@Suite(.serialized) struct AsyncReplayTests {
  @Test func postReceiveReplaysInTheBackgroundAndPostsPendingThenFinal() throws {
    let receiver = try WebhookReceiver()
    let server = try GitRepo(bare: true)
    let install = try runProcess([
      agentgateBinary(), "install", "--hook", "pre-receive", "--repo", server.path, "--forge", "webhook",
      "--api-url", "http://127.0.0.1:\(receiver.port)/hook", "--forge-repo", "demo",
    ])
    #expect(install.status == 0, "\(install.stderr)")
    try Data("[replay]\ntest = [\"test -f README.md\"]\n".utf8)
      .write(to: URL(fileURLWithPath: server.path + "/hooks/agentgate.toml"))

    let client = try GitRepo()
    try client.git(["remote", "add", "origin", server.path])
    try client.commit("Add readme\n\nCo-Authored-By: Claude <noreply@anthropic.com>", files: ["README.md": "hi\n"])
    // The job folder is the machine configuration's (default: $XDG_STATE_HOME/agentgate/jobs).
    let state = server.dir.file("state")
    let push = try runProcess(
      ["git", "-C", client.path, "push", "origin", "main"], env: ["HOME": client.path, "XDG_STATE_HOME": state])
    #expect(push.status == 0, "\(push.stderr)")
    #expect(push.stderr.contains("replay runs in the background"))

    // The job folder holds its pid while it runs and verdict.json when done.
    let (_, verdictPath) = try waitForBackgroundJob(state: state)
    let verdict = try #require(FileManager.default.contents(atPath: verdictPath), "the job wrote no verdict")
    let doc = try #require(try JSONSerialization.jsonObject(with: verdict) as? [String: Any])
    let commits = try #require(doc["commits"] as? [[String: Any]])
    let replay = try #require(commits.first?["replay"] as? [String: Any])
    #expect(replay["status"] as? String == "passed")
    let bodies = receiver.bodies()
    #expect(bodies.count == 2)
    #expect(bodies.first?.contains("\"pending\"") == true)
    #expect(bodies.last?.contains("\"passed\"") == true)
  }
}

/// Waits (with a deadline, never a fixed sleep) for post-receive's background job under `state` to
/// write its verdict, then ends the job by its recorded PID. Returns the job folder and the
/// verdict's path (which may be missing when the deadline passed).
func waitForBackgroundJob(state: String) throws -> (job: String, verdictPath: String) {
  let jobs = state + "/agentgate/jobs"
  let job = try #require(try FileManager.default.contentsOfDirectory(atPath: jobs).first)
  let verdictPath = "\(jobs)/\(job)/verdict.json"
  let deadline = Date().addingTimeInterval(90)
  while Date() < deadline && !FileManager.default.fileExists(atPath: verdictPath) { usleep(50_000) }
  if let pid = (try? String(contentsOfFile: "\(jobs)/\(job)/pid", encoding: .utf8)).flatMap({
    Int32($0.trimmingCharacters(in: .whitespacesAndNewlines))
  }) {
    kill(pid, SIGKILL)
  }
  return ("\(jobs)/\(job)", verdictPath)
}
