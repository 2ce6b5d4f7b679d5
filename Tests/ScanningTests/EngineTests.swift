import GateCore
import Scanning
import Testing

let demoRule = PatternRule(
  id: "demo-token", description: "A demo token", keywords: ["dmo_"], pattern: #"\b(dmo_[A-Za-z0-9]{20})\b"#,
  secretGroup: 1, positives: ["key = dmo_abcdefghij0123456789"], negatives: ["key = dmo_short"])

@Suite struct EngineBasicsTests {
  @Test func examplesOfADemoRule() throws {
    #expect(try ruleExampleFindings(demoRule, demoRule.positives[0]).count == 1)
    #expect(try ruleExampleFindings(demoRule, demoRule.negatives[0]).isEmpty)
  }
}
