// Repository hygiene: symlinks out of the repository, new executable binaries, committed
// environment files and credential files.

import GateCore

extension RiskRules {
  static let envFileExampleWords: Set<String> = [
    "example", "examples", "sample", "template", "tpl", "dist", "defaults", "default", "schema", "tmpl",
  ]

  /// `.env`, `.env.production`, `prod.env`, but not `.env.example` and kin.
  static func isEnvFile(_ path: String) -> Bool {
    let name = RiskPath.basename(path).lowercased()
    let parts = name.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
    guard name == ".env" || name.hasPrefix(".env.") || (name.hasSuffix(".env") && !name.hasPrefix(".")) else {
      return false
    }
    return !parts.contains { envFileExampleWords.contains($0) }
  }

  static let privateKeyNames: Set<String> = [
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk", "identity",
  ]
  static let credentialNames: Set<String> = [
    ".pypirc", ".netrc", "_netrc", ".git-credentials", "kubeconfig", ".htpasswd", ".pgpass", ".s3cfg",
  ]
  static let keystoreExtensions: Set<String> = ["p12", "pfx", "jks", "keystore", "ppk", "kdbx"]

  /// Credential files by name alone.
  static func isCredentialFile(_ path: String) -> Bool {
    let name = RiskPath.basename(path)
    let lower = name.lowercased()
    let dirs = RiskPath.directory(path)
    if privateKeyNames.contains(lower) || credentialNames.contains(lower) { return true }
    if lower.hasSuffix(".kubeconfig") || lower.hasPrefix("kubeconfig.") { return true }
    if keystoreExtensions.contains(RiskPath.ext(path)) { return true }
    if let parent = dirs.last {
      if parent == ".aws" && (lower == "credentials" || lower == "config") { return true }
      if parent == ".kube" && lower == "config" { return true }
      if parent == ".docker" && lower == "config.json" { return true }
      if parent == ".ssh" && !lower.hasSuffix(".pub") && lower != "known_hosts" && lower != "config" { return true }
    }
    return false
  }

  static var hygieneChangeRules: [any ChangeRule] {
    [
      CredentialFileCommitted(),
      FileEventRule(
        id: "hygiene-env-file",
        description: "An environment file (.env) was committed.",
        severity: .high,
        message:
          "the commit adds an environment file, which usually holds local secrets and settings: remove it, add "
          + "it to .gitignore, and commit a `.env.example` without values instead",
        statuses: [.added, .modified, .renamed, .typeChanged],
        matches: { RiskRules.isEnvFile($0) }, mayMatch: { PathGate.mayBeEnvFile($0) },
        positives: [
          ChangeExample(".env", ChangeFixture.commit(.added(".env", ["DATABASE_URL=postgres://u:p@db/app"]))),
          ChangeExample(".env.production", ChangeFixture.commit(.added("deploy/.env.production", ["X=1"]))),
          ChangeExample("prod.env", ChangeFixture.commit(.added("config/prod.env", ["X=1"]))),
        ],
        negatives: [
          ChangeExample(".env.example", ChangeFixture.commit(.added(".env.example", ["DATABASE_URL="]))),
          ChangeExample(".env.sample", ChangeFixture.commit(.added(".env.sample", ["X="]))),
          ChangeExample(".env.template", ChangeFixture.commit(.added(".env.template", ["X="]))),
          ChangeExample(".env deleted", ChangeFixture.commit(.deleted(".env"))),
          ChangeExample("environment.ts", ChangeFixture.commit(.added("src/environment.ts", ["export {}"]))),
        ]),
      ExecutableBinaryAdded(),
      SymlinkEscape(),
    ]
  }

  static var hygieneLineRules: [PatternRule] {
    [
      PatternRule(
        id: "hygiene-npmrc-auth", category: .risk,
        description: "An npm/yarn configuration file carries a literal registry credential.",
        severity: .high,
        keywords: ["_auth", "_password", "npmauthtoken", "npmauthident"],
        pattern:
          #"(?m)(?:^|:)(?:_authToken|_auth|_password)\h*=\h*(?!["']?\$\{)["']?[^\h"'$\n]{6,}|\bnpmAuth(?:Token|Ident)\h*:\h*(?!["']?\$\{)["']?[^\h"'$\n]{6,}"#,
        paths: [#"(?:^|/)\.(?:npmrc|yarnrc(?:\.ya?ml)?)$"#],
        message:
          "the registry configuration holds a literal credential: revoke it, and read it from an environment "
          + "variable (`_authToken=${NPM_TOKEN}`) instead",
        positives: [
          RuleExample("//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789", path: ".npmrc"),
          RuleExample("_auth=dXNlcjpwYXNzd29yZA==", path: "web/.npmrc"),
          RuleExample("npmAuthToken: abcdef123456", path: ".yarnrc.yml"),
        ],
        negatives: [
          RuleExample("//registry.npmjs.org/:_authToken=${NPM_TOKEN}", path: ".npmrc"),
          RuleExample("npmAuthToken: \"${NPM_TOKEN}\"", path: ".yarnrc.yml"),
          RuleExample("_authToken=abcdef123456", path: "docs/npm.md"),
        ])
    ]
  }
}

/// Credential files by name, and PEM/key files whose added lines hold a private key.
struct CredentialFileCommitted: ChangeRule {
  let id = "hygiene-credential-file"
  let description = "A credential file (SSH private key, .netrc, .pypirc, kubeconfig, keystore...) was committed."
  let severity = Severity.high

