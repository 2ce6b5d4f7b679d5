// Replay outcomes: what the sandboxed build and test of a commit produced.

public enum ReplayStepKind: String, Sendable, Hashable, Codable {
  case fetch, build, test
}

/// Which limit ended a step, if any.
public enum LimitHit: String, Sendable, Hashable, Codable {
  case wallClock = "wall-clock"
  case memory
  case processes
  case disk
  case output
}

public struct ReplayStep: Sendable, Hashable, Codable {
  public var kind: ReplayStepKind
  /// The shell command as configured.
  public var command: String
  /// Where the command came from (`policy`, `flag`, `detected:Package.swift`).
  public var origin: String
  public var exitStatus: Int32?
  public var signal: Int32?
  public var durationSeconds: Double
  public var peakMemoryBytes: Int?
  public var limitHit: LimitHit?
  /// The last part of the combined output, bounded.
  public var outputTail: String
  /// Total bytes the command wrote.
  public var outputBytes: Int

  public init(
    kind: ReplayStepKind, command: String, origin: String, exitStatus: Int32?, signal: Int32? = nil,
    durationSeconds: Double, peakMemoryBytes: Int? = nil, limitHit: LimitHit? = nil,
    outputTail: String = "", outputBytes: Int = 0
  ) {
    self.kind = kind
    self.command = command
    self.origin = origin
    self.exitStatus = exitStatus
    self.signal = signal
    self.durationSeconds = durationSeconds
    self.peakMemoryBytes = peakMemoryBytes
    self.limitHit = limitHit
    self.outputTail = outputTail
    self.outputBytes = outputBytes
  }

  public var succeeded: Bool { exitStatus == 0 && signal == nil && limitHit == nil }
}

public enum ReplayStatus: String, Sendable, Hashable, Codable {
  /// Every step succeeded.
  case passed
  /// A step failed or hit a limit.
  case failed
  /// Replay was not asked for (policy off) or there was nothing to run.
  case skipped
  /// The sandbox could not run (missing backend, set-up failure): the gate cannot decide.
  case error
  /// Replay runs later (async); the verdict is provisional.
  case pending
}

public struct ReplayOutcome: Sendable, Hashable, Codable {
  public var status: ReplayStatus
  public var backend: String?
  public var steps: [ReplayStep]
  /// Why it was skipped or errored.
  public var reason: String?

  public init(status: ReplayStatus, backend: String? = nil, steps: [ReplayStep] = [], reason: String? = nil) {
    self.status = status
    self.backend = backend
    self.steps = steps
    self.reason = reason
  }
}
