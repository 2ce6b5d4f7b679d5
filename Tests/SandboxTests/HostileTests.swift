// Hostile probes through the real binary (`agentgate sandbox run`), as root (how CI runs) and as
// an unprivileged user the set-up creates, under a small test policy (256 MiB memory, 64
// processes, 64 MiB disk, 64 MiB /tmp) that each probe exceeds twofold. Canary secrets are
// world-readable on purpose: a pass must come from isolation, not from file modes.

import Foundation
import TestSupport
import Testing

enum Who: String, CaseIterable, CustomTestStringConvertible, Sendable {
  case root, unprivileged
  var testDescription: String { rawValue }
}

/// Runs probes as `who` through the shipped binary.
struct Probe {
  static let user = "agentgate-test"
  let who: Who
  let home: TempDir
  let dir: TempDir

  init(_ who: Who) throws {
    self.who = who
    if who == .unprivileged { try Probe.ensureUser() }
    home = TempDir(prefix: "agentgate-home")
    dir = TempDir(prefix: "agentgate-dir")
    try home.write(".ssh/id_rsa", "-----BEGIN KEY----- CANARY-SSH-7f3a\n")
    try home.write(".aws/credentials", "[default]\naws_secret_access_key = CANARY-AWS-9b2c\n")
    try home.write(".git-credentials", "https://u:CANARY-GIT-4d1e@example.com\n")
    try dir.write("README", "tree content\n")
    for d in [home, dir] { try Probe.openUp(d.path) }
  }

  static let canaries = ["CANARY-SSH-7f3a", "CANARY-AWS-9b2c", "CANARY-GIT-4d1e", "CANARY-ENV-5e6f"]

  /// Makes a temp tree readable (and writable) by everyone, the unprivileged user included.
  static func openUp(_ path: String) throws {
    try runProcess(["/bin/chmod", "-R", "a+rwX", path], timeout: 30)
  }

  static func ensureUser() throws {
    if try runProcess(["/usr/bin/id", "-u", user], timeout: 10).status != 0 {
      try runProcess(["/usr/sbin/useradd", "-m", user], timeout: 30)
    }
  }

  var prefix: [String] {
    who == .root
      ? [] : ["/usr/bin/setpriv", "--reuid=\(Probe.user)", "--regid=\(Probe.user)", "--clear-groups", "--"]
  }

  func runArgs(timeout: Int = 30, extra: [String] = []) -> [String] {
    [
      agentgateBinary(), "sandbox", "run", "--dir", dir.path, "--memory", String(256 << 20), "--processes", "64",
      "--disk", String(64 << 20), "--tmp", String(64 << 20), "--timeout", String(timeout),
    ] + (who == .unprivileged ? ["--allow-weaker-limits"] : []) + extra + ["--"]
  }

  var env: [String: String] { ["HOME": home.path, "FOO_TOKEN": "CANARY-ENV-5e6f", "TMPDIR": "/tmp"] }

  /// `sh -c script` in the sandbox.
  func sh(_ script: String, timeout: Int = 30, extra: [String] = []) throws -> ProcessResult {
    try runProcess(
      prefix + runArgs(timeout: timeout, extra: extra) + ["/bin/sh", "-c", script], env: env,
      timeout: Double(timeout) + 30)
  }

  /// `python3 -c program args...` in the sandbox.
  func python(_ program: String, _ args: [String] = [], timeout: Int = 30) throws -> ProcessResult {
    try runProcess(
      prefix + runArgs(timeout: timeout) + ["/usr/bin/python3", "-c", program] + args, env: env,
      timeout: Double(timeout) + 30)
  }

  /// Starts `argv` as the gate (the probe's environment, output discarded) without waiting: the
  /// test kills it mid-run and ends it by PID.
  func startGate(_ argv: [String]) throws -> Process {
    let gate = Process()
    gate.executableURL = URL(fileURLWithPath: argv[0])
    gate.arguments = Array(argv.dropFirst())
    gate.environment = env
    gate.standardOutput = FileHandle.nullDevice
    gate.standardError = FileHandle.nullDevice
    try gate.run()
    return gate
  }

