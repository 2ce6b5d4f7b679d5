import TOML
import Testing

private func parse(_ text: String) throws -> TOMLTable { try TOML.parse(text) }

private func table(_ v: TOMLValue?) -> TOMLTable? {
  if case .table(let t) = v { return t }
  return nil
}

private func array(_ v: TOMLValue?) -> [TOMLValue]? {
  if case .array(let a) = v { return a }
  return nil
}

@Suite struct TOMLValueTests {
  @Test(arguments: [
    ("a = \"hello\"", TOMLValue.string("hello")),
    ("a = 'C:\\Users\\x'", .string("C:\\Users\\x")),
    ("a = \"tab\\there\\n\\\"q\\\" \\\\ \\b\\f\\r\"", .string("tab\there\n\"q\" \\ \u{08}\u{0C}\r")),
    ("a = \"\\u00e9\\U0001F600\"", .string("é😀")),
    ("a = \"\"", .string("")),
    ("a = 42", .integer(42)),
    ("a = +17", .integer(17)),
    ("a = -17", .integer(-17)),
    ("a = 0", .integer(0)),
    ("a = 1_000_000", .integer(1_000_000)),
    ("a = 0xDEAD_beef", .integer(0xDEAD_BEEF)),
    ("a = 0o755", .integer(0o755)),
    ("a = 0b1101", .integer(13)),
    ("a = 9223372036854775807", .integer(Int64.max)),
    ("a = -9223372036854775808", .integer(Int64.min)),
    ("a = 3.1415", .float(3.1415)),
    ("a = -0.01", .float(-0.01)),
    ("a = 5e+22", .float(5e22)),
    ("a = 1e06", .float(1e6)),
    ("a = -2E-2", .float(-0.02)),
    ("a = 6.626e-34", .float(6.626e-34)),
    ("a = 224_617.445_991", .float(224_617.445_991)),
    ("a = inf", .float(.infinity)),
    ("a = -inf", .float(-.infinity)),
    ("a = true", .bool(true)),
    ("a = false", .bool(false)),
    ("a = 1979-05-27T07:32:00Z", .datetime("1979-05-27T07:32:00Z")),
    ("a = 1979-05-27T00:32:00.999999-07:00", .datetime("1979-05-27T00:32:00.999999-07:00")),
    ("a = 1979-05-27 07:32:00Z", .datetime("1979-05-27 07:32:00Z")),
    ("a = 1979-05-27T07:32:00", .datetime("1979-05-27T07:32:00")),
    ("a = 1979-05-27", .datetime("1979-05-27")),
    ("a = 07:32:00", .datetime("07:32:00")),
    ("a = 00:32:00.999", .datetime("00:32:00.999")),
    ("a = []", .array([])),
    ("a = [1, 2, 3]", .array([.integer(1), .integer(2), .integer(3)])),
    ("a = [\"x\", 1, 2.5, true]", .array([.string("x"), .integer(1), .float(2.5), .bool(true)])),
    ("a = [[1], ['b']]", .array([.array([.integer(1)]), .array([.string("b")])])),
    ("a = {}", .table(TOMLTable())),
  ])
  func scalarAndArrayValues(_ source: String, _ expected: TOMLValue) throws {
    let t = try parse(source)
    #expect(t["a"] == expected)
    #expect(t.line(of: "a") == 1)
  }

  @Test func nanIsAFloat() throws {
    guard case .float(let d) = try parse("a = nan")["a"] else {
      Issue.record("nan did not parse as a float")
      return
    }
    #expect(d.isNaN)
  }

  @Test func multilineBasicStrings() throws {
    let t = try parse(
      """
      a = \"\"\"
      Roses are red
      Violets are blue\"\"\"
      b = \"\"\"The quick \\
          brown \\


          fox.\"\"\"
      c = \"\"\"Here are two quotation marks: "". Simple enough.\"\"\"
      d = \"\"\"She said "yes"\"\"\"\"
      e = \"\"\"\\u0041\\tB\"\"\"
      """)
    #expect(t["a"] == .string("Roses are red\nViolets are blue"))
    #expect(t["b"] == .string("The quick brown fox."))
    #expect(t["c"] == .string("Here are two quotation marks: \"\". Simple enough."))
    #expect(t["d"] == .string("She said \"yes\"\""))
    #expect(t["e"] == .string("A\tB"))
    #expect(t.line(of: "b") == 4)
    #expect(t.line(of: "c") == 9)
  }

