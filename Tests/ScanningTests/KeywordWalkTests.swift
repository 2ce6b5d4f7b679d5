// The keyword automaton's two-halves walk reports exactly what the plain walk does, in the same
// order, on buffers of every shape: no line feed, one near either end, keywords at the cut.

import Testing

@testable import Scanning

@Suite struct KeywordWalkTests {
  static let keywords: [[String]] = [
    ["token", "api_key"], ["secret"], ["ghp_"], ["key"], ["AKIA"], ["assert", "expect"], ["a"], ["\u{00E9}t\u{00E9}"],
  ]

  func calls(_ bytes: [UInt8], halves: Bool) -> [[Int]] {
    let prefilter = KeywordPrefilter(keywords: Self.keywords)
    var out: [[Int]] = []
    var pending: [Int32] = []
    bytes.withUnsafeBufferPointer { buf in
      if halves {
        prefilter.forEachHit(buf, pending: &pending) { out.append([$0, $1]) }
      } else {
        prefilter.forEachHit(buf) { out.append([$0, $1]) }
      }
    }
    return out
  }

  @Test func halvesReportTheSameCallsInTheSameOrder() {
    var rng = SeededGenerator(seed: secretRulesSeed)
    let pieces = [
      "token", "TOKEN", "secret", "ghp_", "key", "AKIA", "assert", "x", " ", "=", "\n", "api_key", "\u{00E9}t\u{00E9}",
    ]
    for round in 0..<300 {
      let count = Int.random(in: 0...600, using: &rng)
      var text = (0..<count).map { _ in pieces.randomElement(using: &rng)! }.joined()
      switch round % 5 {
      case 0: text = text.replacingOccurrences(of: "\n", with: " ")
      case 1: text = text.replacingOccurrences(of: "\n", with: " ") + "\nkey"
      case 2: text = "token\n" + text.replacingOccurrences(of: "\n", with: " ")
      default: break
      }
      let bytes = Array(text.utf8)
      let plain = calls(bytes, halves: false)
      #expect(calls(bytes, halves: true) == plain, "seed \(secretRulesSeed), round \(round)")
      if round == 0 { #expect(!plain.isEmpty) }
    }
  }

  @Test func theCutIsAfterALineFeed() {
    let text = Array((String(repeating: "a", count: 700) + "\n" + String(repeating: "b", count: 10)).utf8)
    let half = text.withUnsafeBufferPointer { KeywordAutomaton.halfPoint($0) }
    #expect(half == 701)
    let none = Array(String(repeating: "a", count: 700).utf8)
    #expect(none.withUnsafeBufferPointer { KeywordAutomaton.halfPoint($0) } == nil)
  }
}
