// Helpers the test targets share: temporary directories, real Git repositories built with the git
// CLI, and running processes (the shipped binary included).

import Foundation

public enum TestSupportError: Error, CustomStringConvertible {
  case commandFailed(String, Int32, String)
  public var description: String {
    switch self {
    case .commandFailed(let cmd, let status, let err): "\(cmd) exited \(status): \(err)"
    }
  }
}

/// The result of running a process to completion.
public struct ProcessResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
  public var stdoutData: Data
}

/// Runs `argv` with optional stdin, environment additions and working directory; waits for it.
/// The child is killed if it runs longer than `timeout` seconds, so no test hangs.
@discardableResult
public func runProcess(
  _ argv: [String], cwd: String? = nil, env: [String: String] = [:], removeEnv: [String] = [],
  stdin: Data? = nil, timeout: Double = 120
) throws -> ProcessResult {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
  p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
  if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
  var environment = ProcessInfo.processInfo.environment
  for key in removeEnv { environment.removeValue(forKey: key) }
  for (k, v) in env { environment[k] = v }
  p.environment = environment
  let out = Pipe()
  let err = Pipe()
  let input = Pipe()
  p.standardOutput = out
  p.standardError = err
  p.standardInput = stdin == nil ? FileHandle.nullDevice : input
  try p.run()
  if let stdin {
    input.fileHandleForWriting.write(stdin)
    try? input.fileHandleForWriting.close()
  }
  let deadline = DispatchTime.now() + timeout
  let group = DispatchGroup()
  nonisolated(unsafe) var outData = Data()
  nonisolated(unsafe) var errData = Data()
  group.enter()
  DispatchQueue.global().async {
    outData = out.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  group.enter()
  DispatchQueue.global().async {
    errData = err.fileHandleForReading.readDataToEndOfFile()
    group.leave()
  }
  if group.wait(timeout: deadline) == .timedOut {
    p.terminate()
    kill(p.processIdentifier, SIGKILL)
    _ = group.wait(timeout: .now() + 5)
  }
  p.waitUntilExit()
  return ProcessResult(
    status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
    stderr: String(decoding: errData, as: UTF8.self), stdoutData: outData)
}

/// A fresh temporary directory, removed when the value is deinitialized.
public final class TempDir: @unchecked Sendable {
  public let path: String

  public init(prefix: String = "agentgate-test") {
    let base = FileManager.default.temporaryDirectory.path
    var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil, "mkdtemp failed")
    path = String(cString: template)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  public func file(_ relative: String) -> String { "\(path)/\(relative)" }

  /// Writes `content` to `relative`, creating parent directories.
  public func write(_ relative: String, _ content: String, executable: Bool = false) throws {
    try write(relative, Data(content.utf8), executable: executable)
  }

  public func write(_ relative: String, _ data: Data, executable: Bool = false) throws {
    let full = file(relative)
    try FileManager.default.createDirectory(
      atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try data.write(to: URL(fileURLWithPath: full))
    if executable {
      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: full)
    }
  }
}

/// A real Git repository in a temp dir, driven by the git CLI (the product reads it with libgit2).
public final class GitRepo: @unchecked Sendable {
  public let dir: TempDir
  public var path: String { dir.path }

  /// Creates a repository (`bare` for a push target) with a fixed identity and `main` branch.
  public init(bare: Bool = false) throws {
    dir = TempDir(prefix: "agentgate-repo")
    try git(["init", "-q", "-b", "main"] + (bare ? ["--bare"] : []))
    try git(["config", "user.name", "Test Human"])
    try git(["config", "user.email", "human@example.com"])
    try git(["config", "commit.gpgsign", "false"])
  }

  /// Runs git in the repository with a deterministic environment; throws on failure.
  @discardableResult
  public func git(_ args: [String], env: [String: String] = [:], stdin: Data? = nil) throws -> String {
    var e = [
      "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
      "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z", "HOME": dir.path,
    ]
    for (k, v) in env { e[k] = v }
    let r = try runProcess(
      ["git", "-C", path] + args, env: e,
      removeEnv: ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"], stdin: stdin)
    guard r.status == 0 else {
      throw TestSupportError.commandFailed("git \(args.joined(separator: " "))", r.status, r.stderr)
    }
    return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  public func write(_ relative: String, _ content: String, executable: Bool = false) throws {
    try dir.write(relative, content, executable: executable)
  }

  /// Writes the files, stages everything and commits; returns the new commit id.
  @discardableResult
  public func commit(
    _ message: String, files: [String: String] = [:], author: (name: String, email: String)? = nil,
    env: [String: String] = [:]
  ) throws -> String {
    for (p, c) in files { try write(p, c) }
    try git(["add", "-A"])
    var e = env
    if let author {
      e["GIT_AUTHOR_NAME"] = author.name
      e["GIT_AUTHOR_EMAIL"] = author.email
    }
    try git(["commit", "-q", "--allow-empty", "-m", message], env: e)
    return try git(["rev-parse", "HEAD"])
  }

  /// Feeds a `git fast-import` stream (for large histories).
  public func fastImport(_ stream: String) throws {
    try git(["fast-import", "--quiet"], stdin: Data(stream.utf8))
  }
}

/// Path of the built `agentgate` binary next to the test bundle (for end-to-end tests).
public func agentgateBinary() -> String {
  let bundle = Bundle.main.bundleURL
  var candidates = [bundle.deletingLastPathComponent().appendingPathComponent("agentgate").path]
  candidates.append(bundle.appendingPathComponent("agentgate").path)
  if let env = ProcessInfo.processInfo.environment["AGENTGATE_BIN"] { candidates.insert(env, at: 0) }
  for c in candidates where FileManager.default.isExecutableFile(atPath: c) { return c }
  // xctest bundles on Linux live in .build/<triple>/debug/; the binary sits beside them.
  for arg in CommandLine.arguments {
    let dir = URL(fileURLWithPath: arg).deletingLastPathComponent()
    for up in [dir, dir.deletingLastPathComponent()] {
      let c = up.appendingPathComponent("agentgate").path
      if FileManager.default.isExecutableFile(atPath: c) { return c }
    }
  }
  return candidates[0]
}

/// A token-shaped string (`prefix` + `count` alphanumerics) from a seeded generator: tests plant
/// it as a leaked credential; it is never a real one.
public func fakeToken(prefix: String = "ghp_", count: Int = 36, seed: UInt64) -> String {
  var state = seed &+ 0x9E37_79B9_7F4A_7C15
  let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
  var out = prefix
  for _ in 0..<count {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    out.append(alphabet[Int(state % UInt64(alphabet.count))])
  }
  return out
}

/// SplitMix64: a small deterministic generator so a failing draw can be replayed from its seed.
public struct SeededGenerator: RandomNumberGenerator {
  private var state: UInt64
  public init(seed: UInt64) { state = seed }
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
