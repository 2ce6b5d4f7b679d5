// TOML: a small TOML 1.0 parser that keeps source positions.
//
// Why our own: policy and rule files must report errors by key and line ("scanning.fail_on, line 12:
// ..."), and every key must keep the line it was written on, in order. The parser works on UTF-8
// bytes in one pass: a cursor reads keys and values, and a mutable tree of `Node`s enforces the
// table rules of TOML 1.0 (no duplicate keys, no redefined tables, inline tables and static arrays
// are closed) before it is frozen into `TOMLTable` values.
//
// Dates and times are validated for shape and kept as their text (`.datetime`).

/// A TOML value.
public indirect enum TOMLValue: Sendable, Equatable {
  case string(String)
  case integer(Int64)
  case float(Double)
  case bool(Bool)
  /// An offset or local date-time, local date or local time, as written.
  case datetime(String)
  case array([TOMLValue])
  case table(TOMLTable)

  /// The TOML name of the value's type, for messages ("expected a string, found an integer").
  public var typeName: String {
    switch self {
    case .string: "string"
    case .integer: "integer"
    case .float: "float"
    case .bool: "boolean"
    case .datetime: "date-time"
    case .array: "array"
    case .table: "table"
    }
  }
}

/// A table: its entries in source order, each with the 1-based line its key was written on.
public struct TOMLTable: Sendable, Equatable {
  public var entries: [(key: String, value: TOMLValue, line: Int)]
  /// The line of the table's header (or of its key for inline and dotted tables); 0 for the root.
  public var line: Int

  public init(entries: [(key: String, value: TOMLValue, line: Int)] = [], line: Int = 0) {
    self.entries = entries
    self.line = line
  }

  public var keys: [String] { entries.map(\.key) }
  public var isEmpty: Bool { entries.isEmpty }

  public subscript(key: String) -> TOMLValue? {
    get { entries.first { $0.key == key }?.value }
    set {
      if let i = entries.firstIndex(where: { $0.key == key }) {
        if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
      } else if let newValue {
        entries.append((key, newValue, 0))
      }
    }
  }

  /// The line `key` was written on, nil when absent.
  public func line(of key: String) -> Int? { entries.first { $0.key == key }?.line }

  /// Entries compare by key and value; lines do not take part, so a re-encoded table equals its source.
  public static func == (a: TOMLTable, b: TOMLTable) -> Bool {
    a.entries.count == b.entries.count
      && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
  }
}

/// A syntax or structure error at a 1-based line and column (columns count Unicode scalars).
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public var message: String

  public init(line: Int, column: Int, message: String) {
    self.line = line
    self.column = column
    self.message = message
  }

  public var description: String { "line \(line), column \(column): \(message)" }
}

public enum TOML {
  /// Parses a TOML 1.0 document.
  public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
    var parser = Parser(Array(text.utf8))
    return try parser.parseDocument()
  }

  /// One value as inline TOML source text (tables as inline tables): `"a\tb"`, `[1, 2]`, `{ k = 1 }`.
  public static func encodeInline(_ value: TOMLValue) -> String { Encoder.inline(value) }

  /// Encodes a table as a TOML document: plain values first, then sub-tables and arrays of tables
  /// as sections. Parsing the result gives an equal table.
  public static func encode(_ table: TOMLTable) -> String {
    var out = ""
    Encoder.emit(table, path: [], into: &out)
    return out
  }
}

// MARK: - Mutable tree

private final class Node {
  enum Origin {
    /// Created as a parent by a `[a.b]` header or a dotted key path; may still be defined by a header.
    case implicit
    /// Defined by its own `[header]`.
    case header
    /// Created by a dotted key (`a.b = 1`).
    case dotted
    /// An inline table: closed.
    case inline
    /// An element of an array of tables.
    case arrayElement
  }

  enum Item {
    case value(TOMLValue)
    case table(Node)
    case tables([Node])
  }

  var origin: Origin
  var line: Int
  var order: [String] = []
  var items: [String: (item: Item, line: Int)] = [:]

