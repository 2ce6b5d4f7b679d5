// One pass over a commit message's UTF-8 bytes that finds the lines that may carry markers.
//
// Why the detector parses the message itself instead of reading `CommitRecord.trailers`: it must know
// what surrounds each line (code fences, quotes, indentation, the commit-msg scissors line and
// comments), accept the variants agents and people write (`Co-Authored-By：` with a fullwidth colon,
// CRLF, one to three leading spaces), and run the same way on finished commits and on a message
// being written.
//
// - Subject: the first real line; checked for subject prefixes and merged-branch names only.
// - Trailer: a `Key: value` line in the final paragraph when that paragraph is a trailer block (all
//   its lines are trailer-shaped, or a quarter of them with at least one known key), as
//   `git interpret-trailers` reads it.
// - Body: a trailer-shaped line anywhere else (squash merges carry sub-commit trailers there); its
//   evidence is one confidence step lower.
// - Footer: a known agent line (`🤖 Generated with [Claude Code](…)`) at the start of a line.
// - Never: lines inside ``` or ~~~ fences, lines indented four or more columns, `>` quotes, prose.

import Foundation
import GateCore

struct ScanResult {
  var evidence: [Evidence] = []
  /// Agents whose platform-operation trailer was present.
  var vetoed: [String] = []
}

/// A line of interest found by the byte pass (offsets into the message's UTF-8).
private struct Candidate {
  var paragraph: Int
  var start: Int
  var end: Int
  var keyStart: Int
  var keyEnd: Int
  var valueStart: Int
  var key: String
}

private struct PlainLine {
  var paragraph: Int
  var start: Int
  var end: Int
  var isSubject: Bool
  var shaped: Bool
}

extension AttributionDetector {
  /// Scans `message`. `messageFile`: the text git hands commit-msg (skip `#` comments, stop at the
  /// scissors line).
  func scanMessage(_ message: String, messageFile: Bool, into result: inout ScanResult) {
    let done: Void? = message.utf8.withContiguousStorageIfAvailable { buf in
      scan(buf, messageFile: messageFile, into: &result)
    }
    if done == nil {
      let bytes = Array(message.utf8)
      bytes.withUnsafeBufferPointer { scan($0, messageFile: messageFile, into: &result) }
    }
  }