  @Test func multilineLiteralStrings() throws {
    let t = try parse(
      """
      re = '''I [dw]on't need \\d{2} apples'''
      lines = '''
      The first newline is
      trimmed in raw strings.
         All other whitespace
         is preserved.
      '''
      q = ''''That,' she said, 'is still pointless.''''
      """)
    #expect(t["re"] == .string("I [dw]on't need \\d{2} apples"))
    #expect(
      t["lines"]
        == .string("The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n"))
    #expect(t["q"] == .string("'That,' she said, 'is still pointless.'"))
    #expect(t.line(of: "q") == 8)
  }

  @Test func multiLineArraysWithCommentsAndTrailingComma() throws {
    let t = try parse(
      """
      build = [
        "swift build",   # compile
        # a comment line
        'swift test',
      ]
      next = 1
      """)
    #expect(t["build"] == .array([.string("swift build"), .string("swift test")]))
    #expect(t.line(of: "next") == 6)
  }

  @Test func crlfLineEndingsAndBOM() throws {
    let t = try parse("\u{FEFF}a = 1\r\nb = \"x\"\r\n[t]\r\nc = true\r\n")
    #expect(t["a"] == .integer(1))
    #expect(t.line(of: "b") == 2)
    #expect(table(t["t"])?.line(of: "c") == 4)
  }
}

@Suite struct TOMLStructureTests {
  @Test func orderedEntriesWithLines() throws {
    let t = try parse(
      """
      # header comment
      zeta = 1
      alpha = 2

      middle = 3
      """)
    #expect(t.keys == ["zeta", "alpha", "middle"])
    #expect(t.entries.map(\.line) == [2, 3, 5])
    #expect(t.line(of: "missing") == nil)
  }

  @Test func tablesAndDottedKeys() throws {
    let t = try parse(
      """
      name = "root"
      site."google.com" = true
      physical.color = "orange"
      physical.shape = "round"
      [owner]
      name = "Tom"
      [owner.address]
      city = "Paris"
      [dog."tater.man"]
      type.name = "pug"
      [ spaced . key ]
      x = 1
      """)
    #expect(t.keys == ["name", "site", "physical", "owner", "dog", "spaced"])
    #expect(table(t["site"])?["google.com"] == .bool(true))
    #expect(table(t["physical"])?.keys == ["color", "shape"])
    #expect(table(t["physical"])?.line(of: "shape") == 4)
    let owner = table(t["owner"])
    #expect(owner?["name"] == .string("Tom"))
    #expect(owner?.line == 5)
    #expect(table(owner?["address"])?["city"] == .string("Paris"))
    #expect(t.line(of: "owner") == 5)
    let tater = table(table(t["dog"])?["tater.man"])
    #expect(table(tater?["type"])?["name"] == .string("pug"))
    #expect(table(table(t["spaced"])?["key"])?["x"] == .integer(1))
  }

  @Test func implicitTableMayBeDefinedLater() throws {
    let t = try parse(
      """
      [x.y.z]
      a = 1
      [x]
      b = 2
      """)
    let x = table(t["x"])
    #expect(x?["b"] == .integer(2))
    #expect(x?.line(of: "b") == 4)
    #expect(t.line(of: "x") == 3)
    #expect(table(table(x?["y"])?["z"])?["a"] == .integer(1))
  }

  @Test func inlineTables() throws {
    let t = try parse(
      """
      point = { x = 1, y = 2 }
      marker = { pattern = "Co-Authored-By: Claude", agent = "claude", nested.deep = 'v' }
      """)
    #expect(table(t["point"])?.keys == ["x", "y"])
    let m = table(t["marker"])
    #expect(m?["agent"] == .string("claude"))
    #expect(table(m?["nested"])?["deep"] == .string("v"))
  }