  func expectNoCanary(_ r: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) {
    for c in Probe.canaries {
      #expect(!r.stdout.contains(c) && !r.stderr.contains(c), "\(c) leaked", sourceLocation: sourceLocation)
    }
  }
}

/// `sandbox check --format json`, as the tests read it.
struct CheckReport: Decodable {
  struct Item: Decodable {
    var name: String
    var holds: Bool
    var detail: String
  }
  var usable: Bool
  var items: [Item]
}

/// Processes whose command line contains `marker` (host-wide /proc scan), optionally only those
/// running `program`.
func processes(containing marker: String, program: String? = nil) -> [Int32] {
  let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
  return entries.compactMap { name -> Int32? in
    guard let pid = Int32(name), pid != getpid(),
      let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline")
    else { return nil }
    if let program {
      let comm = (try? String(contentsOfFile: "/proc/\(name)/comm", encoding: .utf8)) ?? ""
      guard comm.hasPrefix(program) else { return nil }
    }
    return String(decoding: data, as: UTF8.self).contains(marker) ? pid : nil
  }
}

/// Polls `condition` until it holds or `seconds` pass (a deadline, not a fixed sleep).
func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
  let deadline = Date().addingTimeInterval(seconds)
  while Date() < deadline {
    if condition() { return true }
    usleep(20_000)
  }
  return condition()
}

/// Every test that starts a sandbox lives under this one serialized suite: they run one at a time.
@Suite(.serialized) struct SandboxRuns {}

extension SandboxRuns {
  @Suite struct HostileProbeTests {
    @Test(arguments: Who.allCases)
    func hostSecretsAndEnvironmentAreInvisible(who: Who) throws {
      let p = try Probe(who)
      let h = p.home.path
      let r = try p.sh(
        """
        env; for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do cat $f; echo; done
        cat \(h)/.ssh/id_rsa \(h)/.aws/credentials \(h)/.git-credentials ~/.ssh/id_rsa ~/.aws/credentials ~/.git-credentials
        ls -la /home /root /run /var /sys; echo probe-done
        """)
      #expect(r.stdout.contains("probe-done"))
      #expect(r.stdout.contains("HOME=/home/sandbox"))
      #expect(!r.stdout.contains("FOO_TOKEN"))
      p.expectNoCanary(r)
    }

    @Test(arguments: Who.allCases)
    func inheritedFileDescriptorIsClosed(who: Who) throws {
      let p = try Probe(who)
      let secret = p.home.file(".ssh/id_rsa")
      let script = "cat <&7; cat /proc/self/fd/7; ls /proc/self/fd; echo probe-done"
      let r = try runProcess(
        p.prefix + ["/bin/sh", "-c", "exec 7<\"$0\"; exec \"$@\"", secret] + p.runArgs() + ["/bin/sh", "-c", script],
        env: p.env, timeout: 60)
      #expect(r.stdout.contains("probe-done"))
      p.expectNoCanary(r)
    }

    @Test(arguments: Who.allCases)
    func writesOutsideTheWorkDirDoNotReachTheHost(who: Who) throws {
      let p = try Probe(who)
      let outside = TempDir(prefix: "agentgate-outside")
      let repo = try GitRepo()
      try repo.commit("init", files: ["a.txt": "a\n"])
      try Probe.openUp(outside.path)
      try Probe.openUp(repo.path)
      let config = try String(contentsOfFile: repo.path + "/.git/config", encoding: .utf8)
      let unique = "agentgate-probe-\(getpid())-\(who.rawValue)"
      let r = try p.sh(
        """
        echo x > \(outside.path)/x; echo x > \(repo.path)/.git/hooks/pre-commit
        printf '[core]\\n\\tfsmonitor = evil\\n' >> \(repo.path)/.git/config
        touch /usr/\(unique) /etc/\(unique) ../\(unique) /\(unique)
        echo x > /tmp/\(unique) && echo x > /dev/shm/\(unique) && echo inside-ok
        echo x > README-new; echo probe-done
        """)
      #expect(r.stdout.contains("probe-done") && r.stdout.contains("inside-ok"))
      let fm = FileManager.default
      for path in [
        outside.file("x"), repo.path + "/.git/hooks/pre-commit", "/usr/\(unique)", "/etc/\(unique)", "/tmp/\(unique)",
        "/dev/shm/\(unique)", "/\(unique)", p.dir.file("README-new"),
        (p.dir.path as NSString).deletingLastPathComponent + "/\(unique)",
      ] {
        #expect(!fm.fileExists(atPath: path), "\(path) was written on the host")
      }
      #expect(try String(contentsOfFile: repo.path + "/.git/config", encoding: .utf8) == config)
    }