  private func scan(_ buf: UnsafeBufferPointer<UInt8>, messageFile: Bool, into result: inout ScanResult) {
    let n = buf.count
    let rules = compiled
    var candidates: [Candidate] = []
    var plain: [PlainLine] = []
    let wantLines = !extras.isEmpty
    var paragraph = -1
    var inParagraph = false
    var seenSubject = false
    var inFence = false
    var nonContinuation = 0
    var shaped = 0
    var known = 0
    var lineStart = 0

    lines: while lineStart <= n {
      var lineEnd = lineStart
      while lineEnd < n, buf[lineEnd] != 0x0A { lineEnd += 1 }
      let next = lineEnd + 1
      var end = lineEnd
      if end > lineStart, buf[end - 1] == 0x0D { end -= 1 }
      let start = lineStart
      lineStart = next
      if messageFile, end > start, buf[start] == 0x23 {  // '#'
        if hasPrefixCI(buf, at: start, end: end, Self.scissors) { break lines }
        continue lines
      }
      // Indentation in columns (tab = 4).
      var f = start
      var columns = 0
      while f < end, buf[f] == 0x20 || buf[f] == 0x09 {
        columns += buf[f] == 0x09 ? 4 : 1
        f += 1
      }
      if f == end {
        inParagraph = false
        continue lines
      }
      if !inParagraph {
        paragraph += 1
        inParagraph = true
        nonContinuation = 0
        shaped = 0
        known = 0
      }
      if !seenSubject {
        seenSubject = true
        nonContinuation += 1
        checkSubject(buf, start: f, end: end, into: &result)
        if wantLines {
          plain.append(PlainLine(paragraph: paragraph, start: f, end: end, isSubject: true, shaped: false))
        }
        continue lines
      }
      if columns <= 3, end - f >= 3,
        (buf[f] == 0x60 && buf[f + 1] == 0x60 && buf[f + 2] == 0x60)
          || (buf[f] == 0x7E && buf[f + 1] == 0x7E && buf[f + 2] == 0x7E)
      {
        inFence.toggle()
        nonContinuation += 1
        continue lines
      }
      if inFence {
        nonContinuation += 1
        continue lines
      }
      if columns >= 4 { continue lines }  // continuation line or indented code: never a trailer
      nonContinuation += 1
      if buf[f] == 0x3E { continue lines }  // '>' quote
      var isShaped = false
      if let shape = trailerShape(buf, at: f, end: end) {
        isShaped = true
        shaped += 1
        let length = shape.keyEnd - f
        if rules.keyLengths.contains(length) {
          var keyBytes = [UInt8](repeating: 0, count: length)
          for i in 0..<length { keyBytes[i] = lowerASCII(buf[f + i]) }
          let key = String(decoding: keyBytes, as: UTF8.self)
          if rules.keys[key] != nil {
            known += 1
            candidates.append(
              Candidate(
                paragraph: paragraph, start: f, end: end, keyStart: f, keyEnd: shape.keyEnd,
                valueStart: shape.valueStart, key: key))
          }
        }
      } else {
        checkFooter(buf, start: f, end: end, into: &result)
      }
      if wantLines {
        plain.append(PlainLine(paragraph: paragraph, start: f, end: end, isSubject: false, shaped: isShaped))
      }
    }

    let lastParagraph = paragraph
    let isBlock =
      lastParagraph > 0 && shaped > 0
      && (shaped == nonContinuation || (known > 0 && shaped * 4 >= nonContinuation))
    for c in candidates {
      let source: EvidenceSource = (isBlock && c.paragraph == lastParagraph) ? .trailer : .body
      let line = text(buf, c.start, c.end)
      let value = text(buf, c.valueStart, c.end).trimmingSpaces
      handleTrailer(key: c.key, value: value, line: line, source: source, into: &result)
    }
    for line in plain {
      let source: EvidenceSource =
        line.isSubject ? .subject : (isBlock && line.paragraph == lastParagraph && line.shaped ? .trailer : .body)
      let lineText = text(buf, line.start, line.end)
      for extra in extras where extra.matches(lineText) {
        result.evidence.append(
          Evidence(source: source, marker: clip(lineText), agent: extra.agent, confidence: extra.confidence))
      }
    }
  }

  static let scissors = Array("# ------------------------ >8 ------------------------".utf8)

