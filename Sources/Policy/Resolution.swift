// Trusted resolution: which policy judges a commit, by entry point. The rule is that the commit under
// judgement never chooses its own judge: the server reads its own configuration or the default
// branch as it was before the push, CI reads the base, local hooks read HEAD (never the working
// tree). Files the policy names (baseline, ignore file) are read at the same trusted place.
//
// Reading from refs goes through `PolicyRefReader`, which the CLI implements over libgit2.

import Foundation
import GateCore
import TOML

/// Read access to a repository's refs, objects and configuration.
public protocol PolicyRefReader {
  /// The full commit id `rev` names (`HEAD`, `origin/main`, a sha); throws when it names none.
  func resolveCommit(_ rev: String) throws -> String
  /// The bytes of `path` in the tree of commit `rev`; nil when there is no such file.
  func readFile(rev: String, path: String) throws -> [UInt8]?
  /// The default branch (`refs/heads/main` or `main`): where HEAD points in a server repository.
  func defaultBranch() -> String?
  /// A value from the repository's git configuration.
  func configString(_ key: String) -> String?
  /// The work tree of the repository being judged; nil for a bare repository. `ci` refuses a
  /// `--policy` file inside it (the commit under judgement could have written it).
  var workTreePath: String? { get }
}

/// The ways agentgate is run; each has its own order of policy sources.
public enum EntryPoint: String, Sendable, Hashable, CaseIterable {
  case preReceive = "pre-receive"
  case postReceive = "post-receive"
  case ci
  case preCommit = "pre-commit"
  case commitMsg = "commit-msg"
  case prePush = "pre-push"
  case scan
  case detect
  case replay

  /// The sources of its policy, first found wins, for messages and docs.
  public var policySources: String {
    switch self {
    case .preReceive, .postReceive:
      "--policy FILE; git config agentgate.policy; .agentgate.toml at the tip of the default branch; built-in default"
    case .ci:
      "--policy FILE (outside the checkout); --policy-ref REF; the base named by the CI's variables; built-in default"
    case .preCommit, .commitMsg, .prePush: "--policy FILE; .agentgate.toml at HEAD; built-in default"
    case .scan, .detect, .replay: "--policy FILE; --policy-ref REF; .agentgate.toml at HEAD; built-in default"
    }
  }

  var takesPolicyRef: Bool {
    switch self {
    case .ci, .scan, .detect, .replay: true
    default: false
    }
  }
}

/// Where the policy in force was read, and so where the files it names are read.
public enum TrustedLocation: Sendable, Equatable {
  /// A file on disk: relative paths it names are relative to its directory.
  case file(path: String)
  /// A commit: the files it names are read from that commit's tree.
  case commit(String)
  /// The built-in default names no files.
  case builtIn
}

/// The policy in force for one run, with where it came from and what it settles.
public struct ResolvedPolicy: Sendable, Equatable {
  public var policy: RepositoryPolicy
  /// `source@commit` and the SHA-256 of the policy's bytes (of the default's canonical text when built in).
  public var identity: PolicyIdentity
  public var entryPoint: EntryPoint
  public var location: TrustedLocation
  /// Dotted key → where its value came from, for every key of the policy and `limits.*`.
  public var origins: [String: SettingOrigin]
  /// The replay limits in force: the policy's, clamped to the machine ceilings.
  public var limits: ResourceLimits
  public var machine: MachineConfig
  /// How the policy was chosen: one line per source tried.
  public var trail: [String]
  /// Things the user should know (a limit clamped to the ceiling).
  public var warnings: [String]

  /// Replay timing at this entry point.
  public var replayTiming: ReplayTiming { policy.replay.timing(at: entryPoint) }
}

public struct PolicyResolver {
  public let reader: (any PolicyRefReader)?
  public let machine: MachineConfig
  /// Where relative `--policy` paths are resolved from.
  public let currentDirectory: String

  public init(
    reader: (any PolicyRefReader)?, machine: MachineConfig,
    currentDirectory: String = FileManager.default.currentDirectoryPath
  ) {
    self.reader = reader
    self.machine = machine
    self.currentDirectory = currentDirectory
  }