  init(origin: Origin, line: Int) {
    self.origin = origin
    self.line = line
  }

  func set(_ key: String, _ item: Item, line: Int) {
    if items[key] == nil { order.append(key) }
    items[key] = (item, line)
  }

  func freeze() -> TOMLTable {
    var table = TOMLTable(line: line)
    for key in order {
      guard let (item, line) = items[key] else { continue }
      switch item {
      case .value(let v): table.entries.append((key, v, line))
      case .table(let n): table.entries.append((key, .table(n.freeze()), line))
      case .tables(let ns): table.entries.append((key, .array(ns.map { .table($0.freeze()) }), line))
      }
    }
    return table
  }
}

// MARK: - Parser

private struct Parser {
  let b: [UInt8]
  var i = 0
  var line = 1
  var lineStart = 0

  init(_ bytes: [UInt8]) { b = bytes }

  // MARK: positions and errors

  /// A saved position, so an error found later can point back at where its construct began.
  struct Mark {
    var line: Int
    var lineStart: Int
    var index: Int
  }

  var mark: Mark { Mark(line: line, lineStart: lineStart, index: i) }

  func column(of m: Mark) -> Int {
    var c = 1
    var k = m.lineStart
    while k < m.index && k < b.count {
      if b[k] & 0xC0 != 0x80 { c += 1 }
      k += 1
    }
    return c
  }

  func error(_ message: String, at m: Mark? = nil) -> TOMLError {
    let m = m ?? mark
    return TOMLError(line: m.line, column: column(of: m), message: message)
  }

  var atEnd: Bool { i >= b.count }
  var peek: UInt8? { i < b.count ? b[i] : nil }
  func peek(_ offset: Int) -> UInt8? { i + offset < b.count ? b[i + offset] : nil }

  func describe(_ c: UInt8?) -> String {
    guard let c else { return "end of file" }
    switch c {
    case 0x0A: return "end of line"
    case 0x0D: return "carriage return"
    case 0x09: return "tab"
    case 0x20: return "space"
    case 0x21...0x7E: return "'\(Character(UnicodeScalar(c)))'"
    default: return "byte 0x\(String(c, radix: 16))"
    }
  }

  // MARK: whitespace, comments, newlines

  mutating func skipSpaces() {
    while let c = peek, c == 0x20 || c == 0x09 { i += 1 }
  }

  mutating func skipComment() throws(TOMLError) {
    guard peek == UInt8(ascii: "#") else { return }
    while let c = peek, c != 0x0A {
      if c == 0x0D && peek(1) == 0x0A { return }
      if (c < 0x20 && c != 0x09) || c == 0x7F { throw error("control character \(describe(c)) in a comment") }
      i += 1
    }
  }

  /// Consumes a newline (LF or CRLF) if one is next; returns whether it did.
  mutating func newline() throws(TOMLError) -> Bool {
    if peek == 0x0A {
      i += 1
    } else if peek == 0x0D {
      guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a line feed") }
      i += 2
    } else {
      return false
    }
    line += 1
    lineStart = i
    return true
  }

  /// Skips spaces, comments and newlines (inside arrays).
  mutating func skipBlank() throws(TOMLError) {
    while true {
      skipSpaces()
      try skipComment()
      if try !newline() { return }
    }
  }

  /// After a key/value pair or header: only spaces, a comment, then end of line or file.
  mutating func endOfLine() throws(TOMLError) {
    skipSpaces()
    try skipComment()
    if atEnd { return }
    if try !newline() {
      throw error("expected the end of the line, found \(describe(peek))")
    }
  }

  // MARK: document

  mutating func parseDocument() throws(TOMLError) -> TOMLTable {
    if b.starts(with: [0xEF, 0xBB, 0xBF]) {
      i = 3
      lineStart = 3
    }
    let root = Node(origin: .header, line: 0)
    var current = root
    while true {
      try skipBlank()
      guard let c = peek else { break }
      if c == UInt8(ascii: "[") {
        current = try parseHeader(root: root)
      } else {
        try parseKeyValue(into: current)
      }
      try endOfLine()
    }
    return root.freeze()
  }