    static let listener = """
      import socket, select, sys, os
      log = open(sys.argv[1], 'a', buffering=1)
      t4 = socket.socket(); t4.bind(('127.0.0.1', 0)); t4.listen()
      u4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u4.bind(('127.0.0.1', 0))
      t6 = socket.socket(socket.AF_INET6); t6.bind(('::1', 0)); t6.listen()
      ab = socket.socket(socket.AF_UNIX); ab.bind('\\0' + sys.argv[3]); ab.listen()
      pu = socket.socket(socket.AF_UNIX); pu.bind(sys.argv[4]); pu.listen(); os.chmod(sys.argv[4], 0o777)
      open(sys.argv[2] + '.tmp', 'w').write('%d %d %d\\n' % (t4.getsockname()[1], u4.getsockname()[1], t6.getsockname()[1]))
      os.rename(sys.argv[2] + '.tmp', sys.argv[2])
      while True:
          for s in select.select([t4, u4, t6, ab, pu], [], [])[0]:
              if s is u4:
                  log.write('udp %r\\n' % s.recvfrom(100)[0])
              else:
                  c, _ = s.accept(); log.write('connection\\n'); c.close()
      """

    static let netProbe = """
      import socket, sys
      t4, u4, t6 = map(int, sys.argv[1:4])
      def attempt(name, f):
          try:
              f(); print(name, 'no-error')
          except OSError as e:
              print(name, 'blocked', e.errno)
      attempt('tcp4', lambda: socket.create_connection(('127.0.0.1', t4), timeout=2))
      attempt('tcp6', lambda: socket.create_connection(('::1', t6), timeout=2))
      attempt('udp4', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'sandbox', ('127.0.0.1', u4)))
      attempt('abstract', lambda: socket.socket(socket.AF_UNIX).connect('\\0' + sys.argv[4]))
      attempt('unixpath', lambda: socket.socket(socket.AF_UNIX).connect(sys.argv[5]))
      attempt('vsock', lambda: socket.socket(40, socket.SOCK_STREAM))
      attempt('packet', lambda: socket.socket(17, socket.SOCK_RAW))
      print('probe-done')
      """