  /// `Key: value` with a token key (letters, digits, `-`, `_`; starting with a letter), optional
  /// blanks before the separator, and `:` (not followed by `/`, as in a URL) or a fullwidth `：`.
  private func trailerShape(_ buf: UnsafeBufferPointer<UInt8>, at f: Int, end: Int) -> (keyEnd: Int, valueStart: Int)? {
    let first = lowerASCII(buf[f])
    guard first >= 0x61 && first <= 0x7A else { return nil }
    var i = f + 1
    while i < end, i - f < 64 {
      let b = buf[i]
      if (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F {
        i += 1
      } else {
        break
      }
    }
    let keyEnd = i
    while i < end, buf[i] == 0x20 || buf[i] == 0x09 { i += 1 }
    var valueStart: Int
    if i < end, buf[i] == 0x3A {
      valueStart = i + 1
      if valueStart < end, buf[valueStart] == 0x2F { return nil }  // `https://…` is a URL, not a trailer
    } else if i + 2 < end, buf[i] == 0xEF, buf[i + 1] == 0xBC, buf[i + 2] == 0x9A {
      valueStart = i + 3
    } else {
      return nil
    }
    while valueStart < end, buf[valueStart] == 0x20 || buf[valueStart] == 0x09 { valueStart += 1 }
    return (keyEnd, valueStart)
  }

  private func checkFooter(_ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int, into result: inout ScanResult) {
    var f = start
    // Leading emoji (any non-ASCII) and blanks: `🤖 Generated with…`, `💘 Generated with Crush`.
    while f < end, buf[f] >= 0x80 || buf[f] == 0x20 { f += 1 }
    guard f < end else { return }
    let bucket = compiled.footers[Int(lowerASCII(buf[f]))]
    guard !bucket.isEmpty else { return }
    for entry in bucket where hasPrefixCI(buf, at: f, end: end, entry.bytes) {
      result.evidence.append(
        Evidence(
          source: .footer, marker: clip(text(buf, start, end)), agent: entry.hit.agent,
          confidence: entry.hit.confidence))
    }
  }

  private func checkSubject(_ buf: UnsafeBufferPointer<UInt8>, start: Int, end: Int, into result: inout ScanResult) {
    for entry in compiled.subjectPrefixes where hasPrefixCI(buf, at: start, end: end, entry.bytes) {
      result.evidence.append(
        Evidence(
          source: .subject, marker: clip(text(buf, start, end)), agent: entry.hit.agent,
          confidence: entry.hit.confidence))
    }
    guard !compiled.mergedBranches.isEmpty, hasPrefixCI(buf, at: start, end: end, Self.mergePrefix) else { return }
    let subject = text(buf, start, end)
    guard let branch = mergedBranch(subject) else { return }
    let bytes = Array(asciiLowercased(branch).utf8)
    for entry in compiled.mergedBranches where hasPrefixCI(bytes, at: 0, end: bytes.count, entry.bytes) {
      result.evidence.append(
        Evidence(source: .subject, marker: clip(subject), agent: entry.hit.agent, confidence: entry.hit.confidence))
    }
  }

  static let mergePrefix = Array("merge ".utf8)

  /// The branch of `Merge pull request #6 from owner/branch` or `Merge branch 'branch'`.
  private func mergedBranch(_ subject: String) -> String? {
    if subject.lowercased().hasPrefix("merge pull request #"), let from = subject.firstRange(of: " from ") {
      let ref = subject[from.upperBound...].split(separator: " ", maxSplits: 1).first ?? ""
      guard let slash = ref.firstIndex(of: "/") else { return nil }
      return String(ref[ref.index(after: slash)...])
    }
    if subject.lowercased().hasPrefix("merge branch '") {
      let rest = subject.dropFirst("merge branch '".count)
      guard let quote = rest.firstIndex(of: "'") else { return nil }
      return String(rest[..<quote])
    }
    return nil
  }

  private func handleTrailer(
    key: String, value: String, line: String, source: EvidenceSource, into result: inout ScanResult
  ) {
    guard let handlers = compiled.keys[key] else { return }
    let marker = clip(line)
    func add(_ agent: String, _ confidence: Confidence) {
      let c = source == .body ? confidence.lowered : confidence
      result.evidence.append(Evidence(source: source, marker: marker, agent: agent, confidence: c))
    }
    for handler in handlers {
      switch handler {
      case .coauthor:
        let (name, email) = splitIdentity(value)
        if let email {
          for hit in compiled.identityHits(name: name, email: email) { add(hit.agent, hit.confidence) }
        } else if let agent = compiled.exactNames[asciiLowercased(name)] {
          add(agent, .medium)  // `Co-authored-by: Claude` with no address: a real trailer, but thin
        }
      case .disclosure(let knownOnly):
        let (name, email) = splitIdentity(value)
        let hits = email.map { compiled.identityHits(name: name, email: $0) } ?? []
        if !hits.isEmpty {
          for hit in hits { add(hit.agent, hit.confidence) }
        } else if let agent = compiled.agent(namedBy: name) {
          add(agent, .high)
        } else if email == nil, !knownOnly, !name.isEmpty {
          if let addresses = humanCredit(name) {
            // People credited by name or address; an address may still be an agent's.
            for address in addresses {
              for hit in compiled.identityHits(name: "", email: address) { add(hit.agent, hit.confidence) }
            }
          } else {
            add(unknownAgentID, .high)
          }
        }
      case .vendor(let agent, let match, let confidence):
        if valueMatches(match, value) { add(agent, confidence) }
      case .platform(let agent, let match):
        if valueMatches(match, value) { result.vetoed.append(agent) }
      }
    }
  }

  private func text(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: buf[start..<end]), as: UTF8.self)
  }
}