  func evaluate(_ change: CommitChange) -> [Finding] {
    let files = change.files
    return files.indices.filter { files[$0].status != .deleted && PathGate.mayBeCredentialFile(files[$0].path) }
      .compactMap { i in
        let file = files[i]
        var hit = RiskRules.isCredentialFile(file.path)
        if !hit, ["pem", "key"].contains(RiskPath.ext(file.path)), let lines = try? file.changes.get() {
          hit = RiskPath.containsASCII(lines.added.bytes, "PRIVATE KEY-----")
        }
        guard hit else { return nil }
        return riskFinding(
          rule: id, severity: severity, change: change, path: file.path, match: "credential file \(file.path)",
          message:
            "the commit adds a file that normally holds credentials (a private key, registry or cluster login): "
            + "remove it from history, revoke what it contains, and keep it out with .gitignore")
      }
  }

  var positives: [ChangeExample] {
    [
      ChangeExample("ssh key", ChangeFixture.commit(.added("deploy/id_rsa", ["-----BEGIN OPENSSH PRIVATE KEY-----"]))),
      ChangeExample("kube config", ChangeFixture.commit(.added(".kube/config", ["apiVersion: v1"]))),
      ChangeExample("kubeconfig", ChangeFixture.commit(.added("ops/staging.kubeconfig", ["apiVersion: v1"]))),
      ChangeExample("aws credentials", ChangeFixture.commit(.added("home/.aws/credentials", ["[default]"]))),
      ChangeExample("pypirc", ChangeFixture.commit(.added(".pypirc", ["[pypi]"]))),
      ChangeExample("git-credentials", ChangeFixture.commit(.added(".git-credentials", ["https://u:p@host"]))),
      ChangeExample("netrc", ChangeFixture.commit(.added(".netrc", ["machine x login y password z"]))),
      ChangeExample(
        "pem private key",
        ChangeFixture.commit(.added("certs/server.pem", ["-----BEGIN RSA PRIVATE KEY-----", "MIIEow"]))),
      ChangeExample("keystore", ChangeFixture.commit(.binary("app/release.jks", mode: .regular))),
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample("public key", ChangeFixture.commit(.added("deploy/id_rsa.pub", ["ssh-rsa AAAA x@y"]))),
      ChangeExample(
        "certificate", ChangeFixture.commit(.added("certs/ca.pem", ["-----BEGIN CERTIFICATE-----", "MIIB"]))),
      ChangeExample("ssh config doc", ChangeFixture.commit(.added("docs/ssh.md", ["Put id_rsa in ~/.ssh"]))),
      ChangeExample("credentials code", ChangeFixture.commit(.added("src/credentials.ts", ["export {}"]))),
      ChangeExample("key deleted", ChangeFixture.commit(.deleted("deploy/id_rsa"))),
    ]
  }
}

/// An executable binary added (or changed, or made executable): a compiled file with the executable
/// bit, or a binary with an executable or library extension.
struct ExecutableBinaryAdded: ChangeRule {
  let id = "hygiene-executable-binary"
  let description = "An executable binary (or native library) was added or changed."
  let severity = Severity.high

  static let binaryExtensions: Set<String> = [
    "exe", "dll", "so", "dylib", "bin", "elf", "msi", "com", "scr", "jar", "class", "pyc", "o", "a", "node",
  ]

  func evaluate(_ change: CommitChange) -> [Finding] {
    // Only binary files can match: they are picked by index, without copying every file event.
    let files = change.files
    return files.indices.filter { files[$0].isBinary || files[$0].skipped == .binary }.compactMap { i in
      let file = files[i]
      guard file.status != .deleted, file.newMode != .symlink, file.newMode != .submodule else { return nil }
      let executable = file.newMode == .executable
      guard executable || Self.binaryExtensions.contains(RiskPath.ext(file.path)) else { return nil }
      let what = executable ? "executable binary" : "binary (\(RiskPath.ext(file.path)))"
      return riskFinding(
        rule: id, severity: severity, change: change, path: file.path, key: "\(file.path)\u{0}\(file.newBlob ?? "")",
        match: "\(what) \(file.path), \(file.newSize) bytes",
        message:
          "the commit adds a compiled \(what) that no one can review and that may run on build or install: "
          + "build it from source in CI instead, or check where it came from and its checksum")
    }
  }