  mutating func parseHeader(root: Node) throws(TOMLError) -> Node {
    let headerLine = line
    let start = mark
    i += 1
    let isArray = peek == UInt8(ascii: "[")
    if isArray { i += 1 }
    skipSpaces()
    let keys = try parseKey()
    skipSpaces()
    guard peek == UInt8(ascii: "]") else { throw error("expected ']' to close the table header") }
    i += 1
    if isArray {
      guard peek == UInt8(ascii: "]") else { throw error("expected ']]' to close the array-of-tables header") }
      i += 1
    }
    let name = keys.map(\.name).joined(separator: ".")
    var node = root
    for key in keys.dropLast() {
      node = try descendForHeader(node, key, name: name, line: headerLine, start: start)
    }
    let last = keys[keys.count - 1]
    if isArray {
      let element = Node(origin: .arrayElement, line: headerLine)
      switch node.items[last.name]?.item {
      case nil:
        node.set(last.name, .tables([element]), line: headerLine)
      case .tables(let list):
        node.set(last.name, .tables(list + [element]), line: node.items[last.name]!.line)
      case .value, .table:
        throw error(
          "cannot define '\(name)' as an array of tables: it is already defined as a value or table", at: start)
      }
      return element
    }
    switch node.items[last.name]?.item {
    case nil:
      let t = Node(origin: .header, line: headerLine)
      node.set(last.name, .table(t), line: headerLine)
      return t
    case .table(let t) where t.origin == .implicit:
      t.origin = .header
      t.line = headerLine
      node.items[last.name]!.line = headerLine
      return t
    case .table(let t):
      throw error(
        t.origin == .header
          ? "table '\(name)' is defined twice" : "table '\(name)' was already defined by dotted keys or inline",
        at: start)
    case .tables:
      throw error("cannot define '\(name)' as a table: it is already an array of tables", at: start)
    case .value:
      throw error("cannot define '\(name)' as a table: the key already has a value", at: start)
    }
  }

  mutating func descendForHeader(
    _ node: Node, _ key: Key, name: String, line headerLine: Int, start: Mark
  ) throws(TOMLError) -> Node {
    switch node.items[key.name]?.item {
    case nil:
      let t = Node(origin: .implicit, line: headerLine)
      node.set(key.name, .table(t), line: headerLine)
      return t
    case .table(let t):
      if t.origin == .inline { throw error("cannot extend the inline table '\(key.name)' in '[\(name)]'", at: start) }
      return t
    case .tables(let list):
      return list[list.count - 1]
    case .value:
      throw error("cannot use '\(key.name)' as a table in '[\(name)]': it already has a value", at: start)
    }
  }

  mutating func parseKeyValue(into table: Node) throws(TOMLError) {
    let keyLine = line
    let start = mark
    let keys = try parseKey()
    skipSpaces()
    guard peek == UInt8(ascii: "=") else {
      throw error("expected '=' after the key '\(keys.map(\.name).joined(separator: "."))', found \(describe(peek))")
    }
    i += 1
    skipSpaces()
    let value = try parseValue()
    var node = table
    for key in keys.dropLast() {
      switch node.items[key.name]?.item {
      case nil:
        let t = Node(origin: .dotted, line: keyLine)
        node.set(key.name, .table(t), line: keyLine)
        node = t
      case .table(let t) where t.origin == .dotted:
        node = t
      default:
        throw error("cannot add to '\(key.name)' with a dotted key: it is already defined", at: start)
      }
    }
    let last = keys[keys.count - 1].name
    if node.items[last] != nil {
      let full = keys.map(\.name).joined(separator: ".")
      throw error("duplicate key '\(full)' (first defined on line \(node.items[last]!.line))", at: start)
    }
    if case .table(let t) = value {
      // Inline tables arrive frozen; rebuild a closed node so later headers cannot extend them.
      node.set(last, .table(Parser.closedNode(t)), line: keyLine)
    } else {
      node.set(last, .value(value), line: keyLine)
    }
  }