/// Words that make a disclosure value a tool even when it is shaped like a name (`Generic AI`).
private let toolWords: [[UInt8]] = [
  "ai", "llm", "gpt", "chatbot", "bot", "model", "assistant", "agent", "copilot", "chatgpt", "tool", "tools",
].map { Array($0.utf8) }

/// Where people are named by handle: `Assisted-by: octocat on github`.
private let handleSites: [[UInt8]] = [
  "github", "gitlab", "twitter", "irc", "hackerone", "bitbucket", "mastodon", "the mailing list",
].map { Array(" on \($0)".utf8) }

/// Whether a disclosure value without an `<address>` credits people rather than a tool; returns
/// the bare addresses it names (an address may still be an agent's), or nil for a tool. Projects
/// such as curl credit human helpers with `Assisted-by: First Last`, lists (`A, B and C`), bare
/// addresses and `handle on github`; a tool reads `ChatGPTv5`, `generic LLM chatbot`,
/// `Claude Code:model` or `SomeBot (model-x)`.
func humanCredit(_ value: String) -> [String]? {
  var text = Array(value.unicodeScalars)
  // `Tal Regev via #16045`: the pull request that carried the help.
  if let via = lastRange(of: Array(" via #".unicodeScalars), in: text),
    via.upperBound < text.count, text[via.upperBound...].allSatisfy({ $0.value >= 0x30 && $0.value <= 0x39 })
  {
    text.removeSubrange(via.lowerBound...)
  }
  var onSite = false
  for site in handleSites where text.count > site.count {
    let tail = text.suffix(site.count)
    if zip(tail, site).allSatisfy({ $0.value < 0x80 && lowerASCII(UInt8($0.value)) == $1 }) {
      text.removeLast(site.count)
      onSite = true
      break
    }
  }
  var addresses: [String] = []
  for part in splitCredits(text) {
    if part.isEmpty { continue }
    let hasSpace = part.contains(" ")
    if !hasSpace, let at = part.firstIndex(of: "@"), part[at...].contains(".") {
      addresses.append(String(String.UnicodeScalarView(part)))
    } else if onSite, !hasSpace, part.allSatisfy({ isASCIIAlphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }) {
      continue
    } else if !looksLikePersonName(part) {
      return nil
    }
  }
  return addresses
}

/// Splits a credit list on `,`, `;`, ` and `, ` & ` and trims each part.
private func splitCredits(_ text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
  var parts: [ArraySlice<Unicode.Scalar>] = []
  var start = 0
  var i = 0
  func cut(_ end: Int, skip: Int) {
    var lo = start
    var hi = end
    while lo < hi, text[lo] == " " { lo += 1 }
    while hi > lo, text[hi - 1] == " " { hi -= 1 }
    parts.append(text[lo..<hi])
    start = end + skip
    i = start
  }
  while i < text.count {
    let c = text[i]
    if c == "," || c == ";" {
      cut(i, skip: 1)
    } else if c == " ", i + 4 < text.count, text[i + 1] == "a", text[i + 2] == "n", text[i + 3] == "d",
      text[i + 4] == " "
    {
      cut(i, skip: 5)
    } else if c == " ", i + 2 < text.count, text[i + 1] == "&", text[i + 2] == " " {
      cut(i, skip: 3)
    } else {
      i += 1
    }
  }
  cut(text.count, skip: 0)
  return parts
}