  /// The policy in force at `entryPoint`. `policyFile` is `--policy`, `policyRef` is `--policy-ref`,
  /// `ciEnvironment` the CI's variables (read once by the CLI). Never reads the working tree.
  public func resolve(
    entryPoint: EntryPoint, policyFile: String? = nil, policyRef: String? = nil,
    ciEnvironment: [String: String] = [:]
  ) throws(PolicyError) -> ResolvedPolicy {
    var trail: [String] = []
    if policyRef != nil && !entryPoint.takesPolicyRef {
      throw PolicyError.flagNotAllowed(
        flag: "--policy-ref", entryPoint: entryPoint.rawValue, allowed: entryPoint.policySources)
    }
    if let policyFile {
      let path = absolute(policyFile)
      if entryPoint == .ci, let tree = reader?.workTreePath, isInside(path, tree) {
        throw PolicyError.policyFileInsideCheckout(path: path, workTree: tree)
      }
      trail.append("--policy \(path): used")
      return try fromFile(path, origin: "--policy", entryPoint: entryPoint, trail: trail)
    }
    trail.append("--policy: not given")

    switch entryPoint {
    case .preReceive, .postReceive:
      if let configured = reader?.configString("agentgate.policy"), !configured.isEmpty {
        guard configured.hasPrefix("/") else {
          throw PolicyError.fileMissing(
            path: configured, origin: "git config agentgate.policy (it must be an absolute path on the server)")
        }
        trail.append("git config agentgate.policy = \(configured): used")
        return try fromFile(configured, origin: "git config agentgate.policy", entryPoint: entryPoint, trail: trail)
      }
      trail.append("git config agentgate.policy: not set")
      if let branch = reader?.defaultBranch() {
        let ref = branch.hasPrefix("refs/") ? branch : "refs/heads/\(branch)"
        if let found = try fromRef(ref, origin: "the default branch", required: false, entryPoint, &trail) {
          return found
        }
      } else {
        trail.append("default branch: none")
      }

    case .ci:
      if let policyRef {
        if let found = try fromRef(policyRef, origin: "--policy-ref", required: true, entryPoint, &trail) {
          return found
        }
      } else {
        trail.append("--policy-ref: not given")
        if let base = try CIBase.detect(ciEnvironment, trail: &trail) {
          if let found = try fromRef(base.rev, origin: base.origin, required: true, entryPoint, &trail) {
            return found
          }
        }
      }

    case .preCommit, .commitMsg, .prePush:
      if let found = try fromRef("HEAD", origin: "HEAD", required: false, entryPoint, &trail) { return found }

    case .scan, .detect, .replay:
      if let policyRef {
        if let found = try fromRef(policyRef, origin: "--policy-ref", required: true, entryPoint, &trail) {
          return found
        }
      } else {
        trail.append("--policy-ref: not given")
        if let found = try fromRef("HEAD", origin: "HEAD", required: false, entryPoint, &trail) { return found }
      }
    }
    trail.append("built-in default: used")
    return builtIn(entryPoint: entryPoint, trail: trail)
  }