  static func closedNode(_ t: TOMLTable) -> Node {
    let n = Node(origin: .inline, line: t.line)
    for e in t.entries { n.set(e.key, .value(e.value), line: e.line) }
    return n
  }

  // MARK: keys

  struct Key {
    var name: String
  }

  mutating func parseKey() throws(TOMLError) -> [Key] {
    var keys: [Key] = []
    while true {
      keys.append(try parseSimpleKey())
      skipSpaces()
      guard peek == UInt8(ascii: ".") else { return keys }
      i += 1
      skipSpaces()
    }
  }

  static func isBare(_ c: UInt8) -> Bool {
    (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
  }

  mutating func parseSimpleKey() throws(TOMLError) -> Key {
    switch peek {
    case UInt8(ascii: "\""):
      if peek(1) == UInt8(ascii: "\"") && peek(2) == UInt8(ascii: "\"") {
        throw error("a key cannot be a multi-line string")
      }
      return Key(name: try parseBasicString())
    case UInt8(ascii: "'"):
      if peek(1) == UInt8(ascii: "'") && peek(2) == UInt8(ascii: "'") {
        throw error("a key cannot be a multi-line string")
      }
      return Key(name: try parseLiteralString())
    default:
      let start = i
      while let c = peek, Parser.isBare(c) { i += 1 }
      if i == start { throw error("expected a key, found \(describe(peek))") }
      return Key(name: String(decoding: b[start..<i], as: UTF8.self))
    }
  }

  // MARK: values

  mutating func parseValue() throws(TOMLError) -> TOMLValue {
    guard let c = peek else { throw error("expected a value, found end of file") }
    switch c {
    case UInt8(ascii: "\""):
      if peek(1) == c && peek(2) == c { return .string(try parseMultilineBasic()) }
      return .string(try parseBasicString())
    case UInt8(ascii: "'"):
      if peek(1) == c && peek(2) == c { return .string(try parseMultilineLiteral()) }
      return .string(try parseLiteralString())
    case UInt8(ascii: "["):
      return try parseArray()
    case UInt8(ascii: "{"):
      return try parseInlineTable()
    case UInt8(ascii: "t"), UInt8(ascii: "f"):
      if matches("true") {
        i += 4
        return .bool(true)
      }
      if matches("false") {
        i += 5
        return .bool(false)
      }
      return try parseNumberOrDate()
    case 0x0A, 0x0D, UInt8(ascii: "#"):
      throw error("expected a value after '=', found \(describe(c))")
    default:
      return try parseNumberOrDate()
    }
  }

  func matches(_ word: String) -> Bool {
    let w = Array(word.utf8)
    guard i + w.count <= b.count, Array(b[i..<i + w.count]) == w else { return false }
    if let next = i + w.count < b.count ? b[i + w.count] : nil, Parser.isBare(next) { return false }
    return true
  }

  mutating func parseArray() throws(TOMLError) -> TOMLValue {
    let open = mark
    i += 1
    var values: [TOMLValue] = []
    while true {
      try skipBlank()
      guard let c = peek else {
        throw error("array opened here is not closed with ']'", at: open)
      }
      if c == UInt8(ascii: "]") {
        i += 1
        return .array(values)
      }
      values.append(try parseValue())
      try skipBlank()
      if atEnd { throw error("array opened here is not closed with ']'", at: open) }
      if peek == UInt8(ascii: ",") {
        i += 1
      } else if peek == UInt8(ascii: "]") {
        i += 1
        return .array(values)
      } else {
        throw error("expected ',' or ']' in an array, found \(describe(peek))")
      }
    }
  }

  mutating func parseInlineTable() throws(TOMLError) -> TOMLValue {
    let node = Node(origin: .inline, line: line)
    i += 1
    skipSpaces()
    if peek == UInt8(ascii: "}") {
      i += 1
      return .table(node.freeze())
    }
    while true {
      skipSpaces()
      if peek == 0x0A || peek == 0x0D { throw error("an inline table must be on one line") }
      try parseKeyValue(into: node)
      skipSpaces()
      if peek == UInt8(ascii: ",") {
        i += 1
        skipSpaces()
        if peek == UInt8(ascii: "}") { throw error("trailing comma in an inline table") }
      } else if peek == UInt8(ascii: "}") {
        i += 1
        return .table(node.freeze())
      } else if peek == 0x0A || peek == 0x0D || peek == nil {
        throw error("an inline table must be closed with '}' on the same line")
      } else {
        throw error("expected ',' or '}' in an inline table, found \(describe(peek))")
      }
    }
  }

  // MARK: strings

  mutating func checkStringByte(_ c: UInt8) throws(TOMLError) {
    if (c < 0x20 && c != 0x09) || c == 0x7F {
      throw error("control character \(describe(c)) in a string; use an escape")
    }
  }

  /// Appends a run of raw bytes as validated UTF-8.
  func decode(_ bytes: ArraySlice<UInt8>) throws(TOMLError) -> String {
    guard let s = String(validating: bytes, as: UTF8.self) else {
      throw error("invalid UTF-8 in a string")
    }
    return s
  }

  mutating func parseBasicString() throws(TOMLError) -> String {
    i += 1
    var out = ""
    var runStart = i
    while true {
      guard let c = peek else { throw error("string is not closed with '\"' before the end of the file") }
      if c == UInt8(ascii: "\"") {
        out += try decode(b[runStart..<i])
        i += 1
        return out
      }
      if c == UInt8(ascii: "\\") {
        out += try decode(b[runStart..<i])
        out.unicodeScalars.append(try parseEscape())
        runStart = i
        continue
      }
      if c == 0x0A || c == 0x0D { throw error("string is not closed with '\"' before the end of the line") }
      try checkStringByte(c)
      i += 1
    }
  }

  mutating func parseEscape() throws(TOMLError) -> Unicode.Scalar {
    let start = mark
    i += 1
    guard let c = peek else { throw error("unfinished escape at the end of the file") }
    i += 1
    switch c {
    case UInt8(ascii: "b"): return "\u{08}"
    case UInt8(ascii: "t"): return "\t"
    case UInt8(ascii: "n"): return "\n"
    case UInt8(ascii: "f"): return "\u{0C}"
    case UInt8(ascii: "r"): return "\r"
    case UInt8(ascii: "\""): return "\""
    case UInt8(ascii: "\\"): return "\\"
    case UInt8(ascii: "u"), UInt8(ascii: "U"):
      let n = c == UInt8(ascii: "u") ? 4 : 8
      guard i + n <= b.count else {
        throw error("escape \\\(Character(UnicodeScalar(c))) needs \(n) hex digits", at: start)
      }
      var v: UInt32 = 0
      for k in 0..<n {
        guard let d = Parser.hexDigit(b[i + k]) else {
          throw error("escape \\\(Character(UnicodeScalar(c))) needs \(n) hex digits", at: start)
        }
        v = v << 4 | UInt32(d)
      }
      i += n
      guard let scalar = Unicode.Scalar(v) else {
        throw error("escape \\\(Character(UnicodeScalar(c))) is not a Unicode scalar value", at: start)
      }
      return scalar
    default:
      throw error("invalid escape \\\(describe(c).trimmingQuotes)", at: start)
    }
  }

  static func hexDigit(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: c - 0x30
    case 0x41...0x46: c - 0x41 + 10
    case 0x61...0x66: c - 0x61 + 10
    default: nil
    }
  }

