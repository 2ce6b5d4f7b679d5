// The secret rule set: every rule's positive examples are found by that rule, its negatives are
// not, random tokens drawn from each rule's shapes are found (seeded; AGENTGATE_SEED replays a
// run), and the registry is well-formed (size, ids, order, keywords that cannot hide a positive).

import Foundation
import GateCore
import Scanning
import TestSupport
import Testing

/// One example of one rule, named for the test report.
struct SecretRuleExampleCase: Sendable, CustomTestStringConvertible {
  let rule: PatternRule
  let example: RuleExample
  let index: Int
  var testDescription: String { "\(rule.id) #\(index)" }
}

/// The seed for random positives: AGENTGATE_SEED when set, else a fresh one (printed either way).
let secretRulesSeed: UInt64 = {
  let seed =
    ProcessInfo.processInfo.environment["AGENTGATE_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
  print("SecretRulesTests: random positives drawn with AGENTGATE_SEED=\(seed)")
  return seed
}()

/// Draws one example from a shape.
func drawExample(_ shape: TokenShape, using generator: inout SeededGenerator) -> RuleExample {
  var token = ""
  for part in shape.parts {
    switch part {
    case .literal(let text): token += text
    case .random(let alphabet, let count):
      let characters = Array(alphabet)
      for _ in 0..<count { token.append(characters[Int(generator.next() % UInt64(characters.count))]) }
    }
  }
  return RuleExample(shape.context.replacingOccurrences(of: "{}", with: token), path: shape.path)
}

private func cases(_ pick: (PatternRule) -> [RuleExample]) -> [SecretRuleExampleCase] {
  SecretRules.all.flatMap { rule in
    pick(rule).enumerated().map { SecretRuleExampleCase(rule: rule, example: $0.element, index: $0.offset) }
  }
}

private func findings(_ rule: PatternRule, _ example: RuleExample) throws -> [Finding] {
  try ruleExampleFindings(rule, example).filter { $0.rule == rule.id }
}

@Suite struct SecretRulesTests {
  @Test(arguments: cases(\.positives))
  func positiveIsFound(_ item: SecretRuleExampleCase) throws {
    let found = try findings(item.rule, item.example)
    #expect(!found.isEmpty, "rule \(item.rule.id) missed its positive #\(item.index)")
  }

  @Test(arguments: cases(\.negatives))
  func negativeIsNotFound(_ item: SecretRuleExampleCase) throws {
    let found = try findings(item.rule, item.example)
    #expect(found.isEmpty, "rule \(item.rule.id) fired on its negative #\(item.index)")
  }

  @Test(arguments: SecretRules.all.filter { !$0.shapes.isEmpty }.map(\.id))
  func randomShapesAreFound(_ id: String) throws {
    let rule = try #require(SecretRules.all.first { $0.id == id })
    // One generator per rule, derived from the run's seed, so a rule's draws do not depend on
    // which other rules ran first.
    var generator = SeededGenerator(
      seed: secretRulesSeed ^ UInt64(truncatingIfNeeded: id.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
    for (shapeIndex, shape) in rule.shapes.enumerated() {
      for draw in 0..<3 {
        let example = drawExample(shape, using: &generator)
        let found = try findings(rule, example)
        #expect(
          !found.isEmpty,
          "rule \(id) missed random draw \(draw) of shape \(shapeIndex) (AGENTGATE_SEED=\(secretRulesSeed))")
      }
    }
  }

  @Test func registryIsLargeUniqueSortedAndKebabCase() throws {
    let ids = SecretRules.all.map(\.id)
    print("SecretRulesTests: \(ids.count) secret rules")
    #expect(ids.count >= 250, "only \(ids.count) secret rules")
    #expect(
      Set(ids).count == ids.count,
      "duplicate ids: \(Dictionary(grouping: ids) { $0 }.filter { $1.count > 1 }.keys.sorted())")
    #expect(ids == ids.sorted(), "SecretRules.all is not sorted by id")
    let kebab = try Regex("^[a-z0-9]+(?:-[a-z0-9]+)*$")
    for id in ids { #expect(id.wholeMatch(of: kebab) != nil, "id \(id) is not kebab-case") }
  }

  @Test func everyRuleIsDocumentedAndHasExamples() {
    for rule in SecretRules.all {
      #expect(!rule.positives.isEmpty, "\(rule.id) has no positive example")
      #expect(!rule.negatives.isEmpty, "\(rule.id) has no negative example")
      #expect(!rule.description.isEmpty, "\(rule.id) has no description")
      #expect(rule.category == .secret, "\(rule.id) is not in the secret category")
      #expect(rule.secretGroup >= 0)
    }
  }

  @Test func keywordsAreLowercaseAndCannotHidePositives() {
    for rule in SecretRules.all {
      #expect(!rule.keywords.isEmpty, "\(rule.id) has no keywords, so its regex would run on every input")
      for keyword in rule.keywords {
        #expect(!keyword.isEmpty && keyword == keyword.lowercased(), "\(rule.id): keyword '\(keyword)'")
      }
      var generator = SeededGenerator(seed: secretRulesSeed)
      let drawn = rule.shapes.map { drawExample($0, using: &generator) }
      for example in rule.positives + drawn {
        let text = example.text.lowercased()
        #expect(
          rule.keywords.contains { text.contains($0) },
          "\(rule.id): positive '\(example.text.prefix(40))…' has none of the keywords, the prefilter would hide it")
      }
    }
  }

  @Test func everyPatternCompilesTogether() throws {
    // Loading the whole set validates every pattern, path filter and allowlist regex.
    let scanner = try Scanner(
      rules: SecretRules.all, changeRules: [], options: ScanOptions(parallelism: 1), baseline: nil)
    // A neutral source file triggers nothing.
    let result = scanner.scanText(
      "import Foundation\nlet greeting = \"hello, world\"\nfunc add(_ a: Int, _ b: Int) -> Int { a + b }\n",
      path: "Sources/App/main.swift")
    #expect(result.findings.isEmpty, "\(result.findings.map(\.rule))")
  }
}
