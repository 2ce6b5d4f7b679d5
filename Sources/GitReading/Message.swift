// Commit records copied out of libgit2: messages decoded by their `encoding` header, and trailers
// parsed the way `git interpret-trailers --parse` does, plus trailer-shaped lines elsewhere.

internal import CGit2
import Foundation
import GateCore

/// Builds the GateCore record of a `git_commit` (must run under the handle's lock).
func makeCommitRecord(_ commit: OpaquePointer) -> CommitRecord {
  let id = ObjectID(git_commit_id(commit).pointee).hex
  var parents: [String] = []
  for i in 0..<git_commit_parentcount(commit) {
    if let p = git_commit_parent_id(commit, i) { parents.append(ObjectID(p.pointee).hex) }
  }
  let encoding = git_commit_message_encoding(commit).map { String(cString: $0) }
  func text(_ p: UnsafePointer<CChar>?) -> String {
    guard let p else { return "" }
    return MessageText.decode(UnsafeRawBufferPointer(start: p, count: strlen(p)), encoding: encoding)
  }
  func signature(_ s: UnsafePointer<git_signature>?) -> Signature {
    guard let s else { return Signature(name: "", email: "") }
    return Signature(
      name: text(s.pointee.name), email: text(s.pointee.email), time: Int64(s.pointee.when.time),
      offsetMinutes: Int(s.pointee.when.offset))
  }
  let message = text(git_commit_message(commit))
  return CommitRecord(
    id: id, parents: parents, author: signature(git_commit_author(commit)),
    committer: signature(git_commit_committer(commit)), message: message, encoding: encoding,
    trailers: MessageText.trailers(of: message))
}

/// Message decoding and trailer parsing, pure functions of text.
public enum MessageText {
  /// Decodes message bytes by a commit's `encoding` header; unknown encodings and invalid bytes
  /// become U+FFFD replacement characters, never a crash.
  public static func decode(_ bytes: UnsafeRawBufferPointer, encoding: String?) -> String {
    guard let encoding else { return String(decoding: bytes, as: UTF8.self) }
    let name = encoding.lowercased().filter { $0.isLetter || $0.isNumber }
    switch name {
    case "utf8", "":
      return String(decoding: bytes, as: UTF8.self)
    case "iso88591", "latin1", "l1", "iso885915", "latin9", "88591":
      var scalars = String.UnicodeScalarView()
      for b in bytes { scalars.append(Unicode.Scalar(b)) }
      return String(scalars)
    default:
      let known: [String: String.Encoding] = [
        "cp1252": .windowsCP1252, "windows1252": .windowsCP1252, "iso88592": .isoLatin2,
        "latin2": .isoLatin2, "cp1250": .windowsCP1250, "windows1250": .windowsCP1250,
        "cp1251": .windowsCP1251, "windows1251": .windowsCP1251, "shiftjis": .shiftJIS, "sjis": .shiftJIS,
        "eucjp": .japaneseEUC, "utf16": .utf16, "ascii": .ascii, "usascii": .ascii,
      ]
      if let enc = known[name], let s = String(data: Data(bytes), encoding: enc) { return s }
      return String(decoding: bytes, as: UTF8.self)
    }
  }

  public static func decode(_ bytes: [UInt8], encoding: String?) -> String {
    bytes.withUnsafeBytes { decode($0, encoding: encoding) }
  }

  static let scissors = "# ------------------------ >8"

