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

@Suite struct SHA256Tests {
  @Test func knownVectors() {
    #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    let long = String(repeating: "a", count: 1_000)
    #expect(SHA256.hex(long) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    #expect(
      SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  @Test func hmacRFC4231Case2() {
    let mac = SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
    #expect(hexString(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
  }
}
