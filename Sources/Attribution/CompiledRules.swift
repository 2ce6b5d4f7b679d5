// The rules turned into lookup tables once, at detector construction: lowercase email and numeric-id
// dictionaries, trailer keys, footer prefixes bucketed by first byte, environment names and
// executable names. Per commit the detector then does byte scans and dictionary lookups only.

import GateCore

struct Hit: Sendable {
  var agent: String
  var confidence: Confidence
}

struct IdentityHit: Sendable {
  var agent: String
  var confidence: Confidence
  var committerConfidence: Confidence
  /// For GitHub ids shared by several bots: the login that must match (lowercase).
  var login: String?
}

enum KeyHandler: Sendable {
  /// `Co-authored-by`, `Co-developed-by`, `Signed-off-by`: the identity decides.
  case coauthor
  /// `Assisted-by`, `Generated-by`, `Co-authored-by-AI`: a disclosure; any tool counts
  /// (`unknown-agent` when unnamed). `knownOnly`: only tools that name a known agent (`Made-with`).
  case disclosure(knownOnly: Bool)
  /// A vendor trailer.
  case vendor(agent: String, value: ValueMatch, confidence: Confidence)
  /// A platform operation of `agent` (drops its message evidence).
  case platform(agent: String, value: ValueMatch)
}

struct PrefixEntry: Sendable {
  var bytes: [UInt8]  // lowercase
  var hit: Hit
}

struct EnvEntry: Sendable {
  var agent: String
  var match: EnvMatcher.Match
  var confidence: Confidence
}

struct CompiledRules: Sendable {
  var ruleIDs: [String]
  var emails: [String: [IdentityHit]] = [:]
  var githubIDs: [Int: [IdentityHit]] = [:]
  var nameSuffixes: [(bytes: [UInt8], hit: IdentityHit)] = []
  var keys: [String: [KeyHandler]] = [:]
  var keyLengths: ClosedRange<Int> = 1...1
  var footers: [[PrefixEntry]] = Array(repeating: [], count: 256)
  var subjectPrefixes: [PrefixEntry] = []
  var mergedBranches: [PrefixEntry] = []
  var env: [String: [EnvEntry]] = [:]
  var envPrefixes: [(prefix: String, entry: EnvEntry)] = []
  var processes: [String: [Hit]] = [:]
  /// Tool names as bytes, bucketed by first byte (longest first within a bucket), for prefix
  /// matching of disclosure values.
  var namesByFirstByte: [[(bytes: [UInt8], agent: String)]] = Array(repeating: [], count: 256)
  var exactNames: [String: String] = [:]

  static let githubNoreply = "@users.noreply.github.com"

  init(_ rules: [AgentRule]) {
    ruleIDs = rules.map(\.id)
    var names: [(name: String, agent: String)] = []
    for key in ["co-authored-by", "co-developed-by", "signed-off-by"] { keys[key, default: []].append(.coauthor) }
    for key in ["assisted-by", "generated-by", "co-authored-by-ai", "ai-assisted-by", "ai-generated-by"] {
      keys[key, default: []].append(.disclosure(knownOnly: false))
    }
    keys["made-with", default: []].append(.disclosure(knownOnly: true))
    for rule in rules {
      for identity in rule.identities {
        let hit = IdentityHit(
          agent: rule.id, confidence: identity.confidence,
          committerConfidence: identity.committerConfidence ?? identity.confidence, login: nil)
        switch identity.kind {
        case .email(let address): emails[address.lowercased(), default: []].append(hit)
        case .githubID(let id, let login):
          var h = hit
          h.login = login?.lowercased()
          githubIDs[id, default: []].append(h)
        case .nameSuffix(let suffix): nameSuffixes.append((Array(suffix.lowercased().utf8), hit))
        }
      }
      for t in rule.trailers {
        keys[t.key.lowercased(), default: []].append(.vendor(agent: rule.id, value: t.value, confidence: t.confidence))
      }
      for t in rule.platformOperations {
        keys[t.key.lowercased(), default: []].append(.platform(agent: rule.id, value: t.value))
      }
      for f in rule.footers {
        let bytes = Array(f.prefix.lowercased().utf8)
        footers[Int(bytes[0])].append(PrefixEntry(bytes: bytes, hit: Hit(agent: rule.id, confidence: f.confidence)))
      }
      for s in rule.subjects {
        switch s.kind {
        case .prefix(let p):
          subjectPrefixes.append(
            PrefixEntry(bytes: Array(p.lowercased().utf8), hit: Hit(agent: rule.id, confidence: s.confidence)))
        case .mergedBranch(let p):
          mergedBranches.append(
            PrefixEntry(bytes: Array(p.lowercased().utf8), hit: Hit(agent: rule.id, confidence: s.confidence)))
        }
      }
      for e in rule.env {
        let entry = EnvEntry(agent: rule.id, match: e.match, confidence: e.confidence)
        if case .namePrefix = e.match {
          envPrefixes.append((e.name, entry))
        } else {
          env[e.name, default: []].append(entry)
        }
      }
      for p in rule.processes {
        processes[p.name.lowercased(), default: []].append(Hit(agent: rule.id, confidence: p.confidence))
      }
      for n in rule.names {
        let name = n.lowercased()
        names.append((name, rule.id))
        if exactNames[name] == nil { exactNames[name] = rule.id }
      }
    }
    names.sort { $0.name.utf8.count > $1.name.utf8.count }
    for (name, agent) in names {
      let bytes = Array(name.utf8)
      if let first = bytes.first { namesByFirstByte[Int(first)].append((bytes, agent)) }
    }
    let lengths = keys.keys.map(\.utf8.count)
    keyLengths = (lengths.min() ?? 1)...(lengths.max() ?? 1)
  }

