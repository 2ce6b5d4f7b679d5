// Trailer parsing checked against the real `git interpret-trailers --parse`, and message decoding.

import Foundation
import GateCore
import TestSupport
import Testing

@testable import GitReading

private let messages: [String] = [
  "Subject only",
  "Subject\n\nCo-authored-by: Claude <noreply@anthropic.com>\n",
  "Subject\n\nBody paragraph.\n\nSigned-off-by: A <a@example.com>\nco-authored-by: B <b@example.com>\n",
  "Subject\n\nBody\n\nKey: first line\n  continued here\nOther-Key : spaced\n",
  "Subject\n\nNot a trailer block\nbecause this line is prose\nGenerated-by: x\n",
  "Subject\n\nSome prose here\nSigned-off-by: A <a@example.com>\n",
  "Subject\n\nBody\n\nKey: value\n# a comment line\nMore: stuff\n\n# trailing comment\n",
  "Subject\n\nBody\n\nAssisted-by: Copilot\n# ------------------------ >8 ------------------------\nIgnored: below scissors\n",
  "Subject\n\nBody\n# ------------------------ >8 ------------------------\n\nAgent: below scissors\n",
  "Subject\n\nURL: https://example.com/x\n",
  "Subject\r\n\r\nBody\r\n\r\nKey: crlf\r\n",
]

@Suite struct MessageTests {
  @Test(arguments: messages)
  func trailerBlockMatchesGitInterpretTrailers(message: String) throws {
    let r = try runProcess(
      ["git", "interpret-trailers", "--parse"], env: ["GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent"],
      stdin: Data(message.utf8), timeout: 30)
    #expect(r.status == 0)
    let expected = r.stdout.split(separator: "\n").map { line -> Trailer in
      let parts = line.split(separator: ":", maxSplits: 1)
      return Trailer(
        key: String(parts[0]).trimmingCharacters(in: .whitespaces),
        value: parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "")
    }
    let ours = MessageText.trailers(of: message).filter(\.inTrailerBlock)
    #expect(ours == expected, "message: \(message.debugDescription)")
  }

  @Test func trailerShapedLinesElsewhereInTheBodyAreMarked() {
    let message = """
      Squash of three commits

      * first change
      Co-authored-by: Agent One <one@example.com>

      * second change
      Generated-with: Tool 1.0

      Signed-off-by: Dev <dev@example.com>
      """
    let trailers = MessageText.trailers(of: message)
    #expect(
      trailers == [
        Trailer(key: "Signed-off-by", value: "Dev <dev@example.com>"),
        Trailer(key: "Co-authored-by", value: "Agent One <one@example.com>", inTrailerBlock: false),
        Trailer(key: "Generated-with", value: "Tool 1.0", inTrailerBlock: false),
      ])
  }

  /// The byte-level line split gives the lines the Character split gave (`\n` and `\r\n` end a line,
  /// then one trailing `\r` is dropped), on random text of line ends, `\r`, combining marks and words.
  @Test func lineSplitMatchesTheCharacterSplit() {
    let seed = UInt64.random(in: 1...UInt64.max)
    var rng = SeededGenerator(seed: seed)
    let pieces = ["\n", "\r", "\r\n", "\r\r\n", "a", "Key: value", " ", "e\u{301}", "\u{301}", "é", ":", ""]
    for _ in 0..<2_000 {
      let text = (0..<Int(rng.next() % 12)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
      let expected = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }.map(String.init)
      #expect(MessageText.lineSlices(text).map(String.init) == expected, "seed \(seed): \(text.debugDescription)")
    }
  }

  /// The byte-level trailer split agrees with a split over Characters on random lines of key bytes,
  /// spaces, tabs, colons, combining marks and non-ASCII letters.
  @Test func trailerSplitMatchesTheCharacterRule() {
    func reference(_ line: Substring) -> (key: String, value: String)? {
      var tokenEnd: Substring.Index?
      var whitespaceFound = false
      var i = line.startIndex
      while i < line.endIndex {
        let c = line[i]
        if c == ":" {
          guard i > line.startIndex else { return nil }
          let key = String(line[line.startIndex..<(tokenEnd ?? i)])
          let value = line[line.index(after: i)...].trimmingCharacters(in: .whitespaces)
          return key.isEmpty ? nil : (key, value)
        }
        if !whitespaceFound, c.isASCII, c.isLetter || c.isNumber || c == "-" {
          i = line.index(after: i)
          continue
        }
        if i != line.startIndex, c == " " || c == "\t" {
          if !whitespaceFound { tokenEnd = i }
          whitespaceFound = true
          i = line.index(after: i)
          continue
        }
        return nil
      }
      return nil
    }
    let seed = UInt64.random(in: 1...UInt64.max)
    var rng = SeededGenerator(seed: seed)
    let pieces = [
      "Co", "authored", "-", "by", "9", " ", "\t", ":", "\u{301}", "é", "Ü", "_", "value <a@b.c>", "@", "\r",
    ]
    for _ in 0..<3_000 {
      let line = (0..<Int(rng.next() % 8)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
      let got = MessageText.splitTrailer(line[...])
      let want = reference(line[...])
      #expect(got?.key == want?.key && got?.value == want?.value, "seed \(seed): \(line.debugDescription)")
    }
  }

  @Test func subjectLineIsNeverATrailer() {
    #expect(MessageText.trailers(of: "Fix: crash on start\n").isEmpty)
  }

  @Test(arguments: [
    ("ISO-8859-1", [0x43, 0x61, 0x66, 0xE9] as [UInt8], "Café"),
    ("latin1", [0xE9, 0x74, 0xE9], "été"),
    ("UTF-8", [0x43, 0x61, 0x66, 0xC3, 0xA9], "Café"),
    ("UTF-8", [0x61, 0xFF], "a\u{FFFD}"),
    ("x-unknown-charset", [0x61, 0xC3, 0x28], "a\u{FFFD}("),
    ("windows-1252", [0x80, 0x31], "€1"),
  ])
  func decodingFollowsTheEncodingHeader(encoding: String, bytes: [UInt8], expected: String) {
    #expect(MessageText.decode(bytes, encoding: encoding) == expected)
  }
}
