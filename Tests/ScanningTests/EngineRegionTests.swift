// The engine runs a rule's regex over the lines where its keywords occur (not the whole block), and
// past them only for patterns that can cross a line break.

import GateCore
import Testing

@testable import Scanning

@Suite struct EngineRegionTests {
  @Test func regexRunsOnKeywordLinesOnly() throws {
    // The pattern could match `zzz_...` too, but only lines holding the keyword `tok_` are searched.
    let rule = PatternRule(
      id: "region-rule", description: "keyword lines", keywords: ["tok_"], pattern: #"(?:tok|zzz)_[a-z]{5}\b"#,
      positives: [], negatives: [])
    let scanner = try Scanner(rules: [rule])
    let r = scanner.scanText("a tok_abcde\nb zzz_fghij\nc TOK_klmno tok_pqrst\nd zzz_uvwxy", path: "a.txt")
    // Line 3: the keyword is found case-insensitively (`TOK_`), the case-sensitive pattern then
    // matches only `tok_pqrst`.
    #expect(r.findings.map(\.line) == [1, 3])
    #expect(r.findings.map(\.column) == [3, 13])
    #expect(scanner.regexRunCount(rule: "region-rule") == 1)
  }

  @Test func lookbehindAndWordBoundarySeeTheBytesBeforeTheLine() throws {
    // A region starts at a line start: `\b` and lookbehinds there see the previous line's newline,
    // so a match at column 1 is found and one glued to a word is not.
    let rule = PatternRule(
      id: "boundary-rule", description: "boundaries", keywords: ["dmo_"], pattern: #"(?<![A-Za-z])\bdmo_[0-9]{4}"#,
      positives: [], negatives: [])
    let scanner = try Scanner(rules: [rule])
    let r = scanner.scanText("first line\ndmo_1234\nxdmo_5678\n  dmo_9012", path: "a.txt")
    #expect(r.findings.map(\.line) == [2, 4])
  }

  @Test func multiLinePatternsRunPastTheirKeywordLine() throws {
    let rule = PatternRule(
      id: "block-rule", description: "a block", keywords: ["begin demo"],
      pattern: #"-----BEGIN DEMO-----\r?\n(?:[A-Za-z0-9+/]{8,}\r?\n){2,}-----END DEMO-----"#, positives: [],
      negatives: [])
    let scanner = try Scanner(rules: [rule])
    let text = "x = 1\n-----BEGIN DEMO-----\nQUJDREVGR0hJSktM\nTU5PUFFSU1RVVldY\n-----END DEMO-----\ny = 2"
    let r = scanner.scanText(text, path: "key.pem")
    #expect(r.findings.map(\.line) == [2])
  }

  @Test(arguments: [
    (#"abc\ndef"#, true), (#"[\s\S]{0,10}"#, true), (#"(?s)a.b"#, true), (#"(?is:a.b)"#, true),
    (#"[\n]x"#, true), (#"a\Rb"#, true), (#"[^\n]{0,200}"#, false), (#"[^"\s]+"#, false), (#"a\s*=\s*b"#, false),
    (#"(?i)(?m)^key"#, false), (#"[]\n]"#, true), (#"\\n"#, false), (#"(?<!\p{L})x"#, false),
  ])
  func patternsThatCrossLinesAreRecognised(_ pattern: String, _ spans: Bool) {
    #expect(patternSpansLines(pattern) == spans, "\(pattern)")
  }

  @Test func keywordLinesAreCollectedOncePerRuleAndLine() throws {
    let a = PatternRule(
      id: "rule-a", description: "a", keywords: ["aaa", "bbb"], pattern: "aaa", positives: [], negatives: [])
    let b = PatternRule(id: "rule-b", description: "b", keywords: ["bbb"], pattern: "bbb", positives: [], negatives: [])
    let scanner = try Scanner(rules: [a, b])
    let text = Array("aaa bbb aaa\nnone\nbbb".utf8)
    let scratch = PCRE2Scratch()
    text.withUnsafeBufferPointer { scanner.collectKeywordLines($0, scratch: scratch) }
    let hits = scratch.hits.map { [Int($0.rule), Int($0.start), Int($0.end)] }
    #expect(hits == [[0, 0, 11], [1, 0, 11], [0, 17, 20], [1, 17, 20]])
  }
}

@Suite struct EnginePrefilterSplitTests {
  @Test func asciiAndNonASCIIKeywordsBothTrigger() throws {
    // One rule with an ASCII and a non-ASCII keyword, one with a non-ASCII keyword only: the second
    // automaton runs only because the block holds a byte >= 0x80, and its hits come after the
    // ASCII pass's; both land on the right lines.
    let mixed = PatternRule(
      id: "mixed-rule", description: "mixed", keywords: ["zz", "é"], pattern: "(?:zz|é)[0-9]", positives: [],
      negatives: [])
    let wide = PatternRule(
      id: "wide-rule", description: "wide", keywords: ["\u{202E}"], pattern: "\u{202E}", positives: [], negatives: [])
    let scanner = try Scanner(rules: [mixed, wide])
    let r = scanner.scanText("a é1\nb zz2\nc \u{202E}\nd plain", path: "a.txt")
    #expect(r.findings.map(\.rule) == ["mixed-rule", "mixed-rule", "wide-rule"])
    #expect(r.findings.map(\.line) == [1, 2, 3])
    let plain = scanner.scanText("only ascii zz3 here", path: "a.txt")
    #expect(plain.findings.map(\.rule) == ["mixed-rule"])
    #expect(scanner.regexRunCount(rule: "wide-rule") == 1)
  }

  @Test func highBytesAreFoundAtEveryOffset() {
    for length in [0, 1, 7, 8, 9, 16, 17] {
      for at in 0..<length {
        var bytes = [UInt8](repeating: 0x61, count: length)
        bytes[at] = 0xC3
        #expect(bytes.withUnsafeBufferPointer { KeywordPrefilter.hasHighByte($0) }, "\(length) \(at)")
      }
      let ascii = [UInt8](repeating: 0x7F, count: length)
      #expect(!ascii.withUnsafeBufferPointer { KeywordPrefilter.hasHighByte($0) })
    }
  }
}