  /// Trailers of the final paragraph as `git interpret-trailers --parse` reports them (keys as
  /// written, values trimmed, continuation lines unfolded), then every trailer-shaped line elsewhere
  /// in the body with `inTrailerBlock == false`. Nothing below a scissors line counts.
  public static func trailers(of message: String) -> [Trailer] {
    // Every trailer, in the block or elsewhere, is a `key: value` line.
    guard message.utf8.contains(UInt8(ascii: ":")) else { return [] }
    var lines = lineSlices(message)
    if let cut = lines.firstIndex(where: { $0.hasPrefix(scissors) }) { lines.removeSubrange(cut...) }
    func isBlank(_ l: Substring) -> Bool { l.allSatisfy { $0 == " " || $0 == "\t" } }
    func isComment(_ l: Substring) -> Bool { l.hasPrefix("#") }
    // Drop trailing blank and comment lines.
    while let last = lines.last, isBlank(last) || isComment(last) { lines.removeLast() }
    // The title is the first paragraph; it never holds trailers.
    var bodyStart = 0
    while bodyStart < lines.count, isBlank(lines[bodyStart]) { bodyStart += 1 }
    while bodyStart < lines.count, !isBlank(lines[bodyStart]) { bodyStart += 1 }
    // The last paragraph.
    var blockStart = lines.count
    while blockStart > bodyStart, !isBlank(lines[blockStart - 1]) { blockStart -= 1 }
    var inBlock: [Trailer] = []
    if blockStart > bodyStart, blockStart < lines.count, isTrailerBlock(lines[blockStart...]) {
      inBlock = parseBlock(lines[blockStart...])
    } else {
      blockStart = lines.count
    }
    var elsewhere: [Trailer] = []
    if bodyStart < blockStart {
      for line in lines[bodyStart..<blockStart] where !isComment(line) {
        if let t = splitTrailer(line) { elsewhere.append(Trailer(key: t.key, value: t.value, inTrailerBlock: false)) }
      }
    }
    return inBlock + elsewhere
  }

  /// The lines of `text` without their `\n` or `\r\n`, split on the UTF-8 bytes (a `\n` is always a
  /// grapheme of its own, so this is the Character split, without its cost).
  static func lineSlices(_ text: String) -> [Substring] {
    let bytes = text.utf8
    var lines: [Substring] = []
    var start = bytes.startIndex
    while true {
      let newline = bytes[start...].firstIndex(of: 0x0A)
      var end = newline ?? bytes.endIndex
      // A `\r\n` separator, then one more `\r` that ends the line itself.
      if newline != nil, end > start, bytes[bytes.index(before: end)] == 0x0D { end = bytes.index(before: end) }
      if end > start, bytes[bytes.index(before: end)] == 0x0D { end = bytes.index(before: end) }
      lines.append(text[start..<end])
      guard let newline else { break }
      start = bytes.index(after: newline)
    }
    return lines
  }

  /// git's rule: a paragraph is a trailer block when all its lines are trailers (or continuations),
  /// or when at least a quarter are and one carries a git-generated prefix.
  static func isTrailerBlock(_ block: ArraySlice<Substring>) -> Bool {
    var trailerLines = 0
    var nonTrailerLines = 0
    var possibleContinuations = 0
    var recognized = false
    for line in block.reversed() {
      if line.hasPrefix("#") { continue }
      if line.hasPrefix("Signed-off-by: ") || line.hasPrefix("(cherry picked from commit ") {
        trailerLines += 1
        possibleContinuations = 0
        recognized = true
        continue
      }
      if splitTrailer(line) != nil {
        trailerLines += 1
        possibleContinuations = 0
      } else if line.first == " " || line.first == "\t" {
        possibleContinuations += 1
      } else {
        nonTrailerLines += 1 + possibleContinuations
        possibleContinuations = 0
      }
    }
    nonTrailerLines += possibleContinuations
    if recognized && trailerLines * 3 >= nonTrailerLines { return true }
    return trailerLines > 0 && nonTrailerLines == 0
  }

  static func parseBlock(_ block: ArraySlice<Substring>) -> [Trailer] {
    var result: [Trailer] = []
    var lastWasTrailer = false
    for line in block {
      if line.hasPrefix("#") { continue }
      if let t = splitTrailer(line) {
        result.append(Trailer(key: t.key, value: t.value, inTrailerBlock: true))
        lastWasTrailer = true
      } else if lastWasTrailer, line.first == " " || line.first == "\t" {
        let more = line.trimmingCharacters(in: .whitespaces)
        if !more.isEmpty {
          let previous = result[result.count - 1].value
          result[result.count - 1].value = previous.isEmpty ? more : previous + " " + more
        }
      } else {
        lastWasTrailer = false
      }
    }
    return result
  }