  @Test func gitleaksStyleRules() throws {
    let source = """
      title = "gitleaks config"

      [allowlist]
      description = "global allow list"
      paths = ['''gitleaks\\.toml''', '''(.*?)(jpg|gif|doc)$''']

      [[rules]]
      id = "aws-access-token"
      description = "AWS access key"
      regex = '''(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}'''
      keywords = ["akia", "asia"]
      entropy = 3.0
      tags = ["key", "AWS"]

      [rules.allowlist]
      regexes = ['''.+EXAMPLE$''']

      [[rules]]
      id = "generic-api-key"
      secretGroup = 1

      [[rules.allowlists]]
      description = "ignore tests"
      paths = ['''(^|/)tests?/''']

      [[rules.allowlists]]
      condition = "AND"
      stopwords = ["example", "dummy"]
      """
    let t = try parse(source)
    #expect(t.keys == ["title", "allowlist", "rules"])
    let rules = try #require(array(t["rules"]))
    #expect(rules.count == 2)
    #expect(t.line(of: "rules") == 7)
    let aws = try #require(table(rules[0]))
    #expect(aws["id"] == .string("aws-access-token"))
    #expect(aws["regex"] == .string("(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"))
    #expect(aws["entropy"] == .float(3.0))
    #expect(aws.line(of: "keywords") == 11)
    #expect(table(aws["allowlist"])?["regexes"] == .array([.string(".+EXAMPLE$")]))
    #expect(aws.line == 7)
    let generic = try #require(table(rules[1]))
    #expect(generic.line == 18)
    let allowlists = try #require(array(generic["allowlists"]))
    #expect(allowlists.count == 2)
    #expect(table(allowlists[1])?["condition"] == .string("AND"))
    #expect(table(allowlists[1])?.line(of: "stopwords") == 28)
    let global = table(t["allowlist"])
    #expect(array(global?["paths"])?.count == 2)
  }

  @Test func encodeRoundTrips() throws {
    let source = """
      title = "x \\"quoted\\" \\u0001"
      n = -5
      f = 2.5
      big = 1e300
      on = false
      when = 1979-05-27T07:32:00Z
      list = [1, [2, "three"], { k = "v" }]
      "odd key" = 'v'
      empty = {}
      [server]
      hosts = ["a", "b"]
      [server.limits]
      memory = 2048
      [[rules]]
      id = "one"
      [rules.allowlist]
      paths = ["p"]
      [[rules]]
      id = "two"
      [[rules.allowlists]]
      stopwords = ["s"]
      """
    let t = try parse(source)
    let encoded = TOML.encode(t)
    let again = try parse(encoded)
    #expect(again == t)
    #expect(TOML.encode(again) == encoded)
  }
}

@Suite struct TOMLErrorTests {
  struct Case: Sendable, CustomStringConvertible {
    var source: String
    var line: Int
    var column: Int?
    var fragment: String
    var description: String { fragment }
  }