  mutating func parseLiteralString() throws(TOMLError) -> String {
    i += 1
    let start = i
    while true {
      guard let c = peek else { throw error("string is not closed with \"'\" before the end of the file") }
      if c == UInt8(ascii: "'") {
        let s = try decode(b[start..<i])
        i += 1
        return s
      }
      if c == 0x0A || c == 0x0D { throw error("string is not closed with \"'\" before the end of the line") }
      try checkStringByte(c)
      i += 1
    }
  }

  /// After an opening `"""` or `'''`: a newline right after the delimiter is not part of the string.
  mutating func skipFirstNewline() throws(TOMLError) {
    _ = try newline()
  }

  mutating func parseMultilineBasic() throws(TOMLError) -> String {
    let open = mark
    i += 3
    try skipFirstNewline()
    var out = ""
    var runStart = i
    while true {
      guard let c = peek else {
        throw error("multi-line string opened here is not closed with '\"\"\"'", at: open)
      }
      if c == UInt8(ascii: "\"") && peek(1) == c && peek(2) == c {
        // Up to two more quotes right before the closing delimiter belong to the string.
        var extra = 0
        while extra < 2 && peek(3 + extra) == c { extra += 1 }
        out += try decode(b[runStart..<i + extra])
        i += 3 + extra
        return out
      }
      if c == UInt8(ascii: "\\") {
        out += try decode(b[runStart..<i])
        // Line-ending backslash: trim whitespace and newlines up to the next non-blank character.
        var k = i + 1
        while k < b.count && (b[k] == 0x20 || b[k] == 0x09) { k += 1 }
        if k < b.count && (b[k] == 0x0A || (b[k] == 0x0D && k + 1 < b.count && b[k + 1] == 0x0A)) {
          i = k
          while true {
            if try newline() { continue }
            if let d = peek, d == 0x20 || d == 0x09 {
              i += 1
              continue
            }
            break
          }
        } else {
          out.unicodeScalars.append(try parseEscape())
        }
        runStart = i
        continue
      }
      if c == 0x0A || c == 0x0D {
        out += try decode(b[runStart..<i])
        _ = try newline()
        out += "\n"
        runStart = i
        continue
      }
      try checkStringByte(c)
      i += 1
    }
  }

