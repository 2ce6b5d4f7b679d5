// Byte prefilters for the risk rules' path predicates. A history scan asks every file event of
// every commit whether it is a CI file, a hook, an env file, a credential file...; nearly none
// is. Each gate is a necessary condition of its predicate, tested on the path's bytes without
// making a String, so the predicate itself (the rule's definition) runs only for the few paths
// that pass. A path with a byte >= 0x80 always passes: String comparison is by canonical
// equivalence and case mapping is Unicode's (the Kelvin sign lower-cases to `k`), which bytes
// cannot rule out.

enum PathGate {
  typealias Bytes = UnsafeBufferPointer<UInt8>

  /// True when `test` holds for the bytes of `path`, or when the path is not all ASCII.
  @inline(__always)
  static func mayMatch(_ path: String, _ test: (Bytes) -> Bool) -> Bool {
    let result = path.utf8.withContiguousStorageIfAvailable { buf -> Bool in
      if KeywordPrefilter.hasHighByte(buf) { return true }
      return test(buf)
    }
    return result ?? true
  }

  /// The bytes of the last component, as `RiskPath.basename` finds it: trailing `/` trimmed, the
  /// whole path when nothing else is left.
  static func basename(_ p: Bytes) -> Bytes {
    var end = p.count
    while end > 0, p[end - 1] == UInt8(ascii: "/") { end -= 1 }
    if end == 0 { return p }
    var start = end
    while start > 0, p[start - 1] != UInt8(ascii: "/") { start -= 1 }
    return Bytes(rebasing: p[start..<end])
  }

  /// The lower-case extension's bytes compared with `candidates` (lower-case): the bytes after
  /// the last `.` of the basename, when that `.` is not its first byte (as `RiskPath.ext`).
  static func extensionIs(_ p: Bytes, _ candidates: [[UInt8]]) -> Bool {
    let name = basename(p)
    var dot = name.count - 1
    while dot > 0, name[dot] != UInt8(ascii: ".") { dot -= 1 }
    guard dot > 0 else { return false }
    let ext = Bytes(rebasing: name[(dot + 1)...])
    return candidates.contains { equalsLowercase(ext, $0) }
  }

  /// `p` equals `n` (lower-case ASCII), ASCII case-insensitively.
  static func equalsLowercase(_ p: Bytes, _ n: [UInt8]) -> Bool {
    p.count == n.count && RiskPath.matchesLowercase(p, at: 0, n, from: 0)
  }

  /// `p` equals `n` exactly.
  static func equals(_ p: Bytes, _ n: [UInt8]) -> Bool {
    p.count == n.count && p.elementsEqual(n)
  }

  /// `p` starts with `n` (lower-case ASCII), ASCII case-insensitively.
  static func hasPrefixLowercase(_ p: Bytes, _ n: [UInt8]) -> Bool {
    p.count >= n.count && RiskPath.matchesLowercase(p, at: 0, n, from: 0)
  }

  /// `p` contains `n` (lower-case ASCII), ASCII case-insensitively.
  static func containsLowercase(_ p: Bytes, _ n: [UInt8]) -> Bool {
    guard !n.isEmpty else { return true }
    guard p.count >= n.count else { return false }
    var i = 0
    let last = p.count - n.count
    while i <= last {
      if RiskPath.matchesLowercase(p, at: i, n, from: 0) { return true }
      i += 1
    }
    return false
  }

  static func firstByteIs(_ p: Bytes, _ b: UInt8) -> Bool { !p.isEmpty && p[0] == b }

  static func bytes(_ words: [String]) -> [[UInt8]] { words.map { Array($0.lowercased().utf8) } }
}

extension PathGate {
  // Gates of the path predicates, each beside the reason it is implied by its predicate.

  static let envWord = Array(".env".utf8)
  /// `isEnvFile`: every accepted name, lower-cased, contains `.env`, and the name is part of the path.
  static func mayBeEnvFile(_ path: String) -> Bool {
    mayMatch(path) { containsLowercase($0, envWord) }
  }

