// Replay: detect the build and test commands of a tree, and run them one after the other in the
// sandbox (each as `/bin/sh -c CMD`), stopping at the first failure, output bounded.

import GateCore

#if canImport(Glibc)
  import Glibc
#endif

/// One command of a replay: what kind, the shell string, where it came from.
public struct ReplayCommand: Sendable, Equatable, Hashable {
  public var kind: ReplayStepKind
  public var command: String
  /// `policy`, `flag`, or `detected:<file>`.
  public var origin: String

  public init(kind: ReplayStepKind, command: String, origin: String) {
    self.kind = kind
    self.command = command
    self.origin = origin
  }
}

public struct ReplayRunner: Sendable {
  public let runner: SandboxRunner
  /// Bytes of output kept per step (the tail).
  public var outputLimit: Int
  /// The network of `fetch` steps (the gate's allowlisting proxy); build and test steps never
  /// have any. A fetch step without it is an error, never a run with open network.
  public var egress: FetchEgress?

  public init(runner: SandboxRunner, outputLimit: Int = 16 << 10, egress: FetchEgress? = nil) {
    self.runner = runner
    self.outputLimit = outputLimit
    self.egress = egress
  }

  /// Build and test commands for the project at the top of `dir`, by the first marker file found
  /// (Package.swift, Cargo.toml, go.mod, package.json, pyproject.toml/setup.cfg/setup.py,
  /// Makefile). Only regular files count (a symlink named Package.swift is not a marker).
  public static func detectCommands(in dir: String) -> [ReplayCommand] {
    func has(_ name: String) -> Bool {
      var st = stat()
      return lstat("\(dir)/\(name)", &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }
    func read(_ name: String) -> String {
      guard has(name) else { return "" }
      return readSmallFile("\(dir)/\(name)", limit: 1 << 20) ?? ""
    }
    func pair(_ file: String, _ build: String?, _ test: String) -> [ReplayCommand] {
      let origin = "detected:\(file)"
      return (build.map { [ReplayCommand(kind: .build, command: $0, origin: origin)] } ?? [])
        + [ReplayCommand(kind: .test, command: test, origin: origin)]
    }
    if has("Package.swift") { return pair("Package.swift", "swift build", "swift test") }
    if has("Cargo.toml") { return pair("Cargo.toml", "cargo build --offline", "cargo test --offline") }
    if has("go.mod") { return pair("go.mod", "go build ./...", "go test ./...") }
    if has("package.json") {
      let install = has("package-lock.json") ? "npm ci --offline --ignore-scripts" : nil
      return pair("package.json", install, "npm test")
    }
    for file in ["pyproject.toml", "setup.cfg", "setup.py"] where has(file) {
      let usesPytest =
        has("pytest.ini") || has("conftest.py") || read(file).contains("pytest") || read("tox.ini").contains("pytest")
      return pair(file, nil, usesPytest ? "python3 -m pytest" : "python3 -m unittest")
    }
    if has("Makefile") {
      let text = read("Makefile")
      let hasTest = text.split(separator: "\n").contains { $0.hasPrefix("test:") || $0.hasPrefix("check:") }
      let target = text.split(separator: "\n").contains { $0.hasPrefix("test:") } ? "test" : "check"
      return hasTest
        ? pair("Makefile", "make", "make \(target)")
        : [ReplayCommand(kind: .build, command: "make", origin: "detected:Makefile")]
    }
    return []
  }

  /// Runs `steps` in the prepared work dir, each within what is left of the wall clock.
  public func replay(in work: QuotaWorkDir, steps: [ReplayCommand]) -> ReplayOutcome {
    let backend = runner.policy.backend.rawValue
    guard !steps.isEmpty else {
      return ReplayOutcome(status: .skipped, backend: backend, reason: "no build or test command found or configured")
    }
    var done: [ReplayStep] = []
    let deadline = monotonicNow() + runner.policy.limits.wallClockSeconds
    for step in steps {
      let left = deadline - monotonicNow()
      guard left > 0 else {
        done.append(
          ReplayStep(
            kind: step.kind, command: step.command, origin: step.origin, exitStatus: nil, durationSeconds: 0,
            limitHit: .wallClock, outputTail: "not started: the replay's wall clock ran out"))
        return ReplayOutcome(status: .failed, backend: backend, steps: done)
      }
      if step.kind == .fetch && egress == nil {
        return ReplayOutcome(
          status: .error, backend: backend, steps: done,
          reason: "a fetch step ('\(step.command)') needs the machine's proxy configuration; none was given")
      }
      do {
        let r = try runner.run(
          command: ["/bin/sh", "-c", step.command], in: work, timeout: left, outputLimit: outputLimit,
          egress: step.kind == .fetch ? egress : nil)
        var replayed = r.replayStep(kind: step.kind, command: step.command, origin: step.origin)
        // The report shows every proxy decision (hosts, reasons and byte counts only, never headers).
        for d in r.egress {
          replayed.outputTail +=
            d.allowed
            ? "\nagentgate fetch proxy: allowed \(d.host):\(d.port) (\(d.bytesUp) bytes up, \(d.bytesDown) down)"
            : "\nagentgate fetch proxy: refused \(d.host):\(d.port) (\(d.reason))"
        }
        done.append(replayed)
        if !done[done.count - 1].succeeded {
          return ReplayOutcome(status: .failed, backend: backend, steps: done)
        }
      } catch {
        return ReplayOutcome(status: .error, backend: backend, steps: done, reason: error.description)
      }
    }
    return ReplayOutcome(status: .passed, backend: backend, steps: done)
  }

  /// Copies `workDir`'s contents into a fresh quota'd work dir and replays there.
  public func replay(workDir: String, steps: [ReplayCommand]) -> ReplayOutcome {
    do {
      let work = try QuotaWorkDir.create(policy: runner.policy)
      defer { work.remove() }
      try work.fill(from: workDir)
      return replay(in: work, steps: steps)
    } catch {
      return ReplayOutcome(status: .error, backend: runner.policy.backend.rawValue, reason: error.description)
    }
  }
}
