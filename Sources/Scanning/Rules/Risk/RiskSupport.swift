// Shared pieces of the risk rules: path classification, the file-event change rule, finding
// construction, and builders for change-rule examples.
//
// Line rules run over a file's whole block of added lines in one regex pass, so their patterns use
// `(?m)` for `^`/`$`, `\h` (horizontal space) rather than `\s`, and negated classes that exclude
// `\n`, so a match never spans two lines.

import GateCore

/// Path facts the risk rules share. Paths are repository-relative with `/` separators.
enum RiskPath {
  static func components(_ path: String) -> [Substring] {
    path.split(separator: "/", omittingEmptySubsequences: true)
  }

  static func basename(_ path: String) -> String {
    var end = path.utf8.endIndex
    while end > path.utf8.startIndex, path.utf8[path.utf8.index(before: end)] == UInt8(ascii: "/") {
      end = path.utf8.index(before: end)
    }
    let trimmed = path.utf8[..<end]
    guard !trimmed.isEmpty else { return path }
    guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return String(Substring(trimmed)) }
    return String(Substring(trimmed[trimmed.index(after: slash)...]))
  }

  static func directory(_ path: String) -> [Substring] {
    Array(components(path).dropLast())
  }

  /// The lower-cased extension of the last component ("" when none).
  static func ext(_ path: String) -> String {
    let name = basename(path)
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
    return name[name.index(after: dot)...].lowercased()
  }

  /// True when `path` starts with the directory components of `prefix` (e.g. ".github/workflows").
  static func isUnder(_ path: String, _ prefix: String) -> Bool {
    // Git paths are normalized (no leading `/`, no empty or `.` components), so a byte prefix
    // followed by `/` and more is the same as a component prefix, without splitting either.
    var p = prefix.utf8[...]
    while p.last == UInt8(ascii: "/") { p = p.dropLast() }
    while p.first == UInt8(ascii: "/") { p = p.dropFirst() }
    let path = path.utf8
    guard !p.isEmpty, path.count > p.count + 1, path.starts(with: p) else {
      return p.isEmpty ? !path.isEmpty : false
    }
    let at = path.index(path.startIndex, offsetBy: p.count)
    return path[at] == UInt8(ascii: "/") && path.index(after: at) < path.endIndex
  }

  /// Documentation and prose files, where shell snippets are instructions rather than code.
  static let docsPathPattern = #"(?i)\.(?:md|markdown|mdx|rst|txt|adoc|asciidoc|org)$"#

  /// GitHub/Gitea/Forgejo workflow files and composite action definitions (PCRE2 over the path).
  static let workflowPathPattern =
    #"^\.(?:github|gitea|forgejo)/workflows/[^/]+\.ya?ml$|(?:^|/)action\.ya?ml$"#

  /// Files that configure AI coding agents (PCRE2 over the path).
  static let agentInstructionPathPattern =
    #"(?i)(?:^|/)(?:AGENTS|CLAUDE|GEMINI|CONVENTIONS)\.md$|(?:^|/)\.(?:cursorrules|windsurfrules|clinerules)$|(?:^|/)\.cursor/rules/|(?:^|/)\.github/(?:copilot-instructions\.md$|instructions/)"#

  static let sourceExtensions: Set<String> = [
    "swift", "py", "js", "ts", "jsx", "tsx", "mjs", "cjs", "go", "rs", "java", "kt", "kts", "rb", "cs", "php",
    "c", "cc", "cpp", "cxx", "h", "m", "mm", "scala", "ex", "exs", "sh", "bash", "bats", "dart", "lua", "pl",
    "clj", "hs", "ml", "fs", "vue", "svelte",
  ]

  /// Directories that hold data for tests rather than tests.
  static let testDataDirectories: Set<String> = [
    "fixtures", "__fixtures__", "testdata", "__snapshots__", "snapshots", "resources", "__mocks__", "mocks",
  ]

  /// A test source file: a source extension, and a test directory or a test file name.
  static func isTestSource(_ path: String) -> Bool {
    let ext = ext(path)
    guard sourceExtensions.contains(ext) else { return false }
    let dirs = directory(path).map { $0.lowercased() }
    if dirs.contains(where: { testDataDirectories.contains($0) }) { return false }
    let name = basename(path)
    let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
    let lowerStem = stem.lowercased()
    if lowerStem.hasPrefix("test_") || lowerStem.hasSuffix("_test") || lowerStem.hasSuffix("_spec")
      || lowerStem.hasSuffix(".test") || lowerStem.hasSuffix(".spec") || stem.hasSuffix("Tests")
      || stem.hasSuffix("Test") || stem.hasSuffix("Spec")
    {
      return true
    }
    let original = directory(path)
    return dirs.contains { ["test", "tests", "__tests__", "spec", "specs", "e2e"].contains($0) }
      || original.contains { $0.hasSuffix("Tests") || $0.hasSuffix("UITests") }
  }

  /// Case-insensitive search for any of `needles` (lower-case ASCII bytes) in one pass over `bytes`:
  /// a byte that starts no needle costs one table lookup.
  static func containsAnyASCII(_ bytes: [UInt8], _ needles: [[UInt8]]) -> Bool {
    var starts = [UInt8](repeating: 0, count: 256)
    for n in needles where !n.isEmpty {
      let f = Int(n[0])
      starts[f] = 1
      if f >= 0x61 && f <= 0x7A { starts[f - 0x20] = 1 }
    }
    if needles.contains(where: \.isEmpty) { return true }
    return bytes.withUnsafeBufferPointer { buf in
      starts.withUnsafeBufferPointer { table in
        let count = buf.count
        var i = 0
        while i < count {
          if table[Int(buf[i])] != 0 {
            for n in needles where i + n.count <= count && matchesLowercase(buf, at: i, n, from: 0) {
              return true
            }
          }
          i += 1
        }
        return false
      }
    }
  }

  /// Whether `buf[at...]` starts with `n` (lower-case ASCII), ASCII case-insensitively, from `n[from]` on;
  /// the caller has checked that `n.count` bytes remain.
  @inline(__always) static func matchesLowercase(
    _ buf: UnsafeBufferPointer<UInt8>, at i: Int, _ n: [UInt8], from start: Int
  ) -> Bool {
    var j = start
    while j < n.count {
      var c = buf[i + j]
      if c >= 0x41 && c <= 0x5A { c |= 0x20 }
      if c != n[j] { return false }
      j += 1
    }
    return true
  }

  /// Case-insensitive search for an ASCII `needle` in `bytes`.
  static func containsASCII(_ bytes: [UInt8], _ needle: String) -> Bool {
    containsASCII(bytes, Array(needle.lowercased().utf8))
  }

  /// Case-insensitive search for `n` (lower-case ASCII bytes) in `bytes`.
  static func containsASCII(_ bytes: [UInt8], _ n: [UInt8]) -> Bool {
    guard !n.isEmpty, bytes.count >= n.count else { return n.isEmpty }
    let first = n[0]
    return bytes.withUnsafeBufferPointer { buf in
      var i = 0
      let last = buf.count - n.count
      while i <= last {
        let b = buf[i]
        if (b == first || (b >= 0x41 && b <= 0x5A && b | 0x20 == first)) && matchesLowercase(buf, at: i, n, from: 1) {
          return true
        }
        i += 1
      }
      return false
    }
  }
}