    @Test(arguments: Who.allCases)
    func networkSocketsAndVsockAreUnreachable(who: Who) throws {
      let p = try Probe(who)
      let scratch = TempDir(prefix: "agentgate-net")
      try Probe.openUp(scratch.path)
      let log = scratch.file("log")
      let ports = scratch.file("ports")
      let abstract = "agentgate-probe-\(getpid())"
      let listener = Process()
      listener.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
      listener.arguments = ["-c", Self.listener, log, ports, abstract, scratch.file("sock")]
      try listener.run()
      defer {
        kill(listener.processIdentifier, SIGKILL)
        listener.waitUntilExit()
      }
      #expect(waitUntil(20) { FileManager.default.fileExists(atPath: ports) })
      let numbers = try String(contentsOfFile: ports, encoding: .utf8).split(separator: " ").map {
        String($0.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      let r = try p.python(Self.netProbe, numbers + [abstract, scratch.file("sock")])
      #expect(r.stdout.contains("probe-done"), "\(r.stderr)")
      for name in ["tcp4", "tcp6", "abstract", "unixpath", "vsock", "packet"] {
        #expect(r.stdout.contains("\(name) blocked"), "\(name): \(r.stdout)")
      }
      #expect(r.stdout.contains("vsock blocked 97"))  // EAFNOSUPPORT from the seccomp filter
      // A datagram from the host after the probe: once it is logged, any earlier one would be too.
      let udp = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
      var addr = sockaddr_in()
      addr.sin_family = sa_family_t(AF_INET)
      addr.sin_port = in_port_t(UInt16(numbers[1])!).bigEndian
      addr.sin_addr.s_addr = inet_addr("127.0.0.1")
      _ = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          sendto(udp, "sentinel", 8, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      close(udp)
      #expect(waitUntil(10) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("sentinel") })
      let logged = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
      #expect(logged.split(separator: "\n") == ["udp b'sentinel'"], "host listener was reached: \(logged)")
    }

    @Test(arguments: Who.allCases)
    func symlinksInTheTreeDoNotRevealHostFiles(who: Who) throws {
      let p = try Probe(who)
      symlink(p.home.file(".ssh/id_rsa"), p.dir.file("key-link"))
      symlink("../../../../../../../../..", p.dir.file("root-link"))
      symlink("/etc/shadow", p.dir.file("shadow-link"))
      let r = try p.sh(
        """
        cat key-link; cat root-link\(p.home.path)/.aws/credentials; cat shadow-link /etc/shadow
        ls root-link/; echo probe-done
        """)
      #expect(r.stdout.contains("probe-done"))
      p.expectNoCanary(r)
      for marker in ["root:*", "root:!", "root:$"] { #expect(!r.stdout.contains(marker)) }
    }

    @Test(arguments: Who.allCases)
    func forkBombIsBoundedByTheProcessLimit(who: Who) throws {
      let p = try Probe(who)
      let r = try p.python(
        """
        import os, time
        n = 0
        for i in range(128):
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                time.sleep(30); os._exit(0)
            n += 1
        print('forked', n, flush=True)
        """)
      let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("forked ") }
      let n = line.flatMap { Int($0.dropFirst(7)) }
      #expect(n != nil, "\(r.stdout) \(r.stderr)")
      if let n { #expect(n > 0 && n < 64) }
    }

    @Test(arguments: Who.allCases)
    func memoryHogIsStopped(who: Who) throws {
      let p = try Probe(who)
      let r = try p.python(
        """
        chunks = []
        for i in range(32):
            chunks.append(b'x' * (16 << 20))
            print('mib', (i + 1) * 16, flush=True)
        print('allocated-all')
        """)
      #expect(!r.stdout.contains("allocated-all"))
      #expect(r.status != 0)
      let last = r.stdout.split(separator: "\n").last { $0.hasPrefix("mib ") }.flatMap { Int($0.dropFirst(4)) } ?? 0
      #expect(last < 300)
      if who == .root { #expect(r.stderr.contains("limit hit: memory"), "\(r.stderr)") }
    }

    @Test(arguments: Who.allCases)
    func tmpfsMountsAreCapped(who: Who) throws {
      let p = try Probe(who)
      let r = try p.sh(
        """
        for d in /tmp /dev/shm /home/sandbox; do
          i=0; while [ $i -lt 16 ]; do head -c 8388608 /dev/zero > $d/f$i 2>/dev/null || break; i=$((i+1)); done
          echo "total $d $(cat $d/f* | wc -c)"
        done; echo probe-done
        """)
      #expect(r.stdout.contains("probe-done"))
      let totals = r.stdout.split(separator: "\n").filter { $0.hasPrefix("total ") }
      #expect(totals.count == 3)
      for t in totals {
        let bytes = Int(t.split(separator: " ").last ?? "") ?? Int.max
        #expect(bytes <= 64 << 20, "\(t)")
      }
    }

    @Test(arguments: Who.allCases)
    func workDirQuotaHoldsForOneHugeFileAndManySmallOnes(who: Who) throws {
      let p = try Probe(who)
      let r = try p.sh(
        """
        head -c 134217728 /dev/zero > big 2>/dev/null; echo "big $(wc -c < big)"; rm -f big
        mkdir many; i=0; while [ $i -lt 128 ]; do head -c 1048576 /dev/zero > many/f$i 2>/dev/null || break; i=$((i+1)); done
        echo "many $(cat many/* | wc -c)"; echo probe-done
        """)
      #expect(r.stdout.contains("probe-done"))
      for key in ["big", "many"] {
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("\(key) ") }
        let bytes = line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? Int.max
        #expect(bytes <= 64 << 20, "\(key): \(line ?? "missing")")
      }
      #expect(!FileManager.default.fileExists(atPath: p.dir.file("many")))
    }

    @Test func rootQuotaCapsInodesToo() throws {
      let p = try Probe(.root)
      let r = try p.python(
        """
        import os
        n = 0
        try:
            for i in range(40000):
                open('e%d' % i, 'w').close(); n += 1
        except OSError as e:
            print('stopped', e.errno)
        print('files', n)
        """)
      #expect(r.stdout.contains("stopped 28"), "\(r.stdout)")  // ENOSPC
    }

    @Test(arguments: Who.allCases)
    func timeoutKillsEverythingIncludingADaemonThatIgnoresTerm(who: Who) throws {
      let p = try Probe(who)
      let marker = "agentgate-daemon-\(getpid())-\(who.rawValue)"
      let start = Date()
      let r = try p.sh(
        """
        ( setsid sh -c 'trap "" TERM HUP; exec python3 -c "import time; time.sleep(600)" \(marker)-d' & )
        trap '' TERM; python3 -c 'import time; time.sleep(600)' \(marker)-m
        """, timeout: 2)
      #expect(r.status == 124)
      #expect(r.stderr.contains("wall-clock"))
      #expect(Date().timeIntervalSince(start) < 60)
      #expect(waitUntil(5) { processes(containing: marker).isEmpty })
      for pid in processes(containing: marker) { kill(pid, SIGKILL) }
    }

    /// Root: even a gate killed while bwrap is still starting leaves nothing (the run's uid is swept).
    @Test func killingTheGateDuringStartLeavesNothing() throws {
      let p = try Probe(.root)
      let marker = "agentgate-early-\(getpid())"
      let gate = try p.startGate(
        p.runArgs(timeout: 120) + ["/bin/sh", "-c", "python3 -c 'import time; time.sleep(600)' \(marker)"])
      defer {
        kill(gate.processIdentifier, SIGKILL)
        gate.waitUntilExit()
        for pid in processes(containing: marker) where pid != gate.processIdentifier { kill(pid, SIGKILL) }
      }
      #expect(waitUntil(20) { !processes(containing: marker, program: "bwrap").isEmpty })
      kill(gate.processIdentifier, SIGKILL)
      gate.waitUntilExit()
      #expect(waitUntil(5) { processes(containing: marker).isEmpty }, "sandbox outlived the gate")
    }

    @Test(arguments: Who.allCases)
    func killingTheGateKillsTheSandbox(who: Who) throws {
      let p = try Probe(who)
      let marker = "agentgate-orphan-\(getpid())-\(who.rawValue)"
      let gate = try p.startGate(
        p.prefix + p.runArgs(timeout: 120) + [
          "/bin/sh", "-c",
          "( setsid python3 -c 'import time; time.sleep(600)' \(marker)-d & ); python3 -c 'import time; time.sleep(600)' \(marker)-m",
        ])
      defer {
        kill(gate.processIdentifier, SIGKILL)
        gate.waitUntilExit()
        for pid in processes(containing: marker) { kill(pid, SIGKILL) }
      }
      #expect(waitUntil(20) { processes(containing: marker, program: "python3").count >= 2 })
      kill(gate.processIdentifier, SIGKILL)
      gate.waitUntilExit()
      let gone = waitUntil(5) { processes(containing: marker).isEmpty }
      let left = processes(containing: marker).map { pid in
        (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8))?.split(separator: "\n").prefix(7)
          .joined(separator: " ") ?? "?"
      }
      #expect(gone, "sandbox outlived the gate: \(left)")
    }

    /// Unprivileged, a gate killed mid-run leaves its run dir (nobody else may remove it); the
    /// user's next run takes the dead run's free lock and removes it.
    @Test func deadUnprivilegedGateIsSweptByTheNextRun() throws {
      let p = try Probe(.unprivileged)
      let uid = try runProcess(["/usr/bin/id", "-u", Probe.user], timeout: 10).stdout.trimmingCharacters(
        in: .whitespacesAndNewlines)
      let base = "/tmp/agentgate-\(uid)"
      func runs() -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).filter { $0.hasPrefix("run.") })
      }
      let before = runs()
      let marker = "agentgate-dead-\(getpid())"
      let gate = try p.startGate(
        p.prefix + p.runArgs(timeout: 120) + ["/bin/sh", "-c", "python3 -c 'import time; time.sleep(600)' \(marker)"])
      defer {
        kill(gate.processIdentifier, SIGKILL)
        gate.waitUntilExit()
        for pid in processes(containing: marker) { kill(pid, SIGKILL) }
      }
      #expect(waitUntil(20) { !processes(containing: marker, program: "python3").isEmpty })
      // setpriv execs the gate: the pid is the gate's.
      kill(gate.processIdentifier, SIGKILL)
      gate.waitUntilExit()
      #expect(waitUntil(5) { processes(containing: marker).isEmpty })
      let dead = runs().subtracting(before)
      #expect(!dead.isEmpty, "the killed gate left no run dir to sweep")
      let next = try p.sh("true")
      #expect(next.status == 0, "\(next.stderr)")
      #expect(runs().intersection(dead).isEmpty, "not swept: \(runs().intersection(dead))")
    }