  @Test(arguments: [
    Case(source: "a = 1\na = 2", line: 2, column: 1, fragment: "duplicate key 'a' (first defined on line 1)"),
    Case(source: "a.b = 1\na.b = 2", line: 2, column: 1, fragment: "duplicate key 'a.b'"),
    Case(source: "[t]\nx = 1\n\n[t]\ny = 2", line: 4, column: 1, fragment: "table 't' is defined twice"),
    Case(source: "[a]\nb.c = 1\n[a.b]", line: 3, column: 1, fragment: "already defined by dotted keys"),
    Case(source: "a = 1\n[a]", line: 2, column: 1, fragment: "the key already has a value"),
    Case(source: "a = 1\n[a.b]", line: 2, column: 1, fragment: "it already has a value"),
    Case(source: "[t]\n[[t]]", line: 2, column: 1, fragment: "already defined as a value or table"),
    Case(source: "[[t]]\n[t]", line: 2, column: 1, fragment: "already an array of tables"),
    Case(source: "a = [1]\n[[a]]", line: 2, column: 1, fragment: "already defined as a value or table"),
    Case(source: "p = { x = 1 }\n[p.q]", line: 2, column: 1, fragment: "cannot extend the inline table 'p'"),
    Case(source: "p = { x = 1 }\np.y = 2", line: 2, column: 1, fragment: "cannot add to 'p' with a dotted key"),
    Case(source: "[x.y]\n[x]\ny.z = 1", line: 3, column: 1, fragment: "cannot add to 'y' with a dotted key"),
    Case(source: "p = { x = 1, x = 2 }", line: 1, column: 14, fragment: "duplicate key 'x'"),
    Case(source: "p = { x = 1, }", line: 1, column: 14, fragment: "trailing comma"),
    Case(source: "p = { x = 1\n}", line: 1, column: 12, fragment: "closed with '}' on the same line"),
    Case(source: "ok = 1\nkey = \"unterminated", line: 2, column: 20, fragment: "not closed"),
    Case(source: "ok = 1\n\nbad = \"\\q\"", line: 3, column: 8, fragment: "invalid escape \\q"),
    Case(source: "bad = \"\\u12\"", line: 1, column: 8, fragment: "needs 4 hex digits"),
    Case(source: "bad = \"\\U0001F60\"", line: 1, column: 8, fragment: "needs 8 hex digits"),
    Case(source: "bad = \"\\uD800\"", line: 1, column: 8, fragment: "not a Unicode scalar"),
    Case(source: "a = 1\nb = \"\"\"\nnever closed", line: 2, column: 5, fragment: "multi-line string opened here"),
    Case(source: "a = [1, 2\nb = 3", line: 2, column: 1, fragment: "expected ',' or ']'"),
    Case(source: "a = [1, 2", line: 1, column: 5, fragment: "array opened here is not closed"),
    Case(source: "a = \n", line: 1, column: 5, fragment: "expected a value after '='"),
    Case(source: "a = 1 b = 2", line: 1, column: 7, fragment: "expected the end of the line"),
    Case(source: "a 1", line: 1, column: 3, fragment: "expected '=' after the key 'a'"),
    Case(source: "= 1", line: 1, column: 1, fragment: "expected a key"),
    Case(source: "x = 1\nname = bare", line: 2, column: 8, fragment: "strings need quotes"),
    Case(source: "a = 012", line: 1, column: 5, fragment: "invalid value '012'"),
    Case(source: "a = 1__0", line: 1, column: 5, fragment: "invalid value"),
    Case(source: "a = _1", line: 1, column: 5, fragment: "invalid value"),
    Case(source: "a = 1.", line: 1, column: 5, fragment: "invalid value"),
    Case(source: "a = .5", line: 1, column: 5, fragment: "invalid value"),
    Case(source: "a = 0x", line: 1, column: 5, fragment: "invalid value"),
    Case(source: "a = 0b102", line: 1, column: 5, fragment: "invalid value"),
    Case(source: "a = 9223372036854775808", line: 1, column: 5, fragment: "does not fit in 64 bits"),
    Case(source: "a = 1979-02-30", line: 1, column: 5, fragment: "invalid value"),
    Case(source: "a = 25:00:00", line: 1, column: 5, fragment: "invalid value"),
    Case(source: "a = True", line: 1, column: 5, fragment: "invalid value 'True'"),
    Case(source: "[t\nx = 1", line: 1, column: 3, fragment: "expected ']'"),
    Case(source: "[[t]\n", line: 1, column: 5, fragment: "expected ']]'"),
    Case(source: "\"\"\"k\"\"\" = 1", line: 1, column: 1, fragment: "key cannot be a multi-line string"),
    Case(source: "a = \"x\ty\"\nb = \"\u{01}\"", line: 2, column: 6, fragment: "control character"),
    Case(source: "a = 1\r", line: 1, column: 6, fragment: "carriage return must be followed"),
  ])
  func errorsCarryLineColumnAndMessage(_ c: Case) {
    do {
      let t = try TOML.parse(c.source)
      Issue.record("expected an error, parsed \(t)")
    } catch {
      #expect(error.line == c.line, "\(error)")
      if let column = c.column { #expect(error.column == column, "\(error)") }
      #expect(error.message.contains(c.fragment), "\(error)")
      #expect(error.description.hasPrefix("line \(c.line), column "))
    }
  }

  @Test func columnsCountCharactersNotBytes() {
    do {
      _ = try TOML.parse("a = \"éé\" x")
      Issue.record("expected an error")
    } catch {
      #expect(error.line == 1)
      #expect(error.column == 10)
    }
  }

  @Test func duplicateKeyAfterMultilineValuePointsAtTheKey() {
    do {
      _ = try TOML.parse("a = 1\na = [\n  1,\n  2,\n]")
      Issue.record("expected an error")
    } catch {
      #expect(error.line == 2)
      #expect(error.column == 1)
    }
  }
}

@Suite struct TOMLEdgeTests {
  @Test func unusualButValidKeys() throws {
    let t = try TOML.parse(
      """
      1234 = "digits"
      "" = "empty"
      3.14 = "pi"
      a."b.c".d = 1
      'literal key' = true
      bare-key_2 = 2
      """)
    #expect(t["1234"] == .string("digits"))
    #expect(t[""] == .string("empty"))
    #expect(table(t["3"])?["14"] == .string("pi"))
    #expect(table(table(t["a"])?["b.c"])?["d"] == .integer(1))
    #expect(t["literal key"] == .bool(true))
    #expect(t["bare-key_2"] == .integer(2))
  }

