// Every report format rendered from the same sample verdict and read back the way its consumer
// reads it: JSON against schemas/verdict.schema.json and through the decoder, SARIF against the
// SARIF 2.1.0 structure, JUnit through an XML parser, annotations as the runner parses them.

import Foundation
import GateCore
import Reporting
import TestSupport
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

func jsonObject(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

@Suite struct VerdictJSONTests {
  @Test func validatesAgainstTheSchema() throws {
    for verdict in [Sample.verdict(), Sample.verdict(shard: "2/4"), Sample.many(3)] {
      let text = Reports.render(verdict, format: .json, options: RenderOptions())
      let r = try validateJSON(text, schemaPath: repositoryRoot + "/schemas/verdict.schema.json")
      #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    }
  }

  @Test func schemaRejectsWhatTheFormatForbids() throws {
    var doc = jsonObject(Reports.render(Sample.verdict(), format: .json, options: RenderOptions())) as! [String: Any]
    doc["decision"] = "maybe"
    let bad = String(decoding: try JSONSerialization.data(withJSONObject: doc), as: UTF8.self)
    let r = try validateJSON(bad, schemaPath: repositoryRoot + "/schemas/verdict.schema.json")
    #expect(r.status == 1)
    #expect(r.stdout.contains("decision"))
  }

  @Test func roundTripsThroughTheDecoder() throws {
    let verdict = Sample.verdict(shard: "1/2")
    let text = VerdictJSON.encode(verdict)
    let decoded = try VerdictJSON.decode(text)
    #expect(VerdictJSON.encode(decoded) == text)
    #expect(decoded.decision == .fail)
    #expect(decoded.shard == "1/2")
    #expect(decoded.commits.map(\.commit.id) == verdict.commits.map(\.commit.id))
    #expect(decoded.commits[2].findings == verdict.commits[2].findings)
    #expect(decoded.commits[2].replay == verdict.commits[2].replay)
    #expect(decoded.commits[1].attribution == verdict.commits[1].attribution)
    #expect(decoded.commits[2].suppressed == 2)
    #expect(decoded.policy == verdict.policy)
  }

  @Test func theFieldsAreWhereTheSchemaSays() throws {
    let doc = jsonObject(VerdictJSON.encode(Sample.verdict())) as! [String: Any]
    #expect(doc["schema"] as? String == "agentgate.verdict/1")
    let commits = doc["commits"] as! [[String: Any]]
    let last = commits[2]
    #expect(last["commit"] as? String == Sample.head)
    #expect((last["author"] as! [String: Any])["email"] as? String == "dev@example.com")
    let finding = (last["findings"] as! [[String: Any]])[0]
    #expect(
      Set(finding.keys) == [
        "rule", "category", "severity", "commit", "path", "line", "column", "fingerprint", "match", "message",
      ])
    let step = ((last["replay"] as! [String: Any])["steps"] as! [[String: Any]])[1]
    #expect(step["limit_hit"] as? String == "memory")
    #expect(step["exit_status"] as? Int == 1)
    #expect(step["peak_memory_bytes"] as? Int == 512 << 20)
  }

  @Test(arguments: [
    ("not json", "not JSON"),
    (#"{"schema":"agentgate.verdict/9"}"#, "agentgate.verdict/9"),
    (#"{"schema":"agentgate.verdict/1","decision":"pass"}"#, "/policy"),
    (#"{"schema":"agentgate.verdict/1","decision":"nope"}"#, "nope"),
  ])
  func decodingErrorsSayWhatIsWrong(input: String, mentions: String) {
    #expect {
      _ = try VerdictJSON.decode(input)
    } throws: { error in
      "\(error)".contains(mentions)
    }
  }

  @Test func jsonParserHandlesEscapesAndRejectsGarbage() throws {
    let v = try JSONValue.parse(#"{"a":"x\u00e9\ud83d\ude00\n\"","b":[1,-2.5e3,true,null]}"#)
    #expect(v["a"]?.stringValue == "xé😀\n\"")
    #expect(v["b"]?.arrayValue?.count == 4)
    #expect(v["b"]?.arrayValue?[1].doubleValue == -2500)
    for bad in ["{", "[1,]", "01", "\"\u{1}\"", "{} x", "tru"] {
      #expect(throws: JSONParseError.self) { try JSONValue.parse(bad) }
    }
    // What the writer escapes, Foundation reads back unchanged.
    let tricky = "quote\" back\\ nl\n tab\t nul\u{0} esc\u{1B} ls\u{2028}"
    let text = JSONValue.object([("s", .string(tricky))]).serialized()
    #expect((jsonObject(text) as? [String: Any])?["s"] as? String == tricky)
  }
}

@Suite struct MergeTests {
  @Test func mergesShards() {
    let a = Sample.verdict(shard: "1/2")
    var b = Sample.many(2)
    b.shard = "2/2"
    b.policy = a.policy
    b.decision = .pass
    let merged = Reports.merge([a, b])
    #expect(merged.shard == nil)
    #expect(merged.commits.count == a.commits.count + b.commits.count)
    #expect(merged.decision == .fail)
    let passOnly = Reports.merge(
      [Sample.verdict(), Sample.verdict()].map { v in
        var v = v
        v.decision = .pass
        return v
      })
    #expect(passOnly.decision == .pass)
  }

  @Test func differentPoliciesMakeAnError() {
    var a = Sample.verdict()
    a.decision = .warn
    var b = Sample.verdict()
    b.decision = .pass
    b.policy = PolicyIdentity(source: "other", hash: "x")
    let merged = Reports.merge([a, b])
    #expect(merged.decision == .error)
    #expect(merged.summary.contains("different policies"))
  }
}

@Suite struct TextReportTests {
  @Test func showsWhatPeopleNeed() {
    let text = Reports.render(Sample.verdict(), format: .text, options: RenderOptions(color: false))
    #expect(text.contains("FAIL  c0ffee000000"))
    #expect(text.contains("agent: codex (medium)"))
    #expect(text.contains("aws-access-key  src/app.swift:12:5  AKIA****(20 chars)"))
    #expect(text.contains("test `swift test` exit 1 12.8s 512 MiB limit: memory"))
    #expect(text.contains("reason: secret aws-access-key (critical) fails"))
    #expect(text.contains("2 finding(s) suppressed"))
    #expect(text.hasSuffix("(policy .agentgate.toml@c0ffee000000)\n"))
    #expect(text.contains("agentgate: FAIL  fail: 3 commits: 1 fail, 1 warn, 1 pass; 3 findings"))
    // Untrusted output is shown, but no terminal escape gets through.
    #expect(!text.unicodeScalars.contains("\u{1B}"))
    #expect(!text.unicodeScalars.contains("\u{7}"))
    #expect(text.contains("\\u{1b}[31mFAILED"))
    // The multi-line message stays on one line.
    #expect(text.contains("A private key, line1\\nline2\\r, 100% bad"))
  }

  @Test func colourOnlyWhenTold() {
    let plain = Reports.render(Sample.verdict(), format: .text, options: RenderOptions(color: false))
    let coloured = Reports.render(Sample.verdict(), format: .text, options: RenderOptions(color: true))
    #expect(!plain.contains("\u{1B}["))
    #expect(coloured.contains("\u{1B}[1;31mFAIL \u{1B}[0m"))
    #expect(coloured.contains("\u{1B}[32mPASS \u{1B}[0m"))
  }
}

/// The structure of SARIF 2.1.0 that consumers rely on, written from the OASIS schema's
/// required properties and enums (sarifLog, run, tool, toolComponent, reportingDescriptor,
/// result, location, physicalLocation, artifactLocation, region, notification).
let sarifStructureSchema = #"""
  {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
      "version": {"const": "2.1.0"},
      "$schema": {"type": "string", "format": "uri"},
      "runs": {"type": "array", "minItems": 1, "maxItems": 20, "items": {"$ref": "#/definitions/run"}}
    },
    "definitions": {
      "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
        "properties": {"text": {"type": "string"}}},
      "run": {
        "type": "object", "required": ["tool"],
        "properties": {
          "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {"$ref": "#/definitions/component"}}},
          "results": {"type": "array", "maxItems": 25000, "items": {"$ref": "#/definitions/result"}},
          "invocations": {"type": "array", "items": {"type": "object", "required": ["executionSuccessful"],
            "properties": {"executionSuccessful": {"type": "boolean"},
              "toolExecutionNotifications": {"type": "array", "items": {"$ref": "#/definitions/notification"}}}}},
          "automationDetails": {"type": "object", "properties": {"id": {"type": "string"}}},
          "properties": {"type": "object"}
        }
      },
      "component": {
        "type": "object", "required": ["name"],
        "properties": {
          "name": {"type": "string"}, "version": {"type": "string"},
          "informationUri": {"type": "string", "format": "uri"},
          "rules": {"type": "array", "maxItems": 25000, "items": {"$ref": "#/definitions/rule"}}
        }
      },
      "rule": {
        "type": "object", "required": ["id"],
        "properties": {
          "id": {"type": "string"},
          "shortDescription": {"type": "object", "required": ["text"]},
          "fullDescription": {"type": "object", "required": ["text"]},
          "defaultConfiguration": {"type": "object",
            "properties": {"level": {"enum": ["none", "note", "warning", "error"]}}},
          "properties": {"type": "object", "properties": {"tags": {"type": "array", "maxItems": 20,
            "items": {"type": "string"}}}}
        }
      },
      "result": {
        "type": "object", "required": ["message"],
        "properties": {
          "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
          "level": {"enum": ["none", "note", "warning", "error"]},
          "message": {"$ref": "#/definitions/message"},
          "locations": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"$ref": "#/definitions/location"}},
          "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
          "properties": {"type": "object"}
        }
      },
      "location": {"type": "object", "properties": {"physicalLocation": {
        "type": "object", "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
        "properties": {
          "artifactLocation": {"type": "object", "required": ["uri"], "properties": {"uri": {"type": "string", "format": "uri-reference"}}},
          "region": {"type": "object", "properties": {"startLine": {"type": "integer", "minimum": 1},
            "startColumn": {"type": "integer", "minimum": 1}}}
        }}}},
      "notification": {"type": "object", "required": ["message"],
        "properties": {"message": {"$ref": "#/definitions/message"},
          "level": {"enum": ["none", "note", "warning", "error"]}}}
    }
  }
  """#

@Suite struct SARIFTests {
  func validate(_ text: String) throws -> ProcessResult {
    let dir = TempDir()
    try dir.write("sarif.schema.json", sarifStructureSchema)
    return try validateJSON(text, schemaPath: dir.file("sarif.schema.json"))
  }

  @Test func validatesAndCarriesLocationsRulesAndFingerprints() throws {
    let text = Reports.render(Sample.verdict(), format: .sarif, options: RenderOptions())
    let r = try validate(text)
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    let run = ((jsonObject(text) as! [String: Any])["runs"] as! [[String: Any]])[0]
    let rules = ((run["tool"] as! [String: Any])["driver"] as! [String: Any])["rules"] as! [[String: Any]]
    let results = run["results"] as! [[String: Any]]
    #expect(results.count == 3)
    // Most severe first; each ruleIndex points at its rule.
    #expect(results.map { $0["level"] as! String } == ["error", "error", "warning"])
    for res in results {
      let index = res["ruleIndex"] as! Int
      #expect(rules[index]["id"] as? String == res["ruleId"] as? String)
      let fp = res["partialFingerprints"] as! [String: String]
      #expect(fp["agentgateFingerprint/v1"]?.hasPrefix("fp-") == true)
    }
    let key = results.first { $0["ruleId"] as? String == "private-key" }!
    let phys = ((key["locations"] as! [[String: Any]])[0]["physicalLocation"]) as! [String: Any]
    // Reserved characters in the path are percent-encoded per segment.
    #expect((phys["artifactLocation"] as! [String: Any])["uri"] as? String == "deploy/id%20rsa%25,:.pem")
    #expect((phys["region"] as! [String: Any])["startLine"] as? Int == 1)
    let aws = rules.first { $0["id"] as? String == "aws-access-key" }!
    #expect((aws["defaultConfiguration"] as! [String: Any])["level"] as? String == "error")
    #expect((aws["properties"] as! [String: Any])["security-severity"] as? String == "9.5")
  }

  @Test func cutsToTheResultCapAndSaysSo() throws {
    let verdict = Sample.many(30) { $0 % 3 == 0 ? .critical : .low }
    let text = Reports.render(verdict, format: .sarif, options: RenderOptions())
    #expect((try validate(text)).status == 0)
    let capped = SARIFReportProbe.render(verdict, maxResults: 12, maxBytes: 9_500_000)
    let run = ((jsonObject(capped) as! [String: Any])["runs"] as! [[String: Any]])[0]
    let results = run["results"] as! [[String: Any]]
    #expect(results.count == 12)
    // The ten criticals survive the cut.
    #expect(results.filter { $0["level"] as? String == "error" }.count == 10)
    let props = run["properties"] as! [String: Any]
    #expect(props["truncated"] as? Bool == true)
    #expect(props["omittedResults"] as? Int == 18)
    let notes = ((run["invocations"] as! [[String: Any]])[0]["toolExecutionNotifications"]) as! [[String: Any]]
    #expect(((notes[0]["message"] as! [String: Any])["text"] as! String).contains("18 of 30 results were left out"))
  }

  @Test func cutsToTheByteBudget() throws {
    let verdict = Sample.many(400)
    let full = Reports.render(verdict, format: .sarif, options: RenderOptions())
    let budget = 250_000
    let capped = SARIFReportProbe.render(verdict, maxResults: 25_000, maxBytes: budget)
    #expect(full.utf8.count > budget - 200_000)
    #expect(capped.utf8.count <= budget)
    let run = ((jsonObject(capped) as! [String: Any])["runs"] as! [[String: Any]])[0]
    #expect((run["properties"] as! [String: Any])["truncated"] as? Bool == true)
    #expect((try validate(capped)).status == 0)
  }
}

/// Reaches the SARIF renderer's limits (internal) through the public entry with small caps.
enum SARIFReportProbe {
  static func render(_ v: Verdict, maxResults: Int, maxBytes: Int) -> String {
    Reports.renderSARIF(v, options: RenderOptions(), maxResults: maxResults, maxBytes: maxBytes)
  }
}

/// Collects the JUnit elements the way CI systems read them.
final class JUnitReader: NSObject, XMLParserDelegate {
  struct Case {
    var classname = ""
    var name = ""
    var failure: [String: String]?
    var error: [String: String]?
    var text = ""
  }
  struct Suite {
    var attributes: [String: String]
    var cases: [Case] = []
    var properties: [String: String] = [:]
  }
  var root: [String: String] = [:]
  var rootName = ""
  var suites: [Suite] = []
  var current: Case?
  var inText = false

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    switch name {
    case "testsuites":
      rootName = name
      root = attributes
    case "testsuite": suites.append(Suite(attributes: attributes))
    case "property": suites[suites.count - 1].properties[attributes["name"] ?? ""] = attributes["value"]
    case "testcase": current = Case(classname: attributes["classname"] ?? "", name: attributes["name"] ?? "")
    case "failure":
      current?.failure = attributes
      inText = true
    case "error":
      current?.error = attributes
      inText = true
    case "system-out": inText = true
    default: break
    }
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if inText { current?.text += string }
  }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    if ["failure", "error", "system-out"].contains(name) { inText = false }
    if name == "testcase", let c = current {
      suites[suites.count - 1].cases.append(c)
      current = nil
    }
  }
}

@Suite struct JUnitTests {
  func parse(_ xml: String) -> (JUnitReader, Bool) {
    let parser = XMLParser(data: Data(xml.utf8))
    let reader = JUnitReader()
    parser.delegate = reader
    return (reader, parser.parse())
  }

  @Test func parsesBackWithTheShapeCISystemsRead() {
    let xml = Reports.render(Sample.verdict(), format: .junit, options: RenderOptions())
    let (r, ok) = parse(xml)
    #expect(ok)
    #expect(r.rootName == "testsuites")
    #expect(r.suites.count == 3)
    var failures = 0
    var errors = 0
    var tests = 0
    for s in r.suites {
      #expect(Int(s.attributes["tests"] ?? "") == s.cases.count)
      #expect(Int(s.attributes["failures"] ?? "") == s.cases.filter { $0.failure != nil }.count)
      #expect(Int(s.attributes["errors"] ?? "") == s.cases.filter { $0.error != nil }.count)
      #expect(s.cases.last?.name == "decision")
      failures += s.cases.filter { $0.failure != nil }.count
      errors += s.cases.filter { $0.error != nil }.count
      tests += s.cases.count
    }
    #expect(Int(r.root["tests"] ?? "") == tests)
    #expect(Int(r.root["failures"] ?? "") == failures)
    #expect(Int(r.root["errors"] ?? "") == errors)
    // The failed commit: two findings, the failed test step and the decision fail.
    let failed = r.suites[2]
    #expect(failed.properties["commit"] == Sample.head)
    #expect(failed.properties["agent"] == "codex")
    #expect(failed.cases.filter { $0.failure != nil }.count == 4)
    #expect(
      failed.cases.first { $0.name.hasPrefix("replay 2 test") }?.failure?["message"] == "test failed: limit memory hit")
    // The warned commit's finding is reported, not failed.
    #expect(r.suites[1].cases.allSatisfy { $0.failure == nil })
    // Escaped text comes back exactly.
    #expect(r.suites[1].attributes["name"] == "commit c0ffee000000: Tweak CI, with \"quotes\" & <angles>")
    // Characters XML cannot carry were replaced, the rest kept.
    let tail = failed.cases.first { $0.name.hasPrefix("replay 2") }!.text
    #expect(tail.contains("\u{FFFD}[31mFAILED\u{FFFD}[0m <&>\u{FFFD}"))
  }

  @Test func anUnjudgedCommitIsAnError() {
    var v = Sample.verdict()
    v.commits[0].decision = .error
    v.commits[0].reasons = ["sandbox unavailable: bwrap missing"]
    let (r, ok) = parse(Reports.render(v, format: .junit, options: RenderOptions()))
    #expect(ok)
    #expect(r.suites[0].cases.last?.error?["message"] == "sandbox unavailable: bwrap missing")
    #expect(r.root["errors"] == "1")
  }
}

@Suite struct AnnotationTests {
  @Test func escapesDataAndProperties() {
    let text = Reports.render(Sample.verdict(), format: .githubAnnotations, options: RenderOptions())
    let lines = text.split(separator: "\n").map(String.init)
    let key = lines.first { $0.contains("private-key") }!
    #expect(key.hasPrefix("::error file=deploy/id rsa%25%2C%3A.pem,line=1,col=1,title=agentgate%3A private-key::"))
    #expect(key.contains("A private key, line1%0Aline2%0D, 100%25 bad: really"))
    // Every command stays on one line.
    #expect(lines.allSatisfy { !$0.contains("\r") })
    #expect(text.contains("::warning file=.github/workflows/ci.yml,line=3,title=agentgate%3A ci-config-change::"))
    #expect(text.contains("::error title=agentgate%3A replay::replay failed for commit c0ffee000000"))
    #expect(text.contains("::error title=agentgate%3A fail::commit c0ffee000000 (agent: codex) Add deploy script"))
  }

  @Test func capsPerStepAndSaysHowManyWereLeftOut() {
    let v = Sample.many(40) { i in [.critical, .medium, .low, .low][i % 4] }
    let text = Reports.render(v, format: .githubAnnotations, options: RenderOptions())
    let lines = text.split(separator: "\n").map(String.init)
    let errors = lines.filter { $0.hasPrefix("::error ") }.count
    let warnings = lines.filter { $0.hasPrefix("::warning ") }.count
    let notices = lines.filter { $0.hasPrefix("::notice ") }.count
    // 10 critical + 1 commit-level error → 10 errors; 10 medium → 10 warnings; 20 low → 9 + the note.
    #expect(errors == 10)
    #expect(warnings == 10)
    #expect(notices == 10)
    let all = 40 + 1
    #expect(text.contains("::notice title=agentgate::\(all - 29) more annotations left out"))
    #expect(text.contains("agentgate: \(all - 29) more annotations left out"))
  }

  @Test func capsPerJob() {
    let v = Sample.many(30)
    let limits = AnnotationLimits(errorsPerStep: 10, warningsPerStep: 10, noticesPerStep: 10, perJob: 4)
    let text = Reports.render(v, format: .githubAnnotations, options: RenderOptions(annotationLimits: limits))
    let commands = text.split(separator: "\n").filter { $0.hasPrefix("::") }
    #expect(commands.count == 4)
    #expect(text.contains("28 more annotations left out"))
  }

  @Test func stepSummaryEscapesAndFitsTheLimit() throws {
    var v = Sample.verdict()
    v.commits[2].commit.message = "Evil | [link](http://x) <img src=x> `code`"
    let md = Reports.stepSummary(v)
    #expect(md.hasPrefix("## agentgate: ❌ FAIL"))
    #expect(md.contains("Evil \\| \\[link\\]\\(http://x\\) &lt;img src=x&gt; \\`code\\`"))
    let tableRows = md.split(separator: "\n").filter { $0.hasPrefix("| `") }
    #expect(tableRows.count == 3)
    let small = Reports.stepSummary(Sample.many(2000), limit: 20_000)
    #expect(small.utf8.count <= 20_000)
    #expect(small.hasSuffix("the summary was cut to GitHub's 1 MiB limit; the JSON report has everything._\n"))

    let dir = TempDir()
    try dir.write("summary.md", "# earlier step\n")
    try Reports.appendStepSummary(v, path: dir.file("summary.md"))
    let written = try String(contentsOfFile: dir.file("summary.md"), encoding: .utf8)
    #expect(written.hasPrefix("# earlier step\n## agentgate"))
  }
}

@Suite struct GitLabReportTests {
  static let codeQualitySchema = #"""
    {"$schema": "http://json-schema.org/draft-07/schema#", "type": "array", "items": {
      "type": "object", "required": ["description", "check_name", "fingerprint", "severity", "location"],
      "properties": {
        "description": {"type": "string", "minLength": 1}, "check_name": {"type": "string", "minLength": 1},
        "fingerprint": {"type": "string", "minLength": 1},
        "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
        "location": {"type": "object", "required": ["path", "lines"], "properties": {
          "path": {"type": "string"}, "lines": {"type": "object", "required": ["begin"],
            "properties": {"begin": {"type": "integer", "minimum": 1}}}}}}}}
    """#

  /// The required structure of GitLab's secret-detection-report-format 15.0.1.
  static let secretDetectionSchema = #"""
    {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
     "required": ["scan", "version", "vulnerabilities"],
     "properties": {
       "version": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$"},
       "scan": {"type": "object", "required": ["analyzer", "end_time", "scanner", "start_time", "status", "type"],
         "properties": {
           "analyzer": {"$ref": "#/definitions/tool"}, "scanner": {"$ref": "#/definitions/tool"},
           "start_time": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$"},
           "end_time": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$"},
           "status": {"enum": ["success", "failure"]}, "type": {"enum": ["secret_detection"]},
           "messages": {"type": "array", "items": {"type": "object", "required": ["level", "value"],
             "properties": {"level": {"enum": ["info", "warn", "fatal"]}, "value": {"type": "string", "minLength": 1}}}}}},
       "vulnerabilities": {"type": "array", "items": {"type": "object", "required": ["id", "identifiers", "location"],
         "properties": {
           "id": {"type": "string", "minLength": 1}, "name": {"type": "string", "maxLength": 255},
           "description": {"type": "string", "maxLength": 1048576},
           "severity": {"enum": ["Info", "Unknown", "Low", "Medium", "High", "Critical"]},
           "identifiers": {"type": "array", "minItems": 1, "items": {"type": "object",
             "required": ["type", "name", "value"], "properties": {"type": {"type": "string", "minLength": 1},
             "name": {"type": "string", "minLength": 1}, "value": {"type": "string", "minLength": 1}}}},
           "location": {"type": "object", "required": ["commit"], "properties": {
             "file": {"type": "string"}, "start_line": {"type": "number"},
             "commit": {"type": "object", "required": ["sha"], "properties": {"sha": {"type": "string", "minLength": 1}}}}}}}}},
     "definitions": {"tool": {"type": "object", "required": ["id", "name", "version", "vendor"], "properties": {
       "id": {"type": "string", "minLength": 1}, "name": {"type": "string", "minLength": 1},
       "version": {"type": "string", "minLength": 1},
       "vendor": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}}}}}
    """#

  @Test func codeQualityValidatesWithUniqueFingerprints() throws {
    let dir = TempDir()
    try dir.write("cq.json", Self.codeQualitySchema)
    let v = Reports.merge([Sample.verdict(), Sample.verdict()])
    let text = Reports.render(v, format: .gitlabCodequality, options: RenderOptions())
    let r = try validateJSON(text, schemaPath: dir.file("cq.json"))
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    let issues = jsonObject(text) as! [[String: Any]]
    // The same finding twice (two shards) is one issue.
    #expect(issues.count == 3)
    #expect(Set(issues.map { $0["fingerprint"] as! String }).count == 3)
    #expect(issues.map { $0["severity"] as! String }.sorted() == ["blocker", "critical", "major"])
  }

  @Test func secretDetectionValidates() throws {
    let dir = TempDir()
    try dir.write("sd.json", Self.secretDetectionSchema)
    let opts = RenderOptions(startedAt: Date(timeIntervalSince1970: 1_767_225_600))
    let text = Reports.render(Sample.verdict(), format: .gitlabSecretDetection, options: opts)
    let r = try validateJSON(text, schemaPath: dir.file("sd.json"))
    #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
    let doc = jsonObject(text) as! [String: Any]
    let vulns = doc["vulnerabilities"] as! [[String: Any]]
    #expect(vulns.count == 2)  // the risk finding is not a secret
    #expect((doc["scan"] as! [String: Any])["start_time"] as? String == "2026-01-01T00:00:00")
    let loc = vulns[0]["location"] as! [String: Any]
    #expect((loc["commit"] as! [String: Any])["sha"] as? String == Sample.head)
    #expect(vulns[0]["severity"] as? String == "Critical")
  }
}