  mutating func parseMultilineLiteral() throws(TOMLError) -> String {
    let open = mark
    i += 3
    try skipFirstNewline()
    var out = ""
    var runStart = i
    while true {
      guard let c = peek else {
        throw error("multi-line string opened here is not closed with \"'''\"", at: open)
      }
      if c == UInt8(ascii: "'") && peek(1) == c && peek(2) == c {
        var extra = 0
        while extra < 2 && peek(3 + extra) == c { extra += 1 }
        out += try decode(b[runStart..<i + extra])
        i += 3 + extra
        return out
      }
      if c == 0x0A || c == 0x0D {
        out += try decode(b[runStart..<i])
        _ = try newline()
        out += "\n"
        runStart = i
        continue
      }
      try checkStringByte(c)
      i += 1
    }
  }

  // MARK: numbers and dates

  mutating func parseNumberOrDate() throws(TOMLError) -> TOMLValue {
    let start = mark
    let begin = i
    while let c = peek, Parser.isBare(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":") {
      i += 1
    }
    // A date and a time may be separated by one space: `1979-05-27 07:32:00Z`.
    if peek == 0x20, let d1 = peek(1), let d2 = peek(2), Parser.isDigit(d1), Parser.isDigit(d2), peek(3) == 0x3A,
      Parser.looksLikeDate(b[begin..<i])
    {
      i += 1
      while let c = peek, Parser.isBare(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
      {
        i += 1
      }
    }
    let token = String(decoding: b[begin..<i], as: UTF8.self)
    if token.isEmpty { throw error("expected a value, found \(describe(peek))") }
    if let v = Parser.dateTime(token) { return .datetime(v) }
    if let v = Parser.integer(token) { return .integer(v) }
    if let v = Parser.float(token) { return .float(v) }
    if Parser.looksLikeInteger(token) {
      throw error("integer '\(token)' does not fit in 64 bits", at: start)
    }
    throw error(
      "invalid value '\(token)' (strings need quotes; numbers, booleans and dates must follow TOML 1.0)", at: start)
  }

  static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

  static func looksLikeDate(_ s: ArraySlice<UInt8>) -> Bool {
    let a = Array(s)
    return a.count == 10 && a[4] == 0x2D && a[7] == 0x2D && [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy { isDigit(a[$0]) }
  }

  /// A well-formed decimal integer (that may still be too large for 64 bits).
  static func looksLikeInteger(_ s: String) -> Bool {
    var t = Substring(s)
    if t.first == "+" || t.first == "-" { t = t.dropFirst() }
    guard let d = digits(t, valid: { $0.isASCII && $0.isNumber }) else { return false }
    return d.count == 1 || d.first != "0"
  }

  /// Digits with single underscores between them (never leading, trailing or doubled).
  static func digits(_ s: Substring, valid: (Character) -> Bool) -> String? {
    guard let first = s.first, let last = s.last, first != "_", last != "_" else { return nil }
    var out = ""
    var previousUnderscore = false
    for ch in s {
      if ch == "_" {
        if previousUnderscore { return nil }
        previousUnderscore = true
        continue
      }
      guard valid(ch) else { return nil }
      previousUnderscore = false
      out.append(ch)
    }
    return out
  }

  static func integer(_ token: String) -> Int64? {
    var s = Substring(token)
    if s.hasPrefix("0x") || s.hasPrefix("0o") || s.hasPrefix("0b") {
      let radix = s.hasPrefix("0x") ? 16 : s.hasPrefix("0o") ? 8 : 2
      s = s.dropFirst(2)
      guard
        let d = digits(s, valid: { ch in ch.isASCII && ch.hexDigitValue.map { $0 < radix } == true })
      else { return nil }
      guard let v = UInt64(d, radix: radix), v <= UInt64(Int64.max) else { return nil }
      return Int64(v)
    }
    var negative = false
    if s.first == "+" || s.first == "-" {
      negative = s.first == "-"
      s = s.dropFirst()
    }
    guard let d = digits(s, valid: { $0.isASCII && $0.isNumber }) else { return nil }
    if d.count > 1 && d.first == "0" { return nil }
    return Int64(negative ? "-" + d : d)
  }

  static func float(_ token: String) -> Double? {
    var s = Substring(token)
    var sign = ""
    if s.first == "+" || s.first == "-" {
      sign = s.first == "-" ? "-" : ""
      s = s.dropFirst()
    }
    if s == "inf" { return sign == "-" ? -Double.infinity : Double.infinity }
    if s == "nan" { return Double.nan }
    // integer part, optional fraction, optional exponent
    let expIndex = s.firstIndex { $0 == "e" || $0 == "E" }
    let mantissa = expIndex.map { s[s.startIndex..<$0] } ?? s
    let exponent = expIndex.map { s[s.index(after: $0)...] }
    let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 1 || parts.count == 2 else { return nil }
    guard parts.count == 2 || exponent != nil else { return nil }
    let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
    guard let intPart = digits(parts[0], valid: isDigit) else { return nil }
    if intPart.count > 1 && intPart.first == "0" { return nil }
    var text = sign + intPart
    if parts.count == 2 {
      guard let frac = digits(parts[1], valid: isDigit) else { return nil }
      text += "." + frac
    }
    if var e = exponent {
      var esign = ""
      if e.first == "+" || e.first == "-" {
        esign = e.first == "-" ? "-" : ""
        e = e.dropFirst()
      }
      guard let ed = digits(e, valid: isDigit) else { return nil }
      text += "e" + esign + ed
    }
    return Double(text)
  }

  /// Validates the shape of an RFC 3339 date-time, local date or local time; returns it as written.
  static func dateTime(_ token: String) -> String? {
    let a = Array(token.utf8)
    func num(_ from: Int, _ count: Int) -> Int? {
      guard from + count <= a.count else { return nil }
      var v = 0
      for k in from..<from + count {
        guard isDigit(a[k]) else { return nil }
        v = v * 10 + Int(a[k] - 0x30)
      }
      return v
    }
    func time(at p: Int) -> Int? {
      guard let h = num(p, 2), p + 2 < a.count, a[p + 2] == 0x3A, let m = num(p + 3, 2), p + 5 < a.count,
        a[p + 5] == 0x3A, let s = num(p + 6, 2), h < 24, m < 60, s <= 60
      else { return nil }
      var q = p + 8
      if q < a.count && a[q] == 0x2E {
        q += 1
        let fracStart = q
        while q < a.count && isDigit(a[q]) { q += 1 }
        if q == fracStart { return nil }
      }
      return q
    }
    if a.count >= 8, a[2] == 0x3A {
      return time(at: 0) == a.count ? token : nil
    }
    guard a.count >= 10, let y = num(0, 4), a[4] == 0x2D, let mo = num(5, 2), a[7] == 0x2D, let d = num(8, 2),
      (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y)
    else { return nil }
    if a.count == 10 { return token }
    guard a[10] == UInt8(ascii: "T") || a[10] == UInt8(ascii: "t") || a[10] == 0x20, var q = time(at: 11) else {
      return nil
    }
    if q == a.count { return token }
    if a[q] == UInt8(ascii: "Z") || a[q] == UInt8(ascii: "z") {
      q += 1
    } else if a[q] == UInt8(ascii: "+") || a[q] == UInt8(ascii: "-") {
      guard let oh = num(q + 1, 2), q + 3 < a.count, a[q + 3] == 0x3A, let om = num(q + 4, 2), oh < 24, om < 60
      else { return nil }
      q += 6
    }
    return q == a.count ? token : nil
  }

  static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }
}

extension String {
  fileprivate var trimmingQuotes: String {
    hasPrefix("'") && hasSuffix("'") && count >= 3 ? String(dropFirst().dropLast()) : self
  }
}

// MARK: - Encoder

private enum Encoder {
  static func key(_ k: String) -> String {
    if !k.isEmpty && k.utf8.allSatisfy(Parser.isBare) { return k }
    return quote(k)
  }

