// `Assisted-by:` credits people as often as tools: curl credits human helpers by name, lists,
// bare addresses and `handle on github`. The shapes that mean people, and the ones that mean a tool.

import Testing

@testable import Attribution

@Suite struct HumanCredit {
  @Test(arguments: [
    "Jay Satiro", "Max Faxälv", "Émile Zola", "Ronald McDonald", "Conan O'Brien", "Jean-Pierre Dupont",
    "Jan van der Berg", "Steve Holme, Daniel Stenberg", "Kamil Dudka and Max Dymond", "Bill Pyne, Ray Satiro, Nick Z",
    "The Infinnovation team", "graywolf on github", "chrysos349 on GitHub", "Tal Regev via #16045",
    "someone@users.noreply.github.com", "Ann Lee & Bo Chen",
  ])
  func people(_ value: String) {
    #expect(humanCredit(value) != nil, "\(value)")
  }

  @Test(arguments: [
    "ChatGPTv5", "generic LLM chatbot", "Generic AI", "SomeBot (model-x)", "Claude Code:claude-opus-4.6",
    "some-tool", "LLaMA Coder", "Jane Roe, some-tool", "GPT 5", "Helper Bot", "Coding Assistant Pro", "x",
    "One Two Three Four Five Six",
  ])
  func tools(_ value: String) {
    #expect(humanCredit(value) == nil, "\(value)")
  }

  @Test func bareAddressesAreReturnedForTheIdentityTable() {
    #expect(humanCredit("a@example.org, Bo Chen") == ["a@example.org"])
  }
}
