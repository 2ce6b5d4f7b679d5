import ArgumentParser
import Foundation
import Sandbox

/// `agentgate sandbox run|check`.
struct SandboxCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sandbox", abstract: "Run commands in the hardened sandbox, or check what it guarantees here.",
    subcommands: [SandboxRunCommand.self, SandboxCheckCommand.self, SandboxForwardCommand.self])
}

/// The backend named on the command line (the machine configuration decides it later).
enum BackendOption: String, ExpressibleByArgument, CaseIterable {
  case bwrap, none
}

/// `agentgate sandbox run --dir DIR [--timeout S] ... -- CMD...`: exit status is the command's own,
/// 124 on timeout, 125 when the sandbox itself failed (outside the 0/1/2 contract).
struct SandboxRunCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run CMD in the sandbox with DIR's contents as the writable work dir.",
    discussion: """
      Exit status: the command's own; 124 when the wall clock ended it; 125 when the sandbox \
      itself could not run (never an unsandboxed run).
      """)

  @Option(help: "The directory whose contents form the work dir the command starts in.")
  var dir: String

  @Option(help: "Wall-clock limit in seconds (the default is the ceiling).")
  var timeout: Double?

  @Option(help: "Memory limit in bytes.")
  var memory: Int?

  @Option(help: "Process limit.")
  var processes: Int?

  @Option(help: "Disk limit of the work dir in bytes.")
  var disk: Int?

  @Option(help: "Size of the /tmp and $HOME tmpfs in bytes.")
  var tmp: Int?

  @Flag(help: "Copy the work dir back into DIR afterwards (links copied as links, never followed).")
  var copyBack = false

  @Option(
    name: .customLong("allow-host"),
    help: ArgumentHelp(
      "Fetch phase: the command's only network is the gate's CONNECT proxy, open to this host "
        + "(host, host:port or *.domain; port 443 by default). Repeatable.",
      valueName: "HOST"))
  var allowHosts: [String] = []

  @Option(
    name: .customLong("pin-host"),
    help: ArgumentHelp("Fetch phase: resolve HOST to ADDRESS instead of asking DNS.", valueName: "HOST=ADDRESS"))
  var pinHosts: [String] = []

  @Option(help: "Sandbox backend: bwrap (default) or none (no isolation; said loudly).")
  var backend: BackendOption = .bwrap

  @Option(help: ArgumentHelp("Path of bwrap (default: PATH).", visibility: .hidden))
  var bwrap: String?

  @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
  var command: [String] = []

  func validate() throws {
    if command.isEmpty { throw ValidationError("give the command after --: sandbox run --dir DIR -- CMD...") }
  }

  func run() throws {
    let ceiling = SandboxLimits.defaults
    var want = ceiling
    if let timeout { want.wallClockSeconds = timeout }
    if let memory { want.memoryBytes = memory }
    if let processes { want.processes = processes }
    if let disk { want.diskBytes = disk }
    if let tmp { want.tmpBytes = tmp }
    let limits = want.clamped(to: ceiling)
    let policy = SandboxPolicy(
      backend: backend == .none ? .none : .bwrap, bwrapPath: bwrap, limits: limits)
    let runner = SandboxRunner(policy: policy)
    let path = URL(fileURLWithPath: dir).standardizedFileURL.path
    let stdout = FileHandle.standardOutput
    do {
      var egress: FetchEgress?
      if !allowHosts.isEmpty || !pinHosts.isEmpty {
        var pinned: [String: [String]] = [:]
        for pin in pinHosts {
          let parts = pin.split(separator: "=", maxSplits: 1).map(String.init)
          guard parts.count == 2 else {
            throw SandboxError.invalidRequest("--pin-host wants HOST=ADDRESS, not '\(pin)'")
          }
          pinned[parts[0].lowercased(), default: []].append(parts[1])
        }
        egress = FetchEgress(
          policy: EgressPolicy(allowedHosts: allowHosts, pinnedAddresses: pinned), forwarder: Self.ownExecutable())
      }
      let result = try runner.run(
        command: command, workDir: path, timeout: limits.wallClockSeconds, outputLimit: 4096,
        copyBack: copyBack, egress: egress, onOutput: { stdout.write(Data($0)) })
      for d in result.egress where !d.allowed {
        FileHandle.standardError.write(
          Data("agentgate: fetch proxy refused \(d.host):\(d.port): \(d.reason)\n".utf8))
      }
      for note in result.notes where backend == .none || note.hasPrefix("UNSANDBOXED") {
        FileHandle.standardError.write(Data("agentgate: WARNING: \(note)\n".utf8))
      }
      if let hit = result.limitHit {
        FileHandle.standardError.write(Data("agentgate: sandbox: limit hit: \(hit.rawValue)\n".utf8))
      }
      throw ExitCode(result.processExitCode)
    } catch let error as SandboxError {
      FileHandle.standardError.write(Data("agentgate: sandbox: \(error)\n".utf8))
      throw ExitCode(125)
    }
  }
}

extension SandboxRunCommand {
  /// This executable, which is also the fetch phase's in-sandbox forwarder.
  static func ownExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }
}

/// `agentgate sandbox forward`: runs inside the fetch-phase sandbox (started by its prelude) and
/// carries connections from the sandbox's loopback to the gate's proxy socket.
struct SandboxForwardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forward", abstract: "Inside the sandbox: forward loopback connections to the gate's proxy.",
    shouldDisplay: false)

  @Option(help: "Loopback port to listen on.")
  var port: UInt16 = 3128

  @Option(help: "The proxy's unix socket.")
  var socket: String

  func run() throws {
    do {
      try EgressForwarder.run(port: port, socketPath: socket)
    } catch {
      FileHandle.standardError.write(Data("agentgate: sandbox forward: \(error)\n".utf8))
      throw ExitCode(125)
    }
  }
}

/// `agentgate sandbox check [--format text|json]`: which guarantees hold on this machine.
struct SandboxCheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check", abstract: "Say which sandbox guarantees hold on this machine, and why not.")

  enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

  @Option(help: "Output format: text or json.")
  var format: Format = .text

  @Option(help: ArgumentHelp("Path of bwrap (default: PATH).", visibility: .hidden))
  var bwrap: String?

  func run() throws {
    let report = SandboxRunner(policy: SandboxPolicy(bwrapPath: bwrap)).check()
    switch format {
    case .json:
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      let data = try encoder.encode(report)
      FileHandle.standardOutput.write(data + Data("\n".utf8))
    case .text:
      print(report.text)
    }
    if !report.usable { throw ExitCode(2) }
  }
}