  @Test func arrayOfTablesThenSubTables() throws {
    let t = try TOML.parse(
      """
      [[fruits]]
      name = "apple"
      [fruits.physical]
      color = "red"
      [[fruits.varieties]]
      name = "red delicious"
      [[fruits.varieties]]
      name = "granny smith"
      [[fruits]]
      name = "banana"
      [[fruits.varieties]]
      name = "plantain"
      """)
    let fruits = try #require(array(t["fruits"]))
    #expect(fruits.count == 2)
    let apple = try #require(table(fruits[0]))
    #expect(table(apple["physical"])?["color"] == .string("red"))
    #expect(array(apple["varieties"])?.count == 2)
    #expect(array(table(fruits[1])?["varieties"])?.count == 1)
  }

  @Test func encodeInline() {
    #expect(TOML.encodeInline(.string("a\tb\"")) == "\"a\\tb\\\"\"")
    #expect(TOML.encodeInline(.array([.integer(1), .float(2)])) == "[1, 2.0]")
    #expect(TOML.encodeInline(.table(TOMLTable(entries: [("k", .bool(true), 1)]))) == "{ k = true }")
    #expect(TOML.encodeInline(.table(TOMLTable(entries: [("odd key", .integer(1), 1)]))) == "{ \"odd key\" = 1 }")
  }

  /// Damaged documents (bytes dropped, duplicated or replaced, from a fixed seed) either parse or
  /// fail with a position inside the document; none crashes the parser.
  @Test func damagedDocumentsFailWithPositionsInside() {
    let original = Array(
      """
      title = "x" # c
      [server]
      hosts = ["a", 'b', \"\"\"multi
      line\"\"\"]
      limits = { memory = "2GiB", cpus = 2 }
      when = 1979-05-27T07:32:00Z
      [[rules]]
      id = "r1"
      regex = '''(?i)key[0-9]{4}'''
      [rules.allowlist]
      paths = [
        "a", # x
      ]
      n = [0x1F, 0o7, 0b1, 1_000, -3.5e2, inf]
      """.utf8)
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(bound))
    }
    let alphabet = Array("[]{}\"'=.,#\n \\ux0_-:+Ze".utf8)
    var failures = 0
    for _ in 0..<3000 {
      var bytes = original
      for _ in 0..<(1 + next(3)) {
        let at = next(bytes.count)
        switch next(3) {
        case 0: bytes.remove(at: at)
        case 1: bytes.insert(bytes[at], at: at)
        default: bytes[at] = alphabet[next(alphabet.count)]
        }
      }
      let text = String(decoding: bytes, as: UTF8.self)
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
      do {
        _ = try TOML.parse(text)
      } catch {
        failures += 1
        #expect(error.line >= 1 && error.line <= lines, "\(error) in\n\(text)")
        #expect(error.column >= 1, "\(error)")
        #expect(!error.message.isEmpty)
      }
    }
    #expect(failures > 1000)
  }
}