private func lastRange(of needle: [Unicode.Scalar], in text: [Unicode.Scalar]) -> Range<Int>? {
  guard text.count >= needle.count, !needle.isEmpty else { return nil }
  var i = text.count - needle.count
  while i >= 0 {
    if text[i..<(i + needle.count)].elementsEqual(needle) { return i..<(i + needle.count) }
    i -= 1
  }
  return nil
}

@inline(__always) private func isASCIIAlphanumeric(_ c: Unicode.Scalar) -> Bool {
  (c.value >= 0x30 && c.value <= 0x39) || (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A)
}

@inline(__always) private func isLetter(_ c: Unicode.Scalar) -> Bool {
  if c.value < 0x80 { return (c.value >= 0x41 && c.value <= 0x5A) || (c.value >= 0x61 && c.value <= 0x7A) }
  return c.properties.isAlphabetic
}

@inline(__always) private func isUpper(_ c: Unicode.Scalar) -> Bool {
  if c.value < 0x80 { return c.value >= 0x41 && c.value <= 0x5A }
  return c.properties.isUppercase
}

/// Whether a value is shaped like a person's or a team's name: two to five words, the first
/// capitalised, letters with `'`, `-` and `.` only, and no tool words or inner capitals (`GPTv5`).
/// One pass, no allocation beyond a small word buffer.
func looksLikePersonName<C: Collection>(_ value: C) -> Bool where C.Element == Unicode.Scalar {
  var words = 0
  var length = 0
  var capitals = 0
  var bare: [UInt8] = []
  bare.reserveCapacity(16)
  func endWord() -> Bool {
    defer {
      length = 0
      capitals = 0
      bare.removeAll(keepingCapacity: true)
    }
    guard length > 0 else { return true }
    words += 1
    // `McDonald`, `O'Brien`, `Jean-Pierre`: one capital after the first letter at most.
    return capitals <= 1 && !toolWords.contains(bare)
  }
  for c in value {
    if c == " " {
      guard endWord() else { return false }
      continue
    }
    if length == 0 {
      guard isLetter(c), words > 0 || isUpper(c) else { return false }
    } else if isUpper(c) {
      capitals += 1
    }
    length += 1
    if isLetter(c) {
      bare.append(c.value < 0x80 ? lowerASCII(UInt8(c.value)) : 0x80)
    } else if c != "'" && c != "-" && c != "." && c != "’" {
      return false
    }
    if words >= 5 { return false }
  }
  guard endWord() else { return false }
  return (2...5).contains(words)
}

/// Splits `Name <email>` (the last `<…>` pair); no address gives `(value, nil)`.
func splitIdentity(_ value: String) -> (name: String, email: String?) {
  let u = value.utf8
  guard let open = u.lastIndex(of: UInt8(ascii: "<")), let close = u[open...].firstIndex(of: UInt8(ascii: ">")) else {
    return (value.trimmingSpaces, nil)
  }
  let email = String(decoding: u[u.index(after: open)..<close], as: UTF8.self).trimmingSpaces
  return (String(decoding: u[..<open], as: UTF8.self).trimmingSpaces, email.isEmpty ? nil : email)
}

func valueMatches(_ match: ValueMatch, _ value: String) -> Bool {
  switch match {
  case .any: return true
  case .oneOf(let values):
    let v = asciiLowercased(value.trimmingSpaces)
    return values.contains { asciiLowercased($0) == v }
  case .prefix(let p): return asciiLowercased(value).hasPrefix(asciiLowercased(p))
  }
}

/// Evidence markers are capped so a long line cannot flood a report.
func clip(_ s: String) -> String {
  let trimmed = s.trimmingSpaces
  guard trimmed.utf8.count > 200 else { return trimmed }
  return String(trimmed.prefix(197)) + "..."
}

extension Confidence {
  /// One step lower (low stays low).
  var lowered: Confidence {
    switch self {
    case .high: .medium
    case .medium, .low: .low
    }
  }
}
