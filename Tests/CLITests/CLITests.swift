import Foundation
import TestSupport
import Testing

@Suite struct CLIContractTests {
  @Test func versionPrints() throws {
    let r = try runProcess([agentgateBinary(), "--version"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("0.1.0"))
  }

  @Test func unknownFlagExitsTwoWithOneLineReason() throws {
    let r = try runProcess([agentgateBinary(), "--no-such-flag"])
    #expect(r.status == 2)
    #expect(r.stderr.hasPrefix("agentgate: "))
  }
}

@Suite struct ReadmeRuleTableTests {
  @Test func readmeRuleTableIsCurrent() throws {
    let r = try runProcess([agentgateBinary(), "rules", "--format", "markdown"])
    #expect(r.status == 0)
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    let begin = try #require(readme.range(of: "<!-- rules:begin -->\n"))
    let end = try #require(readme.range(of: "\n<!-- rules:end -->"))
    let table = String(readme[begin.upperBound..<end.lowerBound])
    #expect(
      table == r.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
      "README's rule table is stale: regenerate it with `agentgate rules --format markdown`")
    #expect(table.contains("| agent |") && table.contains("| secret |") && table.contains("| risk |"))
  }

  @Test func detectJSONListsCommitsWithAttribution() throws {
    let repo = try GitRepo()
    try repo.commit("init", files: ["a.txt": "1\n"])
    try repo.commit("Refactor\n\nCo-Authored-By: Claude <noreply@anthropic.com>", files: ["b.txt": "2\n"])
    let r = try runProcess([agentgateBinary(), "detect", "--repo", repo.path, "--all", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let doc = try #require(try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any])
    #expect(doc["schema"] as? String == "agentgate.attribution/1")
    let commits = try #require(doc["commits"] as? [[String: Any]])
    #expect(commits.count == 2)
    #expect(commits.contains { $0["agent"] as? String == "claude-code" })
    let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("schemas/attribution.schema.json").path
    let check = try runProcess(
      [
        "python3", "-c",
        "import json,sys,jsonschema; jsonschema.validate(json.load(sys.stdin), json.load(open(sys.argv[1])))", schema,
      ], stdin: r.stdoutData)
    #expect(check.status == 0, "\(check.stderr)")
    let fail = try runProcess([agentgateBinary(), "detect", "--repo", repo.path, "--all", "--fail-on-agent"])
    #expect(fail.status == 1)
  }
}
