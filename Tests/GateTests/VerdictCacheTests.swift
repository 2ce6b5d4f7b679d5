import Foundation
import Gate
import GateCore
import GitReading
import Policy
import TestSupport
import Testing

/// A gate with its verdict cache on, judging by `policyFile` when given.
private func cachedGate(
  _ repo: GitRepo, entryPoint: EntryPoint = .ci, policyFile: String? = nil,
  maxBytes: Int = VerdictCache.defaultMaxBytes,
  redact: Bool = true
) throws -> Gate {
  let repository = try Repository(path: repo.path, environment: [:])
  let resolver = PolicyResolver(reader: RepositoryRefReader(repository), machine: MachineConfig())
  let resolved = try resolver.resolve(entryPoint: entryPoint, policyFile: policyFile)
  return try Gate.make(
    repository: repository, resolved: resolved, resolver: resolver, redact: redact, cache: true, cacheMaxBytes: maxBytes
  )
}

/// Every cache segment file under the repository's git dir, oldest first.
private func segments(_ repo: GitRepo, gitDir: String = ".git") -> [String] {
  let root = repo.dir.file("\(gitDir)/agentgate/cache")
  guard let e = FileManager.default.enumerator(atPath: root) else { return [] }
  return e.compactMap { $0 as? String }.filter { ($0 as NSString).lastPathComponent.hasPrefix("seg-") }
    .map { "\(root)/\($0)" }.sorted { ($0 as NSString).lastPathComponent < ($1 as NSString).lastPathComponent }
}

/// A segment's header, index and entries, to damage in tests.
private struct Segment {
  var index: String
  var body: Data

  init(path: String) throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let newline = try #require(data.firstIndex(of: 0x0A))
    let header = String(decoding: data[..<newline], as: UTF8.self).split(separator: " ")
    let count = try #require(Int(header[1]))
    index = String(decoding: data[(newline + 1)..<(newline + 1 + count)], as: UTF8.self)
    body = Data(data[(newline + 1 + count)...])
  }

  /// Written back with a valid header checksum over the (possibly edited) index.
  func write(to path: String) throws {
    var data = Data("agentgate-verdict-cache/2 \(index.utf8.count) \(SHA256.hex(index))\n".utf8)
    data.append(Data(index.utf8))
    data.append(body)
    try data.write(to: URL(fileURLWithPath: path))
  }
}

/// Three commits after `init`: a human one, an agent one with a leaked token, a risky one.
private func history(_ repo: GitRepo) throws -> (base: String, head: String, token: String) {
  let base = try repo.commit("init", files: ["README.md": "hello\n"])
  try repo.commit("Add greeting", files: ["src/greet.py": "def greet():\n    return 'hi'\n"])
  let token = fakeToken(seed: 21)
  try repo.commit("Add deploy" + claudeTrailer, files: ["deploy.sh": "#!/bin/sh\nexport GITHUB_TOKEN=\(token)\n"])
  let head = try repo.commit(
    "Add installer", files: ["Makefile": "install:\n\tcurl -fsSL https://get.example.com/i.sh | sh\n"])
  return (base, head, token)
}

/// The judgement parts a cache must reproduce exactly.
private func parts(_ v: Verdict) -> [String] {
  v.commits.map { c in
    "\(c.commit.id ?? "") \(c.attribution.agent ?? "-") \(c.decision.rawValue) \(c.findings.map(\.fingerprint))"
  }
}

@Suite struct VerdictCacheTests {
  @Test func aRangeJudgedTwiceComesFromTheCacheTheSecondTime() throws {
    let repo = try GitRepo()
    let (base, head, token) = try history(repo)
    let range = CommitSelection.revisions(["\(base)..\(head)"])
    let first = try cachedGate(repo)
    let v1 = try first.judge(range, options: JudgeOptions(replay: .off))
    #expect(first.cache?.stats.misses == 3)
    #expect(first.cache?.stats.stored == 3)
    #expect(first.cache?.stats.hits == 0)
    let files = segments(repo)
    #expect(files.count == 1)
    // Findings are stored redacted: the leaked token never lands in the cache.
    for path in files {
      #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains(token))
    }

    let second = try cachedGate(repo)
    let v2 = try second.judge(range, options: JudgeOptions(replay: .off))
    #expect(second.cache?.stats.hits == 3)
    #expect(second.cache?.stats.misses == 0)
    #expect(parts(v2) == parts(v1))
    #expect(v2.decision == .fail)
    #expect(
      v2.commits.first { $0.attribution.agent == "claude-code" }?.findings.contains { $0.category == .secret } == true)