  // MARK: Identities

  /// Agents an email address (and display name) belongs to.
  func identityHits(name: String, email: String) -> [IdentityHit] {
    var result: [IdentityHit] = []
    if !email.isEmpty {
      let lower = asciiLowercased(email)
      if let hits = emails[lower] { result += hits }
      if lower.hasSuffix(Self.githubNoreply), let plus = lower.utf8.firstIndex(of: UInt8(ascii: "+")) {
        let digits = lower.utf8[lower.utf8.startIndex..<plus]
        if let id = Int(Substring(digits)), let hits = githubIDs[id] {
          let atIndex = lower.utf8.lastIndex(of: UInt8(ascii: "@"))!
          let login = String(Substring(lower.utf8[lower.utf8.index(after: plus)..<atIndex]))
          result += hits.filter { $0.login == nil || $0.login == login }
        }
      }
    }
    if !nameSuffixes.isEmpty, !name.isEmpty {
      var name = name
      name.withUTF8 { bytes in
        for (suffix, hit) in nameSuffixes where bytes.count >= suffix.count {
          if hasPrefixCI(bytes, at: bytes.count - suffix.count, end: bytes.count, suffix) { result.append(hit) }
        }
      }
    }
    return result
  }

  // MARK: Tool names

  /// The agent a tool name (from a disclosure trailer, `AI_AGENT`, or a git-ai note) names, or nil.
  /// Accepts `Claude Code:claude-opus-4.6`, `Copilot (GPT-5.4)`, `crush@1.2`, `GPT-5 via Crush`.
  private static let via: [UInt8] = Array(" via ".utf8)

  func agent(namedBy text: String) -> String? {
    var tool = Array(text.utf8)
    for i in tool.indices { tool[i] = lowerASCII(tool[i]) }
    // `Claude Sonnet 4 via Crush`: the tool is what comes after " via ".
    let via = CompiledRules.via
    if tool.count > via.count,
      let at = (0...(tool.count - via.count)).first(where: { i in tool[i..<(i + via.count)].elementsEqual(via) })
    {
      tool.removeSubrange(0..<(at + via.count))
    }
    var lo = 0
    var hi = tool.count
    while lo < hi, isSpace(tool[lo]) { lo += 1 }
    while hi > lo, isSpace(tool[hi - 1]) { hi -= 1 }
    guard lo < hi else { return nil }
    let trimmed = tool[lo..<hi]
    if let exact = exactNames[String(decoding: trimmed, as: UTF8.self)] { return exact }
    for (name, agent) in namesByFirstByte[Int(trimmed[lo])] where trimmed.count >= name.count {
      guard trimmed.prefix(name.count).elementsEqual(name) else { continue }
      guard trimmed.count > name.count else { return agent }
      // The name must end at a word boundary: "claude opus", "crush:model", "codex@1", not "claudette".
      let next = trimmed[lo + name.count]
      if next == 0x20 || next == 0x3A || next == 0x28 || next == 0x2F || next == 0x40 || next == 0x5B || next == 0x2C {
        return agent
      }
    }
    return nil
  }
}

@inline(__always) private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

// MARK: Byte helpers

@inline(__always) func lowerASCII(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

/// True when `bytes[at..<end]` starts with `prefix` (already lowercase), ASCII case-insensitively.
@inline(__always) func hasPrefixCI<C: RandomAccessCollection>(_ bytes: C, at: Int, end: Int, _ prefix: [UInt8]) -> Bool
where C.Element == UInt8, C.Index == Int {
  guard end - at >= prefix.count else { return false }
  var i = at
  for p in prefix {
    if lowerASCII(bytes[i]) != p { return false }
    i += 1
  }
  return true
}

func asciiLowercased(_ s: String) -> String {
  var needs = false
  for b in s.utf8 where b >= 0x41 && b <= 0x5A {
    needs = true
    break
  }
  // Agent names, keys and addresses are matched in ASCII: only ASCII capitals need lowering.
  return needs ? String(decoding: s.utf8.map(lowerASCII), as: UTF8.self) : s
}

extension String {
  var trimmingSpaces: String {
    let u = utf8
    var start = u.startIndex
    var end = u.endIndex
    while start < end, u[start] == 0x20 || u[start] == 0x09 || u[start] == 0x0D || u[start] == 0x0A {
      start = u.index(after: start)
    }
    while end > start {
      let prev = u.index(before: end)
      let b = u[prev]
      if b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A { end = prev } else { break }
    }
    return String(Substring(u[start..<end]))
  }
}

/// Glob match (`*`, `?`), ASCII case-insensitive.
func globMatches(_ pattern: String, _ text: String) -> Bool {
  let p = Array(asciiLowercased(pattern).utf8)
  let t = Array(asciiLowercased(text).utf8)
  var pi = 0
  var ti = 0
  var star = -1
  var mark = 0
  while ti < t.count {
    if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
      pi += 1
      ti += 1
    } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
      star = pi
      mark = ti
      pi += 1
    } else if star >= 0 {
      pi = star + 1
      mark += 1
      ti = mark
    } else {
      return false
    }
  }
  while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
  return pi == p.count
}