  var positives: [ChangeExample] {
    [
      ChangeExample("executable blob", ChangeFixture.commit(.binary("tools/helper", mode: .executable))),
      ChangeExample("dll", ChangeFixture.commit(.binary("lib/native.dll", mode: .regular))),
      ChangeExample("so", ChangeFixture.commit(.binary("vendor/libx.so", mode: .regular))),
      ChangeExample(
        "made executable", ChangeFixture.commit(.binary("bin/tool", mode: .executable, status: .modified))),
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample("image", ChangeFixture.commit(.binary("docs/logo.png", mode: .regular))),
      ChangeExample(
        "executable script", ChangeFixture.commit(.added("scripts/run.sh", ["#!/bin/sh", "make"], mode: .executable))),
      ChangeExample(
        "binary deleted",
        ChangeFixture.commit(FileDiff(path: "bin/old", status: .deleted, oldMode: .executable, isBinary: true))),
    ]
  }
}

/// A symlink whose target is absolute, escapes the repository, or points into `.git`.
struct SymlinkEscape: ChangeRule {
  let id = "hygiene-symlink-escape"
  let description = "A symlink points outside the repository, to an absolute path, or into .git."
  let severity = Severity.high

  enum Verdict: Equatable {
    case inside
    case absolute
    case escapes
    case gitDirectory
  }

  /// Where `target`, read relative to the directory of the link at `path`, leads.
  static func resolve(path: String, target: String) -> Verdict {
    if target.hasPrefix("/") || target.hasPrefix("~") || target.hasPrefix("\\") {
      return .absolute
    }
    let chars = Array(target.utf8)
    if chars.count >= 2, chars[1] == UInt8(ascii: ":"),
      (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(chars[0] & ~0x20)
    {
      return .absolute
    }
    var stack = RiskPath.directory(path).map(String.init)
    for part in target.split(whereSeparator: { $0 == "/" || $0 == "\\" }) {
      switch part {
      case ".": continue
      case "..":
        if stack.isEmpty { return .escapes }
        stack.removeLast()
      default: stack.append(String(part))
      }
    }
    return stack.first == ".git" ? .gitDirectory : .inside
  }

  func evaluate(_ change: CommitChange) -> [Finding] {
    let files = change.files
    return files.indices.filter { files[$0].newMode == .symlink }.compactMap { i in
      let file = files[i]
      guard file.status != .deleted else { return nil }
      guard let target = file.symlinkTarget else {
        return riskFinding(
          rule: id, severity: severity, change: change, path: file.path, match: "symlink \(file.path) -> ?",
          message: "the commit adds a symlink whose target could not be read: check where it points")
      }
      let verdict = Self.resolve(path: file.path, target: target)
      let why: String
      switch verdict {
      case .inside: return nil
      case .absolute: why = "an absolute path"
      case .escapes: why = "a path outside the repository"
      case .gitDirectory: why = "the repository's .git directory"
      }
      return riskFinding(
        rule: id, severity: severity, change: change, path: file.path, key: "\(file.path)\u{0}\(target)",
        match: "\(file.path) -> \(target)",
        message:
          "the symlink points to \(why): tools that follow it (builds, archives, the sandbox, editors) read or "
          + "write files outside the project. Use a relative link inside the repository")
    }
  }

  var positives: [ChangeExample] {
    [
      ChangeExample("absolute", ChangeFixture.commit(.symlink("config/secrets", to: "/etc/passwd"))),
      ChangeExample("escaping", ChangeFixture.commit(.symlink("docs/home", to: "../../.ssh/id_rsa"))),
      ChangeExample("home", ChangeFixture.commit(.symlink("cache", to: "~/.aws"))),
      ChangeExample("into .git", ChangeFixture.commit(.symlink("tools/hooks", to: "../.git/hooks"))),
      ChangeExample("windows absolute", ChangeFixture.commit(.symlink("x", to: "C:\\Windows\\System32"))),
    ]
  }

  var negatives: [ChangeExample] {
    [
      ChangeExample("relative inside", ChangeFixture.commit(.symlink("docs/README.md", to: "../README.md"))),
      ChangeExample("sibling", ChangeFixture.commit(.symlink("lib/current", to: "v2"))),
      ChangeExample("down and up", ChangeFixture.commit(.symlink("a/b/link", to: "../c/./d"))),
    ]
  }
}
