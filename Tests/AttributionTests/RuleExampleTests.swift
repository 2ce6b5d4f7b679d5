// Every rule's examples (DESIGN.md principle 5): positives must be attributed to the rule's agent with
// at least the stated confidence; negatives must not be, and near-misses must be attributed to nobody.

import Attribution
import GateCore
import Testing

struct ExampleCase: Sendable, CustomTestStringConvertible {
  let rule: String
  let positive: Bool
  let index: Int
  let example: AgentExample

  var testDescription: String { "\(rule) \(positive ? "positive" : "negative") #\(index)" }

  static let all: [ExampleCase] = AgentRules.all.flatMap { rule in
    rule.positives.enumerated().map { ExampleCase(rule: rule.id, positive: true, index: $0, example: $1) }
      + rule.negatives.enumerated().map { ExampleCase(rule: rule.id, positive: false, index: $0, example: $1) }
  }
}

/// Runs an example through the entry point its input belongs to.
func attribute(_ example: AgentExample, with detector: AttributionDetector = AttributionDetector()) -> Attribution {
  switch example.input {
  case .commit(let message, let author, let committer, let note):
    let record = CommitRecord(
      id: String(repeating: "ab", count: 20), author: signature(author), committer: signature(committer ?? author),
      message: message)
    return detector.attribute(record, note: note)
  case .message(let message):
    return detector.attribute(message: message, base: nil)
  case .environment(let env, let chain, let author):
    return detector.attribute(environment: env, processChain: chain, identity: (author.map { signature($0) }, nil))
  }
}

@Test(arguments: ExampleCase.all)
func ruleExample(_ c: ExampleCase) {
  let result = attribute(c.example)
  let shown = "\(c.example)\n=> \(result.agent ?? "nobody") \(result.confidence?.rawValue ?? "-") \(result.evidence)"
  if c.positive {
    #expect(result.agent == c.rule, "\(shown)")
    #expect((result.confidence ?? .low) >= c.example.confidence, "\(shown)")
    #expect(result.evidence.contains { $0.agent == c.rule }, "\(shown)")
  } else {
    #expect(result.agent != c.rule, "\(shown)")
    if c.example.nobody { #expect(result.agent == nil, "\(shown)") }
  }
}