  /// Reads `path`, a file named by the policy in force (baseline, ignore file), from the same trusted
  /// place the policy came from; nil when it does not exist there.
  public func readTrusted(path: String, for resolved: ResolvedPolicy) throws(PolicyError) -> [UInt8]? {
    switch resolved.location {
    case .builtIn:
      throw PolicyError.unsafeTrustedPath(path: path, reason: "the built-in default policy names no files")
    case .file(let policyPath):
      let full =
        path.hasPrefix("/") ? path : (URL(fileURLWithPath: policyPath).deletingLastPathComponent().path + "/" + path)
      guard FileManager.default.fileExists(atPath: full) else { return nil }
      do {
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: full)))
      } catch {
        throw PolicyError.trustedFileUnreadable(path: full, reason: (error as NSError).localizedDescription)
      }
    case .commit(let commit):
      let clean = try repositoryPath(path)
      guard let reader else {
        throw PolicyError.unsafeTrustedPath(path: path, reason: "no repository to read it from")
      }
      do {
        return try reader.readFile(rev: commit, path: clean)
      } catch {
        throw PolicyError.refUnreadable(rev: commit, path: clean, reason: "\(error)")
      }
    }
  }

  // MARK: sources

  private func absolute(_ path: String) -> String {
    let joined = path.hasPrefix("/") ? path : "\(currentDirectory)/\(path)"
    return URL(fileURLWithPath: joined).standardizedFileURL.path
  }

  private func isInside(_ path: String, _ directory: String) -> Bool {
    let p = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    let d = URL(fileURLWithPath: directory).resolvingSymlinksInPath().standardizedFileURL.path
    return p == d || p.hasPrefix(d.hasSuffix("/") ? d : d + "/")
  }

  private func fromFile(
    _ path: String, origin: String, entryPoint: EntryPoint, trail: [String]
  )
    throws(PolicyError) -> ResolvedPolicy
  {
    guard FileManager.default.fileExists(atPath: path) else {
      throw PolicyError.fileMissing(path: path, origin: origin)
    }
    let text = try readText(path)
    return try finish(
      text: text, bytes: Array(text.utf8), source: path, commit: nil, location: .file(path: path),
      entryPoint: entryPoint, trail: trail)
  }

  /// The policy at `rev`; nil when `rev` has no policy file (or, when not `required`, does not resolve:
  /// an unborn HEAD, an empty repository).
  private func fromRef(
    _ rev: String, origin: String, required: Bool, _ entryPoint: EntryPoint, _ trail: inout [String]
  ) throws(PolicyError) -> ResolvedPolicy? {
    guard let reader else {
      if required { throw PolicyError.unresolvedRevision(rev: rev, origin: origin, reason: "no repository was given") }
      trail.append("\(named(rev, origin)): no repository")
      return nil
    }
    let commit: String
    do {
      commit = try reader.resolveCommit(rev)
    } catch {
      if required { throw PolicyError.unresolvedRevision(rev: rev, origin: origin, reason: "\(error)") }
      trail.append("\(named(rev, origin)): no commit yet")
      return nil
    }
    let bytes: [UInt8]?
    do {
      bytes = try reader.readFile(rev: commit, path: policyFileName)
    } catch {
      throw PolicyError.refUnreadable(rev: "\(rev) (\(commit))", path: policyFileName, reason: "\(error)")
    }
    guard let bytes else {
      trail.append("\(named(rev, origin))@\(commit.prefix(12)): no \(policyFileName)")
      return nil
    }
    let source = "\(rev):\(policyFileName)"
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw PolicyError.fileUnreadable(path: "\(source)@\(commit)", reason: "it is not UTF-8 text")
    }
    trail.append("\(named(rev, origin))@\(commit.prefix(12)): \(policyFileName) used")
    return try finish(
      text: text, bytes: bytes, source: source, commit: commit, location: .commit(commit), entryPoint: entryPoint,
      trail: trail)
  }

  /// `HEAD`, or `the default branch refs/heads/main`.
  private func named(_ rev: String, _ origin: String) -> String { rev == origin ? rev : "\(origin) \(rev)" }

  private func builtIn(entryPoint: EntryPoint, trail: [String]) -> ResolvedPolicy {
    let policy = RepositoryPolicy.default
    let identity = PolicyIdentity(source: "built-in default", hash: SHA256.hex(policy.tomlText))
    return assemble(
      policy: policy, parsedOrigins: [:], identity: identity, location: .builtIn, entryPoint: entryPoint,
      trail: trail)
  }

  private func finish(
    text: String, bytes: [UInt8], source: String, commit: String?, location: TrustedLocation,
    entryPoint: EntryPoint, trail: [String]
  ) throws(PolicyError) -> ResolvedPolicy {
    let (policy, origins) = try RepositoryPolicy.parseWithOrigins(text, source: source)
    let identity = PolicyIdentity(source: source, commit: commit, hash: SHA256.hex(bytes))
    return assemble(
      policy: policy, parsedOrigins: origins, identity: identity, location: location, entryPoint: entryPoint,
      trail: trail)
  }

  private func assemble(
    policy: RepositoryPolicy, parsedOrigins: [String: SettingOrigin], identity: PolicyIdentity,
    location: TrustedLocation, entryPoint: EntryPoint, trail: [String]
  ) -> ResolvedPolicy {
    var origins: [String: SettingOrigin] = [:]
    for key in flattenKeys(policy.table, prefix: "") { origins[key] = parsedOrigins[key] ?? .builtInDefault }
    for (key, origin) in parsedOrigins where origins[key] == nil { origins[key] = origin }
    let (limits, clamped) = machine.ceilings.clamping(policy.replay.limits)
    var warnings: [String] = []
    let ceilingTable = machine.ceilings.tomlTable
    let requestTable = policy.replay.limits.tomlTable
    for entry in ceilingTable.entries {
      let key = "replay.limits.\(entry.key)"
      let ceilingOrigin = machine.origins["limits.\(entry.key)"] ?? .builtInDefault
      let ceiling = "\(TOML.encodeInline(entry.value)) from \(ceilingOrigin)"
      if clamped.contains(entry.key), let asked = requestTable[entry.key] {
        let requested = "the policy asked for \(TOML.encodeInline(asked)) (\(origins[key] ?? .builtInDefault))"
        origins[key] = .clampedToCeiling(requested: requested, ceiling: ceiling)
        warnings.append(
          "\(key) = \(TOML.encodeInline(asked)) is above the machine ceiling \(TOML.encodeInline(entry.value)); "
            + "the ceiling applies (a repository policy can only tighten limits)")
      } else if requestTable[entry.key] == nil {
        origins[key] = ceilingOrigin
      }
    }
    return ResolvedPolicy(
      policy: policy, identity: identity, entryPoint: entryPoint, location: location, origins: origins,
      limits: limits, machine: machine, trail: trail, warnings: warnings)
  }
}

/// Every leaf key of a table as a dotted path; arrays are leaves.
func flattenKeys(_ table: TOMLTable, prefix: String) -> [String] {
  var out: [String] = []
  for e in table.entries {
    let key = prefix.isEmpty ? e.key : "\(prefix).\(e.key)"
    if case .table(let t) = e.value, !t.isEmpty {
      out += flattenKeys(t, prefix: key)
    } else {
      out.append(key)
    }
  }
  return out
}