/// Builds a risk finding for a change rule: fingerprinted by rule and `key` (a path, or a path and
/// a detail), never by position, so baselines survive unrelated edits.
func riskFinding(
  rule: String, severity: Severity, change: CommitChange, path: String, line: Int? = nil, key: String? = nil,
  match: String, message: String
) -> Finding {
  Finding(
    rule: rule, category: .risk, severity: severity, commit: change.commit.id, path: path, line: line,
    column: line == nil ? nil : 1, fingerprint: secretFingerprint(rule: rule, secret: key ?? path), match: match,
    message: message)
}

/// A set of change statuses as bits: a lookup per file event without hashing.
struct StatusSet: Sendable {
  private let bits: UInt8

  init(_ statuses: Set<ChangeStatus>) {
    bits = statuses.reduce(0) { $0 | StatusSet.bit($1) }
  }

  private static func bit(_ status: ChangeStatus) -> UInt8 {
    switch status {
    case .added: 1
    case .deleted: 2
    case .modified: 4
    case .renamed: 8
    case .typeChanged: 16
    }
  }

  @inline(__always) func contains(_ status: ChangeStatus) -> Bool { bits & StatusSet.bit(status) != 0 }
}

/// A change rule over single file events: a finding for every file whose status is one of
/// `statuses` and whose path (or previous path, for renames) satisfies `matches`.
struct FileEventRule: ChangeRule {
  let id: String
  let description: String
  let severity: Severity
  let message: String
  let statuses: StatusSet
  let matches: @Sendable (String) -> Bool
  /// A byte test implied by `matches` (see `PathGate`): `matches` runs only on paths that pass it.
  let mayMatch: @Sendable (String) -> Bool
  let positives: [ChangeExample]
  let negatives: [ChangeExample]