  static let ciNamePrefixes = bytes(["jenkinsfile", "azure-pipelines", "bitbucket-pipelines", "cloudbuild", "appveyor"])
  /// `isCIConfig`: the directories it names all start with `.` (so does the path then); the file
  /// names start with `.` or one of `ciNamePrefixes`.
  static func mayBeCIConfig(_ path: String) -> Bool {
    mayMatch(path) { p in
      if firstByteIs(p, UInt8(ascii: ".")) { return true }
      let name = basename(p)
      return firstByteIs(name, UInt8(ascii: ".")) || ciNamePrefixes.contains { hasPrefixLowercase(name, $0) }
    }
  }

  static let agentInstructionNames = ["AGENTS.md", "CLAUDE.md", "GEMINI.md"].map { Array($0.utf8) }
  /// `isAgentInstructions`: the exact names `agentInstructionNames`, other names starting with
  /// `.`, or paths starting with `.github/`, `.cursor/` or `.claude/`.
  static func mayBeAgentInstructions(_ path: String) -> Bool {
    mayMatch(path) { p in
      if firstByteIs(p, UInt8(ascii: ".")) { return true }
      let name = basename(p)
      return firstByteIs(name, UInt8(ascii: ".")) || agentInstructionNames.contains { equals(name, $0) }
    }
  }

  static let codeOwners = Array("CODEOWNERS".utf8)
  /// `isCodeOwners`: the last component is exactly `CODEOWNERS`.
  static func mayBeCodeOwners(_ path: String) -> Bool {
    mayMatch(path) { equals(basename($0), codeOwners) }
  }

  static let hookWords = bytes(["hook", "husky", ".pre-commit-config", ".overcommit"])
  /// `isHookConfig`: `.husky`, `.githooks`, `.git-hooks` and the lefthook names hold `hook` or
  /// `husky`; the other names hold `.pre-commit-config` or `.overcommit`.
  static func mayBeHookConfig(_ path: String) -> Bool {
    mayMatch(path) { p in hookWords.contains { containsLowercase(p, $0) } }
  }

  static let gatePolicyWord = Array(".agentgate".utf8)
  /// `isGatePolicy`: both the file name and the directory hold `.agentgate`.
  static func mayBeGatePolicy(_ path: String) -> Bool {
    mayMatch(path) { containsLowercase($0, gatePolicyWord) }
  }

  static let credentialExtensions = bytes(["p12", "pfx", "jks", "keystore", "ppk", "kdbx", "pem", "key"])
  static let credentialDirectories = bytes([".aws/", ".kube/", ".docker/", ".ssh/"])
  static let idPrefix = Array("id_".utf8)
  static let credentialNames = bytes(["identity", "_netrc"])
  static let kubeconfig = Array("kubeconfig".utf8)
  /// `CredentialFileCommitted`: key names start with `id_` or are `identity`; the credential names
  /// start with `.`, are `_netrc` or hold `kubeconfig`; keystores and `.pem`/`.key` files have
  /// one of `credentialExtensions`; the directories `.aws`, `.kube`, `.docker` and `.ssh` are
  /// followed by `/` in the path.
  static func mayBeCredentialFile(_ path: String) -> Bool {
    mayMatch(path) { p in
      let name = basename(p)
      return firstByteIs(name, UInt8(ascii: ".")) || hasPrefixLowercase(name, idPrefix)
        || credentialNames.contains { equalsLowercase(name, $0) } || containsLowercase(name, kubeconfig)
        || extensionIs(p, credentialExtensions) || credentialDirectories.contains { containsLowercase(p, $0) }
    }
  }

  static let lockfileNames = LockfileWithoutManifest.ecosystems.keys.sorted().map { Array($0.utf8) }
  /// `LockfileWithoutManifest`: the basename is exactly one of the lockfile names.
  static func mayBeLockfile(_ path: String) -> Bool {
    mayMatch(path) { p in
      let name = basename(p)
      return lockfileNames.contains { equals(name, $0) }
    }
  }

  static let nestedCoverageNames = bytes([
    "package.json", "jest.config", "vitest.config", "vite.config", ".nycrc", "karma.conf", "codecov.yml",
    ".codecov.yml",
  ])
  /// `CoverageThresholdLowered.usesNestedKeys`: the lower-cased name equals or starts with one of
  /// `nestedCoverageNames`.
  static func mayUseNestedCoverageKeys(_ path: String) -> Bool {
    mayMatch(path) { p in
      let name = basename(p)
      return nestedCoverageNames.contains { hasPrefixLowercase(name, $0) }
    }
  }
}