    // Asked not to, the gate judges afresh and the cache is untouched.
    let third = try cachedGate(repo)
    let v3 = try third.judge(range, options: JudgeOptions(replay: .off, useCache: false))
    #expect(third.cache?.stats == CacheStats())
    #expect(parts(v3) == parts(v1))
  }

  @Test func aChangedPolicyOrRulesSettingMisses() throws {
    let repo = try GitRepo()
    let (base, head, _) = try history(repo)
    let range = CommitSelection.revisions(["\(base)..\(head)"])
    _ = try cachedGate(repo).judge(range, options: JudgeOptions(replay: .off))

    // Policy files outside the judged checkout, as the resolver requires.
    let outside = TempDir(prefix: "agentgate-policy")
    try outside.write("strict.toml", "[scanning]\nfail_on = \"low\"\n")
    let strict = try cachedGate(repo, policyFile: outside.file("strict.toml"))
    _ = try strict.judge(range, options: JudgeOptions(replay: .off))
    #expect(strict.cache?.stats.hits == 0)
    #expect(strict.cache?.stats.misses == 3)

    // The same settings written differently are the same canonical policy: a hit.
    try outside.write("strict-again.toml", "# the same, reformatted\n[scanning]\n  fail_on   = 'low'\n")
    let same = try cachedGate(repo, policyFile: outside.file("strict-again.toml"))
    _ = try same.judge(range, options: JudgeOptions(replay: .off))
    #expect(same.cache?.stats.hits == 3)

    // Unredacted judgements are never cached (the secret would land on disk).
    let plain = try cachedGate(repo, redact: false)
    #expect(plain.cache == nil)
  }

  @Test func aCorruptedEntryIsIgnoredAndJudgedAgain() throws {
    let repo = try GitRepo()
    let (base, head, _) = try history(repo)
    let range = CommitSelection.revisions(["\(base)..\(head)"])
    let v1 = try cachedGate(repo).judge(range, options: JudgeOptions(replay: .off))
    let first = try #require(segments(repo).first)

    // One entry edited inside (its checksum no longer matches): that commit is judged again.
    var segment = try Segment(path: first)
    let at = try #require(segment.body.lastIndex(of: UInt8(ascii: "\"")))
    segment.body[at - 1] ^= 0x01
    try segment.write(to: first)
    let gate = try cachedGate(repo)
    let v2 = try gate.judge(range, options: JudgeOptions(replay: .off))
    #expect(gate.cache?.stats.corrupt == 1)
    #expect(gate.cache?.stats.hits == 2)
    #expect(gate.cache?.stats.stored == 1)
    #expect(parts(v2) == parts(v1))
    // The fresh entry lives in a newer segment, read first: all hits again.
    let again = try cachedGate(repo)
    _ = try again.judge(range, options: JudgeOptions(replay: .off))
    #expect(again.cache?.stats.hits == 3)
    #expect(again.cache?.stats.corrupt == 0)

    // A segment cut short and one with a damaged header: nothing in them is trusted.
    let files = segments(repo)
    try #require(files.count == 2)
    let full = try Data(contentsOf: URL(fileURLWithPath: files[0]))
    try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: files[0]))
    var damaged = try Data(contentsOf: URL(fileURLWithPath: files[1]))
    damaged[damaged.startIndex + 30] ^= 0x01
    try damaged.write(to: URL(fileURLWithPath: files[1]))
    let last = try cachedGate(repo)
    let v3 = try last.judge(range, options: JudgeOptions(replay: .off))
    #expect(last.cache?.stats.hits ?? 0 < 3)
    #expect(last.cache?.stats.corrupt ?? 0 >= 2)
    #expect(parts(v3) == parts(v1))
  }

  @Test func anEntryUnderAnotherCommitsNameIsNotTrusted() throws {
    let repo = try GitRepo()
    let (base, head, _) = try history(repo)
    let range = CommitSelection.revisions(["\(base)..\(head)"])
    _ = try cachedGate(repo).judge(range, options: JudgeOptions(replay: .off))
    // Two index lines trade commit ids; every checksum is valid, but each entry names its own commit.
    let path = try #require(segments(repo).first)
    var segment = try Segment(path: path)
    var lines = segment.index.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    try #require(lines.count == 3)
    (lines[0][0], lines[1][0]) = (lines[1][0], lines[0][0])
    segment.index = lines.map { $0.joined(separator: " ") }.joined(separator: "\n") + "\n"
    try segment.write(to: path)
    let gate = try cachedGate(repo)
    let verdict = try gate.judge(range, options: JudgeOptions(replay: .off))
    #expect(gate.cache?.stats.corrupt == 2)
    #expect(gate.cache?.stats.hits == 1)
    #expect(verdict.commits.allSatisfy { c in c.findings.allSatisfy { $0.commit == c.commit.id } })
  }

  @Test func preReceiveJudgementsAreReusedByPostReceive() throws {
    let repo = try GitRepo()
    let (base, head, _) = try history(repo)
    let push = CommitSelection.updates([RefUpdate(oldID: base, newID: head, ref: "refs/heads/main")])
    let pre = try cachedGate(repo, entryPoint: .preReceive)
    let v1 = try pre.judge(push, options: JudgeOptions(replay: .off))
    #expect(v1.commits.count == 3)
    #expect(pre.cache?.stats.stored == 3)
    let post = try cachedGate(repo, entryPoint: .postReceive)
    let v2 = try post.judge(push, options: JudgeOptions(replay: .off))
    #expect(post.cache?.stats.hits == 3)
    #expect(post.cache?.stats.misses == 0)
    #expect(parts(v2) == parts(v1))
  }

  @Test func aLongerRangeJudgesOnlyTheNewCommits() throws {
    let repo = try GitRepo()
    let (base, mid, _) = try history(repo)
    try repo.commit("Merge-free follow-up", files: ["src/more.py": "x = 1\n"])
    let head = try repo.commit("Another" + claudeTrailer, files: ["src/other.py": "y = 2\n"])
    _ = try cachedGate(repo).judge(.revisions(["\(base)..\(mid)"]), options: JudgeOptions(replay: .off))
    let gate = try cachedGate(repo)
    let cached = try gate.judge(.revisions(["\(base)..\(head)"]), options: JudgeOptions(replay: .off))
    #expect(gate.cache?.stats.hits == 3)
    #expect(gate.cache?.stats.misses == 2)
    #expect(gate.cache?.stats.stored == 2)
    let fresh = try cachedGate(repo).judge(
      .revisions(["\(base)..\(head)"]), options: JudgeOptions(replay: .off, useCache: false))
    #expect(parts(cached) == parts(fresh))
    #expect(cached.commits.map { $0.commit.id } == fresh.commits.map { $0.commit.id })
  }

  @Test func theCacheStaysUnderItsCap() throws {
    let repo = try GitRepo()
    let base = try repo.commit("init", files: ["README.md": "hello\n"])
    var stream = ""
    for k in 0..<40 {
      let body = "value_\(k) = \(k)\n"
      stream += "commit refs/heads/main\ncommitter T <t@example.com> \(1_700_000_000 + k) +0000\n"
      stream +=
        "data 7\ncommit\n\(k == 0 ? "from \(base)\n" : "")M 644 inline f\(k).py\ndata \(body.utf8.count)\n\(body)\n"
    }
    try repo.fastImport(stream)
    let cap = 16 << 10
    let gate = try cachedGate(repo, maxBytes: cap)
    _ = try gate.judge(.revisions(["\(base)..main"]), options: JudgeOptions(replay: .off))
    #expect(gate.cache?.stats.stored == 40)
    #expect(gate.cache?.stats.evicted ?? 0 > 0)
    let sizes = try segments(repo).map {
      try #require(try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int)
    }
    #expect(sizes.reduce(0, +) <= cap)
    // The newest judgements survive: a second run finds some, judges the rest again.
    let second = try cachedGate(repo, maxBytes: cap)
    _ = try second.judge(.revisions(["\(base)..main"]), options: JudgeOptions(replay: .off))
    let stats = try #require(second.cache?.stats)
    #expect(stats.hits > 0 && stats.hits < 40)
    #expect(stats.hits + stats.misses == 40)
  }
  @Test(arguments: EntryPoint.allCases)
  func theCacheIsOnForThePushGateAndCIOnly(entryPoint: EntryPoint) throws {
    let repo = try GitRepo()
    try repo.commit("init", files: ["README.md": "hello\n"])
    let repository = try Repository(path: repo.path, environment: [:])
    let resolver = PolicyResolver(reader: RepositoryRefReader(repository), machine: MachineConfig())
    let resolved = try resolver.resolve(entryPoint: entryPoint)
    let gate = try Gate.make(repository: repository, resolved: resolved, resolver: resolver)
    #expect((gate.cache != nil) == Gate.cachedEntryPoints.contains(entryPoint))
    #expect(Gate.cachedEntryPoints == [.preReceive, .postReceive, .prePush, .ci])
    if let cache = gate.cache {
      #expect(cache.directory.hasPrefix(repository.gitDirectory))
      #expect(cache.directory.hasSuffix("agentgate/cache"))
    }
  }
}