    @Test(arguments: Who.allCases)
    func noPrivilegesNoNestedNamespacesNoKernelKnobsNoTiocsti(who: Who) throws {
      let p = try Probe(who)
      let r = try p.sh(
        """
        grep -E '^(CapEff|CapPrm|CapBnd|NoNewPrivs):' /proc/self/status
        unshare -U true 2>/dev/null && echo userns-open || echo userns-closed
        unshare -n true 2>/dev/null && echo netns-open || echo netns-closed
        v=$(cat /proc/sys/kernel/core_pattern); (echo "$v" > /proc/sys/kernel/core_pattern) 2>/dev/null && echo knob-writable || echo knob-denied
        [ -w /proc/sysrq-trigger ] && echo sysrq-writable || echo sysrq-denied
        ls /sys >/dev/null 2>&1 && echo sys-visible || echo sys-absent
        python3 -c '
        import os, pty, fcntl, termios
        m, s = pty.openpty()
        try:
            fcntl.ioctl(s, termios.TIOCSTI, b"x"); print("tiocsti-allowed")
        except OSError as e:
            print("tiocsti-denied", e.errno)
        '
        echo probe-done
        """)
      #expect(r.stdout.contains("probe-done"), "\(r.stderr)")
      for cap in ["CapEff", "CapPrm", "CapBnd"] {
        #expect(r.stdout.contains("\(cap):\t0000000000000000"), "\(cap): \(r.stdout)")
      }
      #expect(r.stdout.contains("NoNewPrivs:\t1"))
      for expected in [
        "userns-closed", "netns-closed", "knob-denied", "sysrq-denied", "sys-absent", "tiocsti-denied 1",
      ] {
        #expect(r.stdout.contains(expected), "\(expected) missing: \(r.stdout)")
      }
    }