  /// `Key: value` as git's find_separator sees it: a token of letters, digits and dashes, optional
  /// blanks, then ':'. Lines starting with a blank are not trailers.
  static func splitTrailer(_ line: Substring) -> (key: String, value: String)? {
    // Over the UTF-8 bytes: the key's characters are ASCII, and a non-ASCII byte before the colon
    // ends the search as a non-ASCII Character does. Only a colon followed by a combining mark
    // (one Character, not ":") would differ, and the Character there is checked.
    let bytes = line.utf8
    var tokenEnd: Substring.Index?
    var whitespaceFound = false
    var i = bytes.startIndex
    while i < bytes.endIndex {
      let c = bytes[i]
      if c == 0x3A {
        guard i > bytes.startIndex, line[i...].first == ":" else { return nil }
        let key = String(line[line.startIndex..<(tokenEnd ?? i)])
        let value = line[line.index(after: i)...].trimmingCharacters(in: .whitespaces)
        return key.isEmpty ? nil : (key, value)
      }
      let isWordByte = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || c == 0x2D
      if !whitespaceFound, isWordByte {
        i = bytes.index(after: i)
        continue
      }
      if i != bytes.startIndex, c == 0x20 || c == 0x09 {
        if !whitespaceFound { tokenEnd = i }
        whitespaceFound = true
        i = bytes.index(after: i)
        continue
      }
      return nil
    }
    return nil
  }
}

/// The decimal number of at most `maxDigits` digits at `bytes[at...]`, `at` moved past it; nil
/// (and `at` unmoved) when no digit is there.
func readDecimal(_ bytes: UnsafeBufferPointer<UInt8>, at: inout Int, maxDigits: Int) -> Int64? {
  var value: Int64 = 0
  var k = at
  while k < bytes.count, k - at < maxDigits, bytes[k] >= 0x30, bytes[k] <= 0x39 {
    value = value * 10 + Int64(bytes[k] - 0x30)
    k += 1
  }
  guard k > at else { return nil }
  at = k
  return value
}

/// A commit record parsed from a raw commit object the way libgit2 1.5 parses it, for the commits the
/// pack reader reads directly: `tree`, `parent` lines, `author` (extra ones skipped), `committer`,
/// other headers up to the blank line (`encoding` kept), then the message (leading newlines dropped,
/// cut at a NUL as a C string is). Only the usual shapes are taken: a signature `NAME <EMAIL> TIME
/// ±ZONE`, 40-digit ids, no NUL in the header. Anything else gives nil and libgit2 reads the commit
/// (so its own rules, and errors, apply).
struct RawCommit {
  var record: CommitRecord
  var tree: ObjectID
  var parents: [ObjectID]

  init?(_ data: BlobData, id: ObjectID) {
    guard
      let parsed = data.withBytes({ b -> (CommitRecord, ObjectID, [ObjectID])? in
        RawCommit.parse(b, id: id)
      })
    else { return nil }
    (record, tree, parents) = parsed
  }

  /// libgit2 trims these from both ends of a name and an e-mail: control bytes, space and
  /// `.,:;<>"\'`.
  private static func isCrud(_ c: UInt8) -> Bool {
    c <= 32 || c == 0x2E || c == 0x2C || c == 0x3A || c == 0x3B || c == 0x3C || c == 0x3E || c == 0x22 || c == 0x5C
      || c == 0x27
  }

