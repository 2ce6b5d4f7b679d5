// The JSON document validates against schemas/attribution.schema.json (checked by python3's
// jsonschema), and the text line reads at a glance.

import Attribution
import Foundation
import GateCore
import TestSupport
import Testing

/// Validates `document` against the schema with python3 jsonschema; returns the validator's complaint.
func schemaErrors(_ document: String) throws -> String? {
  let dir = TempDir(prefix: "attribution-schema")
  try dir.write("doc.json", document)
  let script = """
    import json, sys, jsonschema
    schema = json.load(open(sys.argv[1]))
    doc = json.load(open(sys.argv[2]))
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
    print("\\n".join(errors))
    sys.exit(1 if errors else 0)
    """
  let result = try runProcess(
    ["python3", "-c", script, repositoryRoot + "/schemas/attribution.schema.json", dir.file("doc.json")], timeout: 60)
  return result.status == 0 ? nil : result.stdout + result.stderr
}

@Suite struct Output {
  let tricky = commit(
    "Fix \"quotes\" \\ and tabs\t\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
      + "Co-Authored-By: Claude <noreply@anthropic.com>",
    author: "Zoë \"Z\" Quinn <zoe@example.org>")

  @Test func documentMatchesTheSchema() throws {
    let staged = detector.attribute(
      environment: ["CURSOR_TRACE_ID": "x", "CLAUDECODE": "1"], processChain: ["claude"], identity: (nil, nil))
    let low = detector.attribute(environment: ["CURSOR_TRACE_ID": "x"], processChain: [], identity: (nil, nil))
    let human = AttributionDetector(settings: AttributionSettings(humanIdentities: ["*@example.org"]))
    let rows: [(CommitRecord?, Attribution)] = [
      (tricky, detector.attribute(tricky)),
      (commit("Plain human commit"), detector.attribute(commit("Plain human commit"))),
      (tricky, human.attribute(tricky)),
      (nil, staged),
      (nil, low),
    ]
    let document = AttributionJSON.render(commits: rows)
    #expect(try schemaErrors(document) == nil)
    #expect(document.hasPrefix("{\"schema\":\"agentgate.attribution/1\",\"commits\":[{\"commit\":\"cdcd"))
    let parsed = try #require(
      try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
    let commits = try #require(parsed["commits"] as? [[String: Any]])
    #expect(commits.count == 5)
    #expect(commits[0]["agent"] as? String == "claude-code")
    #expect(commits[0]["subject"] as? String == "Fix \"quotes\" \\ and tabs\t")
    #expect(commits[0]["author"] as? String == "Zoë \"Z\" Quinn <zoe@example.org>")
    #expect(commits[1]["agent"] is NSNull)
    #expect(commits[3]["commit"] is NSNull)
    #expect(commits[4]["confidence"] is NSNull)
    #expect((commits[4]["evidence"] as? [Any])?.count == 1)
  }

  @Test func schemaCheckerRejectsBrokenDocuments() throws {
    let good = AttributionJSON.render(commits: [(tricky, detector.attribute(tricky))])
    #expect(try schemaErrors(good) == nil)
    for (from, to) in [
      ("\"confidence\":\"high\"", "\"confidence\":\"sure\""), ("\"agent\":\"claude-code\"", "\"agent\":\"claude\""),
      ("agentgate.attribution/1", "agentgate.attribution/2"), ("\"source\":\"footer\"", "\"source\":\"prose\""),
    ] {
      let broken = good.replacingOccurrences(of: from, with: to)
      #expect(broken != good)
      #expect(try schemaErrors(broken) != nil, "\(to)")
    }
    let noConfidence =
      "{\"schema\":\"agentgate.attribution/1\",\"commits\":[{\"commit\":null,\"agent\":\"cursor\","
      + "\"confidence\":null,\"evidence\":[]}]}"
    #expect(try schemaErrors(noConfidence) != nil)
  }

  @Test func textLines() {
    let agent = AttributionText.line(commit: tricky, attribution: detector.attribute(tricky))
    #expect(
      agent
        == "cdcdcdcdcdcd  claude-code (high)  footer \"🤖 Generated with [Claude Code](https://claude.com/claude-code)\""
        + " +1 more  Fix \"quotes\" \\ and tabs\t")
    let plain = commit("Fix typo")
    #expect(
      AttributionText.line(commit: plain, attribution: detector.attribute(plain)) == "cdcdcdcdcdcd  human  Fix typo")
    let low = detector.attribute(environment: ["CURSOR_TRACE_ID": "x"], processChain: [], identity: (nil, nil))
    #expect(
      AttributionText.line(commit: nil, attribution: low)
        == "message       human (below threshold: cursor env \"CURSOR_TRACE_ID\")")
    let human = AttributionDetector(settings: AttributionSettings(humanIdentities: ["*@example.org"]))
    #expect(
      AttributionText.line(commit: tricky, attribution: human.attribute(tricky)).hasPrefix(
        "cdcdcdcdcdcd  human (policy: always-human identity *@example.org)"))
  }
}
