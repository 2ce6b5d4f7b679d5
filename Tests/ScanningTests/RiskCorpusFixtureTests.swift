// The risk corpus as JSON (`Fixtures/risk-corpus.json`), for the CLI end-to-end test, which lives
// in another test target and cannot import this one. `RiskCorpus.swift` is the source; this test
// proves the fixture current. To regenerate it after editing the corpus:
//   AGENTGATE_UPDATE_FIXTURES=1 swift test --filter RiskCorpusFixtureTests

import Foundation
import Testing

enum RiskCorpusFixture {
  static var path: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/risk-corpus.json")
      .path
  }

  /// The corpus: `{"schema", "base": {path: text}, "executables": [path], "cases": [{"name", "risky",
  /// "rule"?, "changes": [{"op": write|bytes|delete|symlink, "path", "content"?, "base64"?,
  /// "executable"?, "target"?}]}]}`.
  static func json() throws -> Data {
    var cases: [[String: Any]] = []
    for c in RiskCorpus.cases {
      var changes: [[String: Any]] = []
      for change in c.changes {
        switch change {
        case .write(let p, let text): changes.append(["op": "write", "path": p, "content": text, "executable": false])
        case .writeExecutable(let p, let text):
          changes.append(["op": "write", "path": p, "content": text, "executable": true])
        case .writeBytes(let p, let bytes, let executable):
          changes.append([
            "op": "bytes", "path": p, "base64": Data(bytes).base64EncodedString(), "executable": executable,
          ])
        case .delete(let p): changes.append(["op": "delete", "path": p])
        case .symlink(let p, let target): changes.append(["op": "symlink", "path": p, "target": target])
        }
      }
      var item: [String: Any] = ["name": c.name, "risky": c.expectRisky, "changes": changes]
      if let rule = c.expectedRule { item["rule"] = rule }
      cases.append(item)
    }
    let root: [String: Any] = [
      "schema": "agentgate.risk-corpus/1", "base": RiskCorpus.baseFiles,
      "executables": RiskCorpus.baseExecutables.sorted(), "cases": cases,
    ]
    var data = try JSONSerialization.data(
      withJSONObject: root, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    data.append(0x0A)
    return data
  }
}

@Suite struct RiskCorpusFixtureTests {
  @Test func fixtureMatchesTheCorpus() throws {
    let expected = try RiskCorpusFixture.json()
    if ProcessInfo.processInfo.environment["AGENTGATE_UPDATE_FIXTURES"] == "1" {
      try FileManager.default.createDirectory(
        atPath: URL(fileURLWithPath: RiskCorpusFixture.path).deletingLastPathComponent().path,
        withIntermediateDirectories: true)
      try expected.write(to: URL(fileURLWithPath: RiskCorpusFixture.path))
    }
    let actual = FileManager.default.contents(atPath: RiskCorpusFixture.path)
    #expect(
      actual == expected,
      "Tests/ScanningTests/Fixtures/risk-corpus.json is not current: run AGENTGATE_UPDATE_FIXTURES=1 swift test --filter RiskCorpusFixtureTests"
    )
  }

  @Test func fixtureRoundTripsEveryCase() throws {
    let object = try JSONSerialization.jsonObject(with: RiskCorpusFixture.json()) as? [String: Any]
    let cases = try #require(object?["cases"] as? [[String: Any]])
    #expect(cases.map { $0["name"] as? String } == RiskCorpus.cases.map(\.name))
    #expect(cases.compactMap { $0["rule"] as? String } == RiskCorpus.cases.compactMap(\.expectedRule))
    let base = try #require(object?["base"] as? [String: String])
    #expect(base == RiskCorpus.baseFiles)
  }
}