  private static func parse(_ b: UnsafeBufferPointer<UInt8>, id: ObjectID) -> (CommitRecord, ObjectID, [ObjectID])? {
    var at = 0
    func line() -> UnsafeBufferPointer<UInt8>? {
      guard at < b.count, let nl = b[at...].firstIndex(of: 0x0A) else { return nil }
      defer { at = nl + 1 }
      return UnsafeBufferPointer(rebasing: b[at..<nl])
    }
    func hexID(_ l: UnsafeBufferPointer<UInt8>, prefix: String) -> ObjectID? {
      guard l.count == prefix.utf8.count + 40, l.starts(with: prefix.utf8) else { return nil }
      return try? ObjectID(hex: String(decoding: UnsafeBufferPointer(rebasing: l[prefix.utf8.count...]), as: UTF8.self))
    }
    guard let treeLine = line(), let tree = hexID(treeLine, prefix: "tree ") else { return nil }
    var parents: [ObjectID] = []
    var next = line()
    while let l = next, l.starts(with: "parent ".utf8) {
      guard let p = hexID(l, prefix: "parent ") else { return nil }
      parents.append(p)
      next = line()
    }
    guard let authorLine = next, authorLine.starts(with: "author ".utf8) else { return nil }
    next = line()
    while let l = next, l.starts(with: "author ".utf8) { next = line() }
    guard let committerLine = next, committerLine.starts(with: "committer ".utf8) else { return nil }
    var encoding: UnsafeBufferPointer<UInt8>?
    var sawBlank = false
    while let l = line() {
      if l.isEmpty {
        sawBlank = true
        break
      }
      if l.starts(with: "encoding ".utf8) { encoding = UnsafeBufferPointer(rebasing: l[9...]) }
    }
    guard sawBlank, memchr(b.baseAddress!, 0, at) == nil else { return nil }
    let encodingName = encoding.map { String(decoding: $0, as: UTF8.self) }
    func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
      MessageText.decode(UnsafeRawBufferPointer(bytes), encoding: encodingName)
    }
    func signature(_ l: UnsafeBufferPointer<UInt8>, header: Int) -> Signature? {
      let s = UnsafeBufferPointer(rebasing: l[header...])
      guard let open = s.lastIndex(of: UInt8(ascii: "<")),
        let close = s[(open + 1)...].firstIndex(of: UInt8(ascii: ">"))
      else { return nil }
      func trimmed(_ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
        var i = from
        var j = to
        while i < j, isCrud(s[i]) { i += 1 }
        while j > i, isCrud(s[j - 1]) { j -= 1 }
        return UnsafeBufferPointer(rebasing: s[i..<j])
      }
      // ` TIME ±ZONE` after the '>', digits only.
      var k = close + 1
      guard k < s.count, s[k] == 0x20 else { return nil }
      k += 1
      guard let time = readDecimal(s, at: &k, maxDigits: 18), k + 1 < s.count, s[k] == 0x20,
        s[k + 1] == UInt8(ascii: "+") || s[k + 1] == UInt8(ascii: "-")
      else { return nil }
      let sign = s[k + 1]
      k += 2
      guard let zoneValue = readDecimal(s, at: &k, maxDigits: 9), k == s.count else { return nil }
      let zone = Int(zoneValue)
      let hours = zone / 100
      let minutes = zone % 100
      var offset = 0
      if hours <= 14 && minutes <= 59 { offset = (hours * 60 + minutes) * (sign == UInt8(ascii: "-") ? -1 : 1) }
      return Signature(
        name: text(trimmed(0, open)), email: text(trimmed(open + 1, close)), time: time, offsetMinutes: offset)
    }
    guard let author = signature(authorLine, header: 7), let committer = signature(committerLine, header: 10) else {
      return nil
    }
    var start = at
    while start < b.count, b[start] == 0x0A { start += 1 }
    var end = b.count
    if start < b.count, let nul = memchr(b.baseAddress! + start, 0, b.count - start) {
      end = b.baseAddress!.distance(to: nul.assumingMemoryBound(to: UInt8.self))
    }
    let message = text(UnsafeBufferPointer(rebasing: b[start..<max(start, end)]))
    let record = CommitRecord(
      id: id.hex, parents: parents.map(\.hex), author: author, committer: committer, message: message,
      encoding: encodingName, trailers: MessageText.trailers(of: message))
    return (record, tree, parents)
  }
}
