// Real replays in the sandbox through the library (as the Gate uses it): a tiny Python project
// passing, failing and exceeding a limit, and one tiny Swift package build.

import Foundation
import GateCore
import TestSupport
import Testing

@testable import Sandbox

extension SandboxRuns {
  @Suite struct ReplayTests {
    func pythonProject(test body: String) throws -> TempDir {
      let dir = TempDir(prefix: "agentgate-py")
      try dir.write("pyproject.toml", "[project]\nname = \"tiny\"\nversion = \"0.1\"\n")
      try dir.write("tiny.py", "def twice(x):\n    return 2 * x\n")
      try dir.write(
        "test_tiny.py",
        "import unittest\nimport tiny\n\nclass T(unittest.TestCase):\n    def test_it(self):\n\(body)\n\n"
          + "if __name__ == '__main__':\n    unittest.main()\n")
      return dir
    }

    func replayer(_ limits: SandboxLimits = SandboxLimits(wallClockSeconds: 120)) -> ReplayRunner {
      ReplayRunner(runner: SandboxRunner(policy: SandboxPolicy(limits: limits)))
    }

    @Test func passingPythonProject() throws {
      let dir = try pythonProject(test: "        self.assertEqual(tiny.twice(2), 4)")
      let steps = ReplayRunner.detectCommands(in: dir.path)
      #expect(steps == [ReplayCommand(kind: .test, command: "python3 -m unittest", origin: "detected:pyproject.toml")])
      let outcome = replayer().replay(workDir: dir.path, steps: steps)
      #expect(outcome.status == .passed, "\(outcome)")
      #expect(outcome.backend == "bwrap")
      #expect(outcome.steps.first?.exitStatus == 0)
      #expect(outcome.steps.first?.outputTail.contains("OK") == true)
      #expect((outcome.steps.first?.peakMemoryBytes ?? 0) > 0)
    }

    @Test func failingPythonProjectStopsAtTheFirstFailure() throws {
      let dir = try pythonProject(test: "        self.assertEqual(tiny.twice(2), 5)")
      let steps =
        ReplayRunner.detectCommands(in: dir.path) + [
          ReplayCommand(kind: .test, command: "echo never-runs", origin: "flag")
        ]
      let outcome = replayer().replay(workDir: dir.path, steps: steps)
      #expect(outcome.status == .failed)
      #expect(outcome.steps.count == 1)
      #expect(outcome.steps[0].exitStatus == 1)
      #expect(outcome.steps[0].limitHit == nil)
      #expect(outcome.steps[0].outputTail.contains("FAILED"))
    }

    @Test func projectExceedingTheMemoryLimit() throws {
      let dir = try pythonProject(test: "        blob = b'x' * (512 << 20)\n        self.assertTrue(blob)")
      let limits = SandboxLimits(wallClockSeconds: 120, memoryBytes: 128 << 20)
      let outcome = replayer(limits).replay(workDir: dir.path, steps: ReplayRunner.detectCommands(in: dir.path))
      #expect(outcome.status == .failed)
      #expect(outcome.steps.first?.limitHit == .memory, "\(outcome)")
    }

    /// As root the cgroups of a uid are pooled: the next run on the same uid must not inherit the
    /// last one's OOM kill, pids-limit events or peak memory.
    @Test func pooledCgroupsStartEachRunAfresh() throws {
      let limits = SandboxLimits(wallClockSeconds: 120, memoryBytes: 128 << 20, processes: 32)
      let steps = [
        ReplayCommand(kind: .build, command: "python3 -c \"blob = b'x' * (512 << 20)\"", origin: "policy"),
        ReplayCommand(
          kind: .build,
          command: "python3 -c 'import os, time\nfor i in range(64):\n    os.fork() or time.sleep(20)' ; exit 1",
          origin: "policy"),
        ReplayCommand(kind: .test, command: "exit 3", origin: "policy"),
      ]
      var hits: [LimitHit?] = []
      var last: ReplayStep?
      let dir = try pythonProject(test: "        pass")
      for step in steps {
        let outcome = replayer(limits).replay(workDir: dir.path, steps: [step])
        #expect(outcome.reason == nil, "\(outcome)")
        hits.append(outcome.steps.first?.limitHit)
        last = outcome.steps.first
      }
      #expect(hits == [.memory, .processes, nil])
      #expect(last?.exitStatus == 3)
      #expect((last?.peakMemoryBytes ?? .max) < 64 << 20, "peak memory carried over: \(String(describing: last))")
    }

