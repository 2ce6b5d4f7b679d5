// Wiring: the trusted policy turned into each stage's settings, and libgit2 adapted to what the
// policy resolver reads. One place, so every entry point judges with the same parts.

import Attribution
import Foundation
import GateCore
import GitReading
import Policy
import Sandbox
import Scanning

/// The policy resolver reads refs through libgit2.
public struct RepositoryRefReader: PolicyRefReader {
  public let repository: Repository
  public init(_ repository: Repository) { self.repository = repository }
  public func resolveCommit(_ rev: String) throws -> String { try repository.resolveCommit(rev) }
  public func readFile(rev: String, path: String) throws -> [UInt8]? { try repository.readFile(rev: rev, path: path) }
  public func defaultBranch() -> String? { repository.defaultBranch() }
  public func configString(_ key: String) -> String? { repository.configString(key) }
  public var workTreePath: String? { repository.workDirectory }
}

extension AttributionSettings {
  /// The `[agents]` section of a policy.
  public init(_ agents: AgentsPolicy) {
    self.init(
      extraMarkers: agents.extraMarkers.map { ($0.pattern, $0.agent, $0.confidence) },
      humanIdentities: agents.humanIdentities,
      agentIdentities: agents.agentIdentities.map { ($0.email, $0.agent) },
      minConfidence: agents.minConfidence, unattributedAsAgent: agents.unattributedAsAgent)
  }
}

extension ScanOptions {
  /// The `[scanning]` section of a policy.
  public init(_ scanning: ScanningPolicy, redact: Bool = true) {
    self.init(
      failOn: scanning.failOn, skippedSeverity: scanning.skippedSeverity,
      disabledRules: Set(scanning.disabledRules), severityOverrides: scanning.severity,
      allowlist: RuleAllowlist(
        regexes: scanning.allowlist.regexes, stopwords: scanning.allowlist.stopwords,
        paths: scanning.allowlist.paths),
      honourAgentAllowMarkers: scanning.honourAgentAllowMarkers, redact: redact)
  }
}

extension SandboxLimits {
  public init(_ limits: ResourceLimits) {
    self.init(
      wallClockSeconds: Double(limits.wallSeconds), memoryBytes: limits.memory, processes: limits.processes,
      cpus: Double(limits.cpus), diskBytes: limits.disk, tmpBytes: limits.tmp, shmBytes: limits.shm)
  }
}

extension SandboxPolicy {
  /// The sandbox the machine configuration allows, with the policy's limits (already clamped to the
  /// machine's ceilings by the resolver).
  public init(machine: MachineConfig, limits: ResourceLimits) {
    let backend: SandboxBackendKind =
      switch machine.sandboxBackend {
      case .bwrap: .bwrap
      case .container: .container
      case .none: .none
      }
    let toolchains = machine.toolchainBinds.isEmpty ? SandboxPolicy.defaultToolchains() : machine.toolchainBinds
    // As root the sandbox runs as a per-run uid: a bind whose path that uid cannot reach (a cache
    // under /root) would stop bwrap before the command starts, so such binds are left out.
    let reachable = geteuid() == 0 ? machine.cacheBinds.filter { isReachableByOthers($0) } : machine.cacheBinds
    self.init(
      backend: backend, bwrapPath: machine.bwrapPath, readOnlyBinds: toolchains, cacheBinds: reachable,
      limits: SandboxLimits(limits), containerEngine: machine.containerRuntime,
      allowWeakerLimits: machine.allowWeakerLimits)
  }
}

/// Every rule the gate runs: secret and risk line rules, change rules, and extra rules files (a flag
/// or the machine configuration, never the judged repository) in gitleaks' TOML format.
public enum RuleSet {
  public static func lineRules(extraFiles: [String]) throws -> [PatternRule] {
    var rules = SecretRules.all + RiskRules.lineRules
    for file in extraFiles {
      let text: String
      do {
        text = try String(contentsOfFile: file, encoding: .utf8)
      } catch {
        throw GateError.unreadable(path: file, what: "rules file", reason: "\(error.localizedDescription)")
      }
      do {
        rules += try GitleaksRules.load(toml: text)
      } catch {
        throw GateError.badRules(path: file, reason: "\(error)")
      }
    }
    return rules
  }

  public static var changeRules: [any ChangeRule] { RiskRules.changeRules }

  /// Metadata of every rule family, for `agentgate rules` and the README table.
  public static var metadata: [RuleMetadata] {
    let all =
      agentRulesMetadata + SecretRules.all.map(\.metadata) + RiskRules.lineRules.map(\.metadata)
      + RiskRules.changeRules.map(\.metadata)
    return all.sorted { ($0.family.rawValue, $0.id) < ($1.family.rawValue, $1.id) }
  }
}
