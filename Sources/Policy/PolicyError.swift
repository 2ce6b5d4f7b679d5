// Policy errors: every way a policy or machine configuration can be refused, with the user text
// in one place. Each message names what happened, where (file, key, line) and what to do.

import TOML

public enum PolicyError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file is not valid TOML.
  case syntax(source: String, TOMLError)
  /// A key the format does not know.
  case unknownKey(source: String, key: String, line: Int, known: [String])
  /// A key holding a value of the wrong TOML type.
  case wrongType(source: String, key: String, line: Int, expected: String, found: String)
  /// A value of the right type that is not allowed (bad severity, negative limit, bad regex...).
  case badValue(source: String, key: String, line: Int, value: String, expected: String)
  /// A machine-configuration setting written in a repository policy.
  case machineOnlyKey(source: String, key: String, line: Int)
  /// A policy or configuration file that exists but could not be read.
  case fileUnreadable(path: String, reason: String)
  /// `--policy FILE` (or `git config agentgate.policy`) names a file that does not exist.
  case fileMissing(path: String, origin: String)
  /// A revision that does not resolve to a commit.
  case unresolvedRevision(rev: String, origin: String, reason: String)
  /// Reading a file at a revision failed (not: the file is absent).
  case refUnreadable(rev: String, path: String, reason: String)
  /// `--policy FILE` inside the checkout being judged in CI.
  case policyFileInsideCheckout(path: String, workTree: String)
  /// A flag that this entry point does not take.
  case flagNotAllowed(flag: String, entryPoint: String, allowed: String)
  /// A path named by the policy (baseline, ignore file) that cannot be read safely at the trusted ref.
  case unsafeTrustedPath(path: String, reason: String)
  /// A file named by the trusted policy cannot be read from disk.
  case trustedFileUnreadable(path: String, reason: String)

  public var description: String {
    switch self {
    case .syntax(let source, let e):
      return "\(source): line \(e.line), column \(e.column): \(e.message). Fix the TOML syntax and try again."
    case .unknownKey(let source, let key, let line, let known):
      let hint = known.isEmpty ? "" : " Known keys here: \(known.joined(separator: ", "))."
      return "\(source): line \(line): unknown key '\(key)'.\(hint) See docs/policy.md."
    case .wrongType(let source, let key, let line, let expected, let found):
      return "\(source): line \(line): '\(key)' must be \(expected), found \(found)."
    case .badValue(let source, let key, let line, let value, let expected):
      return "\(source): line \(line): '\(key)' = \(value) is not allowed: expected \(expected)."
    case .machineOnlyKey(let source, let key, let line):
      return
        "\(source): line \(line): '\(key)' belongs to the machine configuration "
        + "(/etc/agentgate/config.toml or ~/.config/agentgate/config.toml), never to a repository policy. "
        + "Remove it from the policy and ask the machine's administrator to set it."
    case .fileUnreadable(let path, let reason):
      return "cannot read \(path): \(reason)."
    case .fileMissing(let path, let origin):
      return "the policy file \(path) (from \(origin)) does not exist. Fix the path or remove the setting."
    case .unresolvedRevision(let rev, let origin, let reason):
      return
        "the revision '\(rev)' (from \(origin)) does not name a commit: \(reason). "
        + "Fetch it (for CI: fetch the base branch, e.g. a full-depth checkout) or pass --policy-ref."
    case .refUnreadable(let rev, let path, let reason):
      return "cannot read \(path) at \(rev): \(reason)."
    case .policyFileInsideCheckout(let path, let workTree):
      return
        "--policy \(path) lies inside the checkout being judged (\(workTree)): the commit under judgement "
        + "could have written it. Use a file outside the checkout or --policy-ref REF."
    case .flagNotAllowed(let flag, let entryPoint, let allowed):
      return "\(flag) is not used by \(entryPoint) (its policy comes from: \(allowed)). Remove the flag."
    case .unsafeTrustedPath(let path, let reason):
      return "the policy names '\(path)', which cannot be read at the trusted ref: \(reason)."
    case .trustedFileUnreadable(let path, let reason):
      return "cannot read \(path), named by the policy in force: \(reason)."
    }
  }

  /// The line the error points at, when it points at one.
  public var line: Int? {
    switch self {
    case .syntax(_, let e): e.line
    case .unknownKey(_, _, let line, _), .wrongType(_, _, let line, _, _), .badValue(_, _, let line, _, _),
      .machineOnlyKey(_, _, let line):
      line
    default: nil
    }
  }

  /// The dotted key the error is about, when it is about one.
  public var key: String? {
    switch self {
    case .unknownKey(_, let key, _, _), .wrongType(_, let key, _, _, _), .badValue(_, let key, _, _, _),
      .machineOnlyKey(_, let key, _):
      key
    default: nil
    }
  }
}