    @Test(arguments: Who.allCases)
    func copyBackNeverWritesThroughLinks(who: Who) throws {
      let p = try Probe(who)
      let target = TempDir(prefix: "agentgate-target")
      symlink(target.path, p.dir.file("sub"))
      let r = try p.sh(
        "rm sub && mkdir sub && echo pwned > sub/file && ln -s /etc/passwd passwd-link && echo out > result",
        extra: ["--copy-back"])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: target.file("file")))
      #expect(try String(contentsOfFile: p.dir.file("result"), encoding: .utf8) == "out\n")
      #expect(try String(contentsOfFile: p.dir.file("sub/file"), encoding: .utf8) == "pwned\n")
      let dest = try FileManager.default.destinationOfSymbolicLink(atPath: p.dir.file("passwd-link"))
      #expect(dest == "/etc/passwd")
    }

    /// Unprivileged, the quota'd work dir and /tmp, $HOME, /dev/shm live in a user namespace the
    /// gate holds: inodes are capped too.
    @Test func unprivilegedQuotaCapsInodesToo() throws {
      let p = try Probe(.unprivileged)
      let r = try p.python(
        """
        import os
        for d in ['/work', '/tmp', '/home/sandbox', '/dev/shm']:
            n = 0
            try:
                for i in range(40000):
                    open('%s/e%d' % (d, i), 'w').close(); n += 1
            except OSError as e:
                print(d, 'stopped', e.errno, n)
        """)
      for d in ["/work", "/tmp", "/home/sandbox", "/dev/shm"] {
        #expect(r.stdout.contains("\(d) stopped 28"), "\(d): \(r.stdout) \(r.stderr)")  // ENOSPC
      }
    }

    /// Unprivileged, memory and CPU hold only per process or by time: without the explicit
    /// allowance the run fails closed and says which limits and why; `check` says the same.
    @Test func weakerLimitsFailClosedUnlessAllowed() throws {
      let p = try Probe(.unprivileged)
      let argv = p.prefix + p.runArgs().filter { $0 != "--allow-weaker-limits" } + ["/bin/sh", "-c", "touch ran"]
      let r = try runProcess(argv, env: p.env, timeout: 60)
      #expect(r.status == 125)
      #expect(r.stderr.contains("cannot enforce these limits"), "\(r.stderr)")
      for kind in ["memory: RLIMIT_DATA", "cpu: RLIMIT_CPU"] {
        #expect(r.stderr.contains(kind), "\(kind) missing: \(r.stderr)")
      }
      // Held: processes by RLIMIT_NPROC in the sandbox's own user namespace, the work dir and the
      // scratch tmpfs by the quota mounts in the gate's user namespace.
      for held in ["processes:", "disk:", "tmp:"] { #expect(!r.stderr.contains(held), "\(r.stderr)") }
      #expect(!FileManager.default.fileExists(atPath: p.dir.file("ran")))
      let check = try runProcess(
        p.prefix + [agentgateBinary(), "sandbox", "check", "--format", "json"], env: p.env, timeout: 120)
      #expect(check.status == 2, "\(check.stdout)")
      let report = try JSONDecoder().decode(CheckReport.self, from: check.stdoutData)
      let items = Dictionary(uniqueKeysWithValues: report.items.map { ($0.name, $0) })
      #expect(items["limit-memory"]?.holds == false)
      #expect(items["limit-wall-clock"]?.holds == true)
      #expect(items["limit-disk"]?.holds == true, "\(items["limit-disk"]?.detail ?? "")")
      #expect(items["weaker-limits"]?.holds == false)
      let allowed = try runProcess(
        p.prefix + [agentgateBinary(), "sandbox", "check", "--allow-weaker-limits"], env: p.env, timeout: 120)
      #expect(allowed.status == 0, "\(allowed.stdout)")
      #expect(allowed.stdout.contains("[ok] fetch-proxy"), "\(allowed.stdout)")
    }

    @Test func rootEnforcesEveryLimit() throws {
      let check = try runProcess([agentgateBinary(), "sandbox", "check", "--format", "json"], timeout: 120)
      #expect(check.status == 0, "\(check.stdout)")
      let report = try JSONDecoder().decode(CheckReport.self, from: check.stdoutData)
      let limits = report.items.filter { $0.name.hasPrefix("limit-") }
      #expect(limits.count == 6)
      for item in limits { #expect(item.holds, "\(item.name): \(item.detail)") }
      let fetch = report.items.first { $0.name == "fetch-proxy" }
      #expect(fetch?.holds == true, "\(fetch?.detail ?? "no fetch-proxy item")")
    }

    @Test func exitStatusPassesThroughAndSandboxFailureIs125() throws {
      let p = try Probe(.root)
      #expect(try p.sh("exit 7").status == 7)
      let r = try runProcess(
        p.runArgs() + ["/bin/true"].map { $0 }, env: p.env, timeout: 60)
      #expect(r.status == 0)
      let missing = try runProcess(
        [agentgateBinary(), "sandbox", "run", "--dir", p.dir.path, "--bwrap", "/nonexistent/bwrap", "--", "/bin/true"],
        timeout: 60)
      #expect(missing.status == 125)
      #expect(missing.stderr.contains("bubblewrap"))
    }
  }
}