/// A path inside a repository tree: relative, no `..`, no empty parts.
private func repositoryPath(_ path: String) throws(PolicyError) -> String {
  var p = Substring(path)
  while p.hasPrefix("./") { p = p.dropFirst(2) }
  if p.hasPrefix("/") {
    throw PolicyError.unsafeTrustedPath(path: path, reason: "it must be a path inside the repository, not absolute")
  }
  let parts = p.split(separator: "/", omittingEmptySubsequences: false)
  if p.isEmpty || parts.contains(where: { $0.isEmpty || $0 == ".." || $0 == "." }) {
    throw PolicyError.unsafeTrustedPath(path: path, reason: "it must be a plain path inside the repository")
  }
  return String(p)
}

/// The trusted base of a CI run, from the CI's own variables.
public struct CIBase: Sendable, Equatable {
  /// A revision: a commit id or `origin/<branch>`.
  public var rev: String
  /// The variable(s) it came from.
  public var origin: String

  /// Detects the base: GitHub (and Gitea/Forgejo Actions), GitLab, Bitbucket; nil outside CI or when
  /// the CI names no base (then the built-in default applies).
  public static func detect(_ env: [String: String], trail: inout [String]) throws(PolicyError) -> CIBase? {
    func value(_ k: String) -> String? { env[k].flatMap { $0.isEmpty ? nil : $0 } }
    func isZero(_ s: String) -> Bool { s.allSatisfy { $0 == "0" } }

    if value("GITHUB_ACTIONS") != nil || value("GITEA_ACTIONS") != nil || value("GITHUB_EVENT_NAME") != nil {
      let event = value("GITHUB_EVENT_NAME") ?? ""
      if let base = value("GITHUB_BASE_REF") {
        return CIBase(rev: "origin/\(base)", origin: "GITHUB_BASE_REF (\(event.isEmpty ? "pull request" : event))")
      }
      var payload: [String: Any]? = nil
      if let path = value("GITHUB_EVENT_PATH") { payload = try readEvent(path) }
      if let before = payload?["before"] as? String, !before.isEmpty, !isZero(before) {
        return CIBase(rev: before, origin: "the push event's 'before' (GITHUB_EVENT_PATH)")
      }
      let repository = payload?["repository"] as? [String: Any]
      if let defaultBranch = repository?["default_branch"] as? String, !defaultBranch.isEmpty,
        value("GITHUB_REF") != "refs/heads/\(defaultBranch)"
      {
        return CIBase(rev: "origin/\(defaultBranch)", origin: "the repository's default branch (new branch push)")
      }
      trail.append("GitHub: no base (no GITHUB_BASE_REF, no 'before' in the event)")
      return nil
    }
    if value("GITLAB_CI") != nil || value("CI_PROJECT_ID") != nil {
      if let sha = value("CI_MERGE_REQUEST_DIFF_BASE_SHA") {
        return CIBase(rev: sha, origin: "CI_MERGE_REQUEST_DIFF_BASE_SHA")
      }
      if let sha = value("CI_MERGE_REQUEST_TARGET_BRANCH_SHA") {
        return CIBase(rev: sha, origin: "CI_MERGE_REQUEST_TARGET_BRANCH_SHA")
      }
      if let sha = value("CI_COMMIT_BEFORE_SHA"), !isZero(sha) {
        return CIBase(rev: sha, origin: "CI_COMMIT_BEFORE_SHA")
      }
      if let branch = value("CI_DEFAULT_BRANCH"), value("CI_COMMIT_BRANCH") != branch,
        value("CI_COMMIT_BRANCH") != nil
      {
        return CIBase(rev: "origin/\(branch)", origin: "CI_DEFAULT_BRANCH (new branch push)")
      }
      trail.append("GitLab: no base (no merge request, no CI_COMMIT_BEFORE_SHA)")
      return nil
    }
    if value("BITBUCKET_BUILD_NUMBER") != nil {
      if let branch = value("BITBUCKET_PR_DESTINATION_BRANCH") {
        return CIBase(rev: "origin/\(branch)", origin: "BITBUCKET_PR_DESTINATION_BRANCH")
      }
      trail.append("Bitbucket: no base (not a pull request)")
      return nil
    }
    trail.append("CI base: no CI variables")
    return nil
  }

  /// The event payload; a named file that cannot be read is an error (the base cannot be known).
  private static func readEvent(_ path: String) throws(PolicyError) -> [String: Any] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PolicyError.fileUnreadable(path: path, reason: "GITHUB_EVENT_PATH names it but it cannot be read")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw PolicyError.fileUnreadable(path: path, reason: "the GitHub event payload is not a JSON object")
    }
    return object
  }
}
