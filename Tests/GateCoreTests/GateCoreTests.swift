import GateCore
import Testing

@Suite struct DecisionTests {
  @Test func rangeCombination() {
    #expect(Decision.combine([Decision]()) == .pass)
    #expect(Decision.combine([.pass, .warn]) == .warn)
    #expect(Decision.combine([.warn, .error, .pass]) == .error)
    #expect(Decision.combine([.error, .fail, .warn]) == .fail)
  }

  @Test func exitCodes() {
    #expect(Decision.pass.exitCode == 0)
    #expect(Decision.warn.exitCode == 0)
    #expect(Decision.fail.exitCode == 1)
    #expect(Decision.error.exitCode == 2)
  }

  @Test func orderings() {
    #expect(Severity.info < Severity.critical)
    #expect(Severity.medium < Severity.high)
    #expect(Confidence.low < Confidence.high)
  }
}

@Suite struct LineBlockTests {
  @Test func linesAndOffsets() {
    let block = LineBlock(lines: [(3, "alpha"), (4, ""), (9, "gamma")])
    #expect(block.count == 3)
    #expect(block.text(ofLine: 0) == "alpha")
    #expect(block.text(ofLine: 1) == "")
    #expect(block.text(ofLine: 2) == "gamma")
    #expect(block.lineIndex(containing: 0) == 0)
    #expect(block.lineIndex(containing: 6) == 1)
    #expect(block.lineIndex(containing: 7) == 2)
    #expect(Int(block.numbers[block.lineIndex(containing: 8)]) == 9)
  }

  @Test func invalidUTF8IsRepairedNotFatal() {
    let block = LineBlock(bytes: [0x61, 0xFF, 0x62], starts: [0], numbers: [1])
    #expect(block.text(ofLine: 0) == "a\u{FFFD}b")
  }
}

@Suite struct MiscTests {
  @Test(arguments: ["aws-access-key", "claude-code", "a1", "x"])
  func kebabAccepted(_ id: String) { #expect(isKebabCase(id)) }

  @Test(arguments: ["AWS", "a--b", "-a", "a-", "a_b", "", "1abc"])
  func kebabRejected(_ id: String) { #expect(!isKebabCase(id)) }

  @Test func redactionKeepsFourCharactersAndLength() {
    #expect(Redaction.redact("ghp_abcdefghijklmnop") == "ghp_****(20 chars)")
    #expect(!Redaction.redact("abc").contains("abc"))
  }
}