  static func quote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      default:
        if u.value < 0x20 || u.value == 0x7F {
          let hex = String(u.value, radix: 16, uppercase: true)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    return out + "\""
  }

  static func inline(_ v: TOMLValue) -> String {
    switch v {
    case .string(let s): return quote(s)
    case .integer(let n): return String(n)
    case .float(let d):
      if d.isNaN { return "nan" }
      if d.isInfinite { return d < 0 ? "-inf" : "inf" }
      let s = String(d)
      return s.contains(".") || s.contains("e") ? s : s + ".0"
    case .bool(let x): return x ? "true" : "false"
    case .datetime(let s): return s
    case .array(let items): return "[" + items.map(inline).joined(separator: ", ") + "]"
    case .table(let t):
      if t.isEmpty { return "{}" }
      return "{ " + t.entries.map { "\(key($0.key)) = \(inline($0.value))" }.joined(separator: ", ") + " }"
    }
  }

  static func isArrayOfTables(_ v: TOMLValue) -> [TOMLTable]? {
    guard case .array(let items) = v, !items.isEmpty else { return nil }
    var tables: [TOMLTable] = []
    for item in items {
      guard case .table(let t) = item else { return nil }
      tables.append(t)
    }
    return tables
  }

  static func emit(_ table: TOMLTable, path: [String], into out: inout String) {
    var sections: [(String, TOMLValue)] = []
    for e in table.entries {
      if case .table = e.value {
        sections.append((e.key, e.value))
      } else if isArrayOfTables(e.value) != nil {
        sections.append((e.key, e.value))
      } else {
        out += "\(key(e.key)) = \(inline(e.value))\n"
      }
    }
    for (k, v) in sections {
      let sub = path + [k]
      let header = sub.map(key).joined(separator: ".")
      if case .table(let t) = v {
        if !out.isEmpty { out += "\n" }
        out += "[\(header)]\n"
        emit(t, path: sub, into: &out)
      } else if let tables = isArrayOfTables(v) {
        for t in tables {
          if !out.isEmpty { out += "\n" }
          out += "[[\(header)]]\n"
          emit(t, path: sub, into: &out)
        }
      }
    }
  }
}
