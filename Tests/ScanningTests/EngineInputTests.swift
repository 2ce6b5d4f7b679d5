// Engine tests: plain files and directories, non-UTF-8 content, a 50 MiB file, concurrent scans,
// gitleaks TOML rules and the findings JSON against its schema.

import Foundation
import GateCore
import Scanning
import Synchronization
import TestSupport
import Testing

@Suite struct EngineInputTests {
  @Test func directoryScanSkipsGitAndReportsBinaries() throws {
    let dir = TempDir()
    try dir.write("src/app.env", "TOKEN=\(demoSecret)\n")
    try dir.write(".git/config", "[remote]\n  token = \(demoSecret)\n")
    try dir.write("sub/.git/HEAD", "token = \(demoSecret)\n")
    try dir.write("img/logo.png", Data([0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 1] + Array("dmo_abcdefghij0123456789".utf8)))
    try FileManager.default.createSymbolicLink(
      atPath: dir.file("link.env"), withDestinationPath: dir.file("src/app.env"))
    let scanner = try Scanner(rules: [demoRule])
    let r = try scanner.scan(paths: [dir.path])
    #expect(r.findings.map(\.rule) == ["skipped-binary", "demo-token"])
    #expect(r.findings.map(\.path) == [dir.file("img/logo.png"), dir.file("src/app.env")])
    #expect(r.findings[1].line == 1 && r.findings[1].column == 7 && r.findings[1].commit == nil)
    #expect(r.findings[0].severity == .low)
    // A file named directly is scanned too.
    #expect(try scanner.scan(paths: [dir.file("src/app.env")]).findings.count == 1)
  }

  @Test func missingPathIsAnError() throws {
    let scanner = try Scanner(rules: [demoRule])
    #expect(throws: ScanError.pathNotFound("/nonexistent/agentgate-x")) {
      try scanner.scan(paths: ["/nonexistent/agentgate-x"])
    }
  }

  @Test func nonUTF8FileIsScannedWithoutFailing() throws {
    let dir = TempDir()
    // Latin-1 text with bytes that are invalid UTF-8, a secret after them on the same line, and a
    // truncated multi-byte sequence at the end of the file.
    var bytes = Array("caf\u{E9}".utf8.prefix(3)) + [0xE9, 0x20, 0xFF, 0xFE] + Array(" t=\(demoSecret)\n".utf8)
    bytes += Array("second \(demoSecret)\n".utf8) + [0xC3]
    try dir.write("latin1.txt", Data(bytes))
    let r = try Scanner(rules: [demoRule]).scan(paths: [dir.file("latin1.txt")])
    #expect(r.findings.map(\.line) == [1, 2])
    #expect(r.findings.map(\.column) == [11, 8])
    // The same bytes as a commit's added block.
    let block = LineBlock(bytes: Array(bytes.dropLast(2)), starts: [0, 35], numbers: [3, 4])
    let file = FileDiff(path: "latin1.txt", status: .modified, changes: LazyLineChanges(LineChanges(added: block)))
    let c = try Scanner(rules: [demoRule]).scan(commitChange([file]), isAgent: false)
    #expect(c.findings.map(\.line) == [3, 4])
  }

  @Test func fiftyMebibyteFileIsStreamedAndScanned() throws {
    let dir = TempDir()
    let path = dir.file("big.log")
    let line = Array("2026-11-29 12:00:00 INFO request handled in 12 ms status ok path /api/v1/items\n".utf8)
    let lineCount = 50 * 1024 * 1024 / line.count + 1
    var chunk: [UInt8] = []
    chunk.reserveCapacity(line.count * 4096)
    for _ in 0..<4096 { chunk += line }
    FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    var written = 0
    while written + 4096 <= lineCount {
      handle.write(Data(chunk))
      written += 4096
    }
    for _ in written..<lineCount { handle.write(Data(line)) }
    handle.write(Data("last line token = \(demoSecret)\n".utf8))
    try handle.close()
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    #expect(size > 50 * 1024 * 1024)
    let scanner = try Scanner(rules: [demoRule])
    let r = try scanner.scan(paths: [path])
    #expect(r.findings.count == 1)
    #expect(r.findings.first?.line == lineCount + 1)
    // Each 16 MiB chunk is scanned without its final newline.
    #expect(r.bytesScanned >= size - 8 && r.bytesScanned < size)
    // Over the configured limit: reported as skipped, not read.
    let small = try Scanner(rules: [demoRule], options: ScanOptions(maxFileBytes: 10 * 1024 * 1024))
    let s = try small.scan(paths: [path])
    #expect(s.findings.map(\.rule) == ["skipped-too-large"])
    #expect(s.bytesScanned == 0)
  }

  @Test func largeBlocksAreWindowedWithoutLosingOrDuplicatingMatches() throws {
    // 12 MiB of lines: over the parallel threshold, so windows run on both cores. Secrets every
    // 997 lines and multi-line blocks placed across window boundaries must all be found once.
    let multi = PatternRule(
      id: "multi-line-block", description: "d", keywords: ["begin-x"], pattern: #"BEGIN-X[\s\S]{10,4000}?END-X"#,
      positives: [], negatives: [])
    var lines: [String] = []
    var expected: [(String, Int)] = []
    let filler = "the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz"
    var bytes = 0
    while bytes < 12 * 1024 * 1024 {
      let n = lines.count + 1
      if n % 997 == 0 {
        lines.append("t = \(demoSecret)")
        expected.append(("demo-token", n))
      } else if n % 5003 == 0 {
        lines.append("BEGIN-X")
        for k in 0..<30 { lines.append("body line \(k) \(filler)") }
        lines.append("END-X")
        expected.append(("multi-line-block", n))
      } else {
        lines.append(filler)
      }
      bytes += lines.last!.utf8.count + 1
    }
    let text = lines.joined(separator: "\n")
    let two = try Scanner(rules: [demoRule, multi], options: ScanOptions(parallelism: 2)).scanText(text, path: "a")
    let one = try Scanner(rules: [demoRule, multi], options: ScanOptions(parallelism: 1)).scanText(text, path: "a")
    #expect(two.findings.map(\.rule) == expected.map(\.0))
    #expect(two.findings.map(\.line) == expected.map(\.1))
    #expect(one.findings == two.findings)
    #expect(two.bytesScanned == text.utf8.count)
  }

  @Test func concurrentScansAgreeWithSequentialOnes() throws {
    let scanner = try Scanner(rules: [demoRule, otherRule])
    let changes = (0..<64).map { i in
      commitChange(
        (0..<(i % 12 + 1)).map { f in
          added("f\(f).txt", ["x = \(i)", i % 3 == 0 ? "t = \(demoSecret)" : "nothing", "oth-0123456789abcdef"])
        }, id: String(format: "%040x", i))
    }
    let sequential = changes.map { scanner.scan($0, isAgent: false).findings }
    let parallel = Mutex<[Int: [Finding]]>([:])
    DispatchQueue.concurrentPerform(iterations: changes.count) { i in
      let f = scanner.scan(changes[i], isAgent: false).findings
      parallel.withLock { $0[i] = f }
    }
    let all = parallel.withLock { $0 }
    for i in changes.indices { #expect(all[i] == sequential[i]) }
    #expect(sequential[0].count == 2 && sequential[1].count == 2)
  }
}