    @Test func projectExceedingTheWallClock() throws {
      let dir = try pythonProject(test: "        import time; time.sleep(120)")
      let limits = SandboxLimits(wallClockSeconds: 2)
      let outcome = replayer(limits).replay(workDir: dir.path, steps: ReplayRunner.detectCommands(in: dir.path))
      #expect(outcome.status == .failed)
      #expect(outcome.steps.first?.limitHit == .wallClock)
      #expect(outcome.steps.first?.signal == SIGKILL)
    }

    @Test func stepsShareTheWorkDirAndOutputIsBounded() throws {
      let work = try QuotaWorkDir.create(policy: SandboxPolicy())
      defer { work.remove() }
      var r = replayer()
      r.outputLimit = 100
      let outcome = r.replay(
        in: work,
        steps: [
          ReplayCommand(kind: .build, command: "echo built > artifact", origin: "policy"),
          ReplayCommand(
            kind: .test, command: "cat artifact; head -c 100000 /dev/zero | tr '\\\\0' y", origin: "policy"),
        ])
      #expect(outcome.status == .passed, "\(outcome)")
      #expect(outcome.steps[1].outputBytes == 100_006)
      #expect(outcome.steps[1].outputTail.utf8.count == 100)
    }

    @Test func missingBwrapIsAnErrorNeverAnUnsandboxedRun() throws {
      let dir = try pythonProject(test: "        pass")
      let runner = SandboxRunner(policy: SandboxPolicy(bwrapPath: "/nonexistent/bwrap"))
      let outcome = ReplayRunner(runner: runner).replay(
        workDir: dir.path, steps: [ReplayCommand(kind: .test, command: "touch ran", origin: "policy")])
      #expect(outcome.status == .error)
      #expect(outcome.reason?.contains("bubblewrap") == true)
      #expect(!FileManager.default.fileExists(atPath: dir.file("ran")))
    }

    @Test func hostileWorkDirIsRemovedWithoutFollowingLinks() throws {
      let host = TempDir(prefix: "agentgate-hostfiles")
      try host.write("keep/precious", "data\n")
      let tree = TempDir(prefix: "agentgate-tree")
      try tree.write("a/b/c", "x")
      symlink(host.file("keep"), tree.file("a/link-to-host"))
      symlink(host.file("keep/precious"), tree.file("file-link"))
      chmod(tree.file("a/b"), 0o500)
      FileTree.removeTree(tree.path)
      #expect(!FileManager.default.fileExists(atPath: tree.path))
      #expect(try String(contentsOfFile: host.file("keep/precious"), encoding: .utf8) == "data\n")
    }

    /// The one Swift replay (swift build of a one-file package takes seconds).
    @Test func tinySwiftPackageBuilds() throws {
      let dir = TempDir(prefix: "agentgate-swift")
      try dir.write(
        "Package.swift",
        "// swift-tools-version: 5.9\nimport PackageDescription\nlet package = Package(name: \"Tiny\", targets: [.target(name: \"Tiny\")])\n"
      )
      try dir.write("Sources/Tiny/Tiny.swift", "public func twice(_ x: Int) -> Int { 2 * x }\n")
      let steps = ReplayRunner.detectCommands(in: dir.path).filter { $0.kind == .build }
      #expect(steps.map(\.command) == ["swift build"])
      let outcome = replayer(SandboxLimits(wallClockSeconds: 300)).replay(workDir: dir.path, steps: steps)
      #expect(outcome.status == .passed, "\(outcome.steps.first?.outputTail ?? outcome.reason ?? "")")
      #expect(outcome.steps.first?.outputTail.contains("Build complete") == true)
    }
  }
}