  init(
    id: String, description: String, severity: Severity, message: String,
    statuses: Set<ChangeStatus> = [.added, .modified, .renamed, .typeChanged, .deleted],
    matches: @escaping @Sendable (String) -> Bool, mayMatch: @escaping @Sendable (String) -> Bool = { _ in true },
    positives: [ChangeExample], negatives: [ChangeExample]
  ) {
    self.id = id
    self.description = description
    self.severity = severity
    self.message = message
    self.statuses = StatusSet(statuses)
    self.matches = matches
    self.mayMatch = mayMatch
    self.positives = positives
    self.negatives = negatives
  }

  @inline(__always) func accepts(_ path: String) -> Bool { mayMatch(path) && matches(path) }

  func evaluate(_ change: CommitChange) -> [Finding] {
    // By index, reading only the fields needed: most files fail the gate, and a copy of each
    // file event would retain and release all its strings.
    var findings: [Finding] = []
    let files = change.files
    for i in files.indices where statuses.contains(files[i].status) {
      let path = files[i].path
      guard accepts(path) || (files[i].oldPath.map(accepts) ?? false) else { continue }
      findings.append(
        riskFinding(
          rule: id, severity: severity, change: change, path: path,
          match: "\(files[i].status.rawValue) \(path)", message: message))
    }
    return findings
  }
}

/// Synthetic commits for change-rule examples.
enum ChangeFixture {
  static let record = CommitRecord(
    id: "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed", parents: ["0000000000000000000000000000000000000000"],
    author: Signature(name: "Example Agent", email: "agent@example.invalid"),
    committer: Signature(name: "Example Agent", email: "agent@example.invalid"), message: "example change")

  static func commit(_ files: FileDiff...) -> CommitChange {
    CommitChange(commit: record, files: files)
  }

  static func numbered(_ lines: [String]) -> [(number: Int, text: String)] {
    lines.enumerated().map { (number: $0.offset + 1, text: $0.element) }
  }
}

/// Builders for the file events of change-rule examples (`ChangeFixture.commit(.added(...))`).
extension FileDiff {

  static func added(_ path: String, _ lines: [String] = [], mode: FileMode = .regular) -> FileDiff {
    FileDiff(path: path, status: .added, added: ChangeFixture.numbered(lines), newMode: mode)
  }

  static func modified(_ path: String, added: [String] = [], removed: [String] = []) -> FileDiff {
    var file = FileDiff(
      path: path, status: .modified, added: ChangeFixture.numbered(added), removed: ChangeFixture.numbered(removed))
    file.oldMode = .regular
    return file
  }

  static func deleted(_ path: String, _ lines: [String] = []) -> FileDiff {
    FileDiff(
      path: path, status: .deleted, oldMode: .regular, newMode: nil,
      changes: LazyLineChanges(LineChanges(removed: LineBlock(lines: ChangeFixture.numbered(lines)))))
  }

  static func renamed(from old: String, to new: String) -> FileDiff {
    FileDiff(path: new, oldPath: old, status: .renamed, oldMode: .regular, newMode: .regular)
  }

  static func symlink(_ path: String, to target: String) -> FileDiff {
    FileDiff(path: path, status: .added, newMode: .symlink, symlinkTarget: target)
  }

  static func binary(_ path: String, mode: FileMode, size: Int = 40_000, status: ChangeStatus = .added) -> FileDiff {
    FileDiff(
      path: path, status: status, oldMode: status == .added ? nil : .regular, newMode: mode, isBinary: true,
      newSize: size, skipped: .binary)
  }
}