@Suite struct EngineFormatTests {
  static let gitleaksTOML = #"""
    title = "team rules"

    [extend]
    useDefault = true

    [[rules]]
    id = "acme-api-key"
    description = "ACME API key"
    regex = '''(?i)acme[_-]?key\s*[:=]\s*["']?(acme_[a-z0-9]{24})'''
    secretGroup = 1
    entropy = 3.0
    keywords = ["ACME"]
      [rules.allowlist]
      stopwords = ["example"]

    [[rules]]
    id = "internal-host-token"
    description = "Internal host token"
    regex = '''iht-([0-9a-f]{32})'''
    keywords = ["iht-"]
    [[rules.allowlists]]
    paths = ['''(^|/)testdata/''']
    [[rules.allowlists]]
    regexTarget = "line"
    regexes = ['''^\s*#''']

    [[rules]]
    id = "keystore-file"
    description = "A Java key store"
    path = '''\.jks$'''

    [allowlist]
    paths = ['''^third_party/''']
    """#

  @Test func gitleaksTOMLLoadsAsIs() throws {
    let rules = try GitleaksRules.load(toml: Self.gitleaksTOML)
    #expect(rules.map(\.id) == ["acme-api-key", "internal-host-token", "keystore-file"])
    #expect(rules[0].keywords == ["acme"] && rules[0].secretGroup == 1 && rules[0].entropy == 3.0)
    #expect(rules[1].secretGroup == -1)
    let scanner = try Scanner(rules: rules, options: ScanOptions(redact: false))
    let key = "acme_k3j9x0q2m5n8b1v4c7z6l0p2"
    let hex = "0123456789abcdef0123456789abcdef"
    let change = commitChange([
      added("app/config.py", ["ACME_KEY = \"\(key)\"", "tok = iht-\(hex)", "# iht-\(hex)"]),
      added("app/docs.md", ["acme-key: acme_examplek3j9x0q2m5n8b1v4c"]),
      added("testdata/t.txt", ["iht-\(hex)"]),
      added("third_party/lib.py", ["ACME_KEY = \"\(key)\""]),
      FileDiff(path: "keys/app.jks", status: .added, added: []),
    ])
    let r = scanner.scan(change, isAgent: false)
    #expect(r.findings.map(\.rule) == ["acme-api-key", "internal-host-token", "keystore-file"])
    #expect(r.findings.map(\.match) == [key, hex, "keys/app.jks"])
    #expect(r.findings.map(\.line) == [1, 2, nil])
  }

  @Test(arguments: [
    ("[[rules]]\nid = \"x\"\nregex = 'a'\n[[rules]]\nid = \"Bad Id\"\nregex = 'b'", "line 4", "Bad Id"),
    ("[[rules]]\nid = \"no-regex\"\n", "line 1", "neither 'regex' nor 'path'"),
    ("[[rules]]\nid = \"bad-group\"\nregex = 'a'\nsecretGroup = \"one\"\n", "line 4", "secretGroup"),
    ("title = \"x\"\n", "", "no [[rules]]"),
    ("[[rules]\nid = 1", "line 1", ""),
    ("[[rules]]\nid = \"t\"\nregex = 'a'\n[rules.allowlist]\nregexTarget = \"file\"\n", "line 5", "regexTarget"),
  ])
  func invalidGitleaksFilesAreErrorsWithLines(_ text: String, _ line: String, _ part: String) {
    do {
      _ = try GitleaksRules.load(toml: text)
      Issue.record("accepted: \(text)")
    } catch {
      let text = error.description
      #expect((line.isEmpty || text.contains(line)) && (part.isEmpty || text.contains(part)), "\(text)")
    }
  }

  @Test func gitleaksRuleWithABadRegexNamesTheRuleAtLoad() throws {
    let rules = try GitleaksRules.load(toml: "[[rules]]\nid = \"broken-one\"\nregex = '''(?<x'''\n")
    #expect(throws: ScanError.self) { try Scanner(rules: rules) }
    do { _ = try Scanner(rules: rules) } catch { #expect(error.description.contains("rule 'broken-one'")) }
  }

  @Test func findingsJSONValidatesAgainstTheSchema() throws {
    let scanner = try Scanner(rules: [demoRule])
    var file = FileDiff(path: "bin/tool", status: .added, added: [])
    file.skipped = .binary
    let r = scanner.scan(
      commitChange([added("we \"ird\"\\path\n.txt", ["t = \(demoSecret)  # note\u{1}"]), file]), isAgent: false)
    let staged = scanner.scan(commitChange([added("a.txt", ["t = \(demoSecret)"])], id: nil), isAgent: false)
    let dir = TempDir()
    let documents = [
      FindingsJSON.render(r.findings, suppressed: 3), FindingsJSON.render(staged.findings, suppressed: 0),
      FindingsJSON.render([], suppressed: 0),
    ]
    for (i, doc) in documents.enumerated() { try dir.write("doc\(i).json", doc) }
    let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("schemas/findings.schema.json").path
    let script = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1]))
      jsonschema.Draft202012Validator.check_schema(schema)
      for p in sys.argv[2:]:
          jsonschema.validate(json.load(open(p)), schema, cls=jsonschema.Draft202012Validator)
      print("ok", len(sys.argv) - 2)
      """
    let out = try runProcess(
      ["python3", "-c", script, schema] + documents.indices.map { dir.file("doc\($0).json") }, timeout: 60)
    #expect(out.status == 0, "\(out.stderr)")
    #expect(out.stdout == "ok 3\n")
    let parsed = try JSONSerialization.jsonObject(with: Data(documents[0].utf8)) as! [String: Any]
    let findings = parsed["findings"] as! [[String: Any]]
    #expect(findings.count == 2 && parsed["suppressed"] as? Int == 3)
    #expect(findings[0]["path"] as? String == "we \"ird\"\\path\n.txt")
    #expect(findings[1]["line"] is NSNull)
    let stagedParsed = try JSONSerialization.jsonObject(with: Data(documents[1].utf8)) as! [String: Any]
    #expect(((stagedParsed["findings"] as! [[String: Any]])[0]["commit"]) is NSNull)
  }
}
