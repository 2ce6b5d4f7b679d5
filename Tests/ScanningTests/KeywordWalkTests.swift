// The keyword automaton's two-halves walk reports exactly what the plain walk does, in the same
// order, on buffers of every shape: no line feed, one near either end, keywords at the cut.

import TestSupport
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

  @Test func sixteenAndThirtyTwoBitTablesWalkAlike() {
    var rng = SeededGenerator(seed: secretRulesSeed)
    let words = Self.keywords.flatMap { $0 }.filter { $0.utf8.allSatisfy { $0 < 0x80 } }
    let narrow = KeywordAutomaton(keywords: [words, ["x="]])
    let wide = KeywordAutomaton(keywords: [words, ["x="]], narrowStates: 0)
    #expect(narrow.size == wide.size)
    for _ in 0..<100 {
      let text = (0..<Int.random(in: 0...400, using: &rng)).map { _ in
        ["token", "key", "ghp_", "x", "=", " ", "\n", "AKIA", "assert"].randomElement(using: &rng)!
      }.joined()
      let bytes = Array(text.utf8)
      for automaton in [narrow, wide] {
        var plain: [[Int]] = []
        var halves: [[Int]] = []
        var pending: [Int32] = []
        bytes.withUnsafeBufferPointer { buf in
          narrow.forEachHit(buf) { plain.append([$0, $1]) }
          automaton.forEachHitInHalves(buf, pending: &pending) { halves.append([$0, $1]) }
        }
        #expect(halves == plain, "seed \(secretRulesSeed): \(text.prefix(60))")
      }
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
