// The schema machinery: each settings struct lists its keys once (`fields`), and that one list drives
// decoding (unknown keys, wrong types, bad values, each with its line), encoding back to TOML (for
// round trips, `policy show` and the starter template) and the record of where each value came from.

import GateCore
import TOML

/// Where an effective setting came from.
public enum SettingOrigin: Sendable, Equatable, CustomStringConvertible {
  /// Nobody set it: the documented default.
  case builtInDefault
  /// A key in a file (a policy at a ref, a policy file, a machine configuration file).
  case file(source: String, line: Int)
  /// A command-line flag.
  case flag(String)
  /// A limit asked for by the policy but above the machine's ceiling: the ceiling applies.
  case clampedToCeiling(requested: String, ceiling: String)

  public var description: String {
    switch self {
    case .builtInDefault: "built-in default"
    case .file(let source, let line): "\(source) line \(line)"
    case .flag(let flag): "flag \(flag)"
    case .clampedToCeiling(let requested, let ceiling): "clamped to the machine ceiling (\(ceiling)); \(requested)"
    }
  }
}

/// Collects, while decoding, the line of each dotted key that a file set.
final class DecodeContext {
  let source: String
  var origins: [String: SettingOrigin] = [:]

  init(source: String) { self.source = source }

  func record(_ key: String, line: Int) { origins[key] = .file(source: source, line: line) }

  func wrongType(_ key: String, _ line: Int, expected: String, found: TOMLValue) -> PolicyError {
    .wrongType(source: source, key: key, line: line, expected: expected, found: describe(found))
  }

  func badValue(_ key: String, _ line: Int, _ value: TOMLValue, expected: String) -> PolicyError {
    .badValue(source: source, key: key, line: line, value: TOML.encodeInline(value), expected: expected)
  }

  func describe(_ v: TOMLValue) -> String {
    switch v {
    case .array: "an array"
    case .integer: "an integer (\(TOML.encodeInline(v)))"
    default: "a \(v.typeName) (\(TOML.encodeInline(v)))"
    }
  }
}

/// A value that can be read from and written to TOML.
protocol TOMLConvertible: Sendable, Equatable {
  /// What the key must hold, for messages: "a string", "one of fail, warn, ignore".
  static var expectation: String { get }
  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> Self
  var toml: TOMLValue { get }
}

/// One key of a table-shaped settings struct.
struct Field<S>: Sendable {
  let key: String
  let decode: @Sendable (inout S, TOMLValue, String, Int, DecodeContext) throws(PolicyError) -> Void
  /// nil: the key is unset (an optional left empty) and is not written.
  let encode: @Sendable (S) -> TOMLValue?

  static func value<T: TOMLConvertible>(
    _ key: String, _ kp: WritableKeyPath<S, T> & Sendable, check: (@Sendable (T) -> String?)? = nil
  ) -> Field {
    Field(
      key: key,
      decode: { s, v, full, line, ctx throws(PolicyError) in
        let t = try T.decode(v, key: full, line: line, ctx: ctx)
        if let expected = check?(t) { throw ctx.badValue(full, line, v, expected: expected) }
        s[keyPath: kp] = t
      }, encode: { $0[keyPath: kp].toml })
  }

  static func optional<T: TOMLConvertible>(
    _ key: String, _ kp: WritableKeyPath<S, T?> & Sendable, check: (@Sendable (T) -> String?)? = nil
  ) -> Field {
    Field(
      key: key,
      decode: { s, v, full, line, ctx throws(PolicyError) in
        let t = try T.decode(v, key: full, line: line, ctx: ctx)
        if let expected = check?(t) { throw ctx.badValue(full, line, v, expected: expected) }
        s[keyPath: kp] = t
      }, encode: { $0[keyPath: kp]?.toml })
  }

  /// A size in bytes: an integer, or a string with a binary unit ("512MiB", "2GiB").
  static func bytes(_ key: String, _ kp: WritableKeyPath<S, Int?> & Sendable) -> Field {
    Field(
      key: key,
      decode: { s, v, full, line, ctx throws(PolicyError) in
        s[keyPath: kp] = try ByteSize.decode(v, key: full, line: line, ctx: ctx).bytes
      }, encode: { $0[keyPath: kp].map { ByteSize(bytes: $0).toml } })
  }

  static func bytes(_ key: String, _ kp: WritableKeyPath<S, Int> & Sendable) -> Field {
    Field(
      key: key,
      decode: { s, v, full, line, ctx throws(PolicyError) in
        s[keyPath: kp] = try ByteSize.decode(v, key: full, line: line, ctx: ctx).bytes
      }, encode: { ByteSize(bytes: $0[keyPath: kp]).toml })
  }
}

/// A settings struct that is a TOML table with known keys.
protocol TableConvertible: TOMLConvertible {
  init()
  static var fields: [Field<Self>] { get }
  /// Keys that exist only in the machine configuration: naming them here is a `machineOnlyKey` error.
  static var machineOnlyKeys: Set<String> { get }
}

extension TableConvertible {
  static var expectation: String { "a table" }
  static var machineOnlyKeys: Set<String> { [] }

  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> Self {
    guard case .table(let t) = v else { throw ctx.wrongType(key, line, expected: "a table", found: v) }
    var s = Self()
    try decodeFields(into: &s, t, prefix: key, ctx: ctx)
    return s
  }

  static func decodeFields(
    into s: inout Self, _ t: TOMLTable, prefix: String, ctx: DecodeContext
  )
    throws(PolicyError)
  {
    for e in t.entries {
      let full = prefix.isEmpty ? e.key : "\(prefix).\(e.key)"
      if machineOnlyKeys.contains(e.key) {
        throw PolicyError.machineOnlyKey(source: ctx.source, key: full, line: e.line)
      }
      guard let f = fields.first(where: { $0.key == e.key }) else {
        throw PolicyError.unknownKey(source: ctx.source, key: full, line: e.line, known: fields.map(\.key))
      }
      ctx.record(full, line: e.line)
      try f.decode(&s, e.value, full, e.line, ctx)
    }
  }

  var toml: TOMLValue { .table(tomlTable) }

  var tomlTable: TOMLTable {
    TOMLTable(entries: Self.fields.compactMap { f in f.encode(self).map { (f.key, $0, 0) } })
  }
}

/// A closed set of names.
protocol TOMLEnum: TOMLConvertible, RawRepresentable<String>, CaseIterable {}

extension TOMLEnum {
  static var expectation: String { "one of " + allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ") }

  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> Self {
    guard case .string(let s) = v else { throw ctx.wrongType(key, line, expected: expectation, found: v) }
    guard let value = Self(rawValue: s) else { throw ctx.badValue(key, line, v, expected: expectation) }
    return value
  }

  var toml: TOMLValue { .string(rawValue) }
}

extension Severity: TOMLEnum {}
extension Confidence: TOMLEnum {}

extension String: TOMLConvertible {
  static var expectation: String { "a string" }
  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> String {
    guard case .string(let s) = v else { throw ctx.wrongType(key, line, expected: expectation, found: v) }
    return s
  }
  var toml: TOMLValue { .string(self) }
}

extension Bool: TOMLConvertible {
  static var expectation: String { "true or false" }
  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> Bool {
    guard case .bool(let b) = v else { throw ctx.wrongType(key, line, expected: expectation, found: v) }
    return b
  }
  var toml: TOMLValue { .bool(self) }
}

extension Int: TOMLConvertible {
  static var expectation: String { "an integer" }
  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> Int {
    guard case .integer(let n) = v else { throw ctx.wrongType(key, line, expected: expectation, found: v) }
    return Int(n)
  }
  var toml: TOMLValue { .integer(Int64(self)) }
}

extension Array: TOMLConvertible where Element: TOMLConvertible {
  static var expectation: String { "an array of \(Element.expectation.replacingFirst("a ", "").plural)" }

  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> [Element] {
    guard case .array(let items) = v else { throw ctx.wrongType(key, line, expected: expectation, found: v) }
    var out: [Element] = []
    for (n, item) in items.enumerated() {
      let itemLine = (item.tableLine).map { $0 > 0 ? $0 : line } ?? line
      out.append(try Element.decode(item, key: "\(key)[\(n)]", line: itemLine, ctx: ctx))
    }
    return out
  }

  var toml: TOMLValue { .array(map(\.toml)) }
}

/// A table from names to values (`[scanning.severity]`, `[tokens]`), written sorted by name.
extension Dictionary: TOMLConvertible where Key == String, Value: TOMLConvertible {
  static var expectation: String { "a table of \(Value.expectation.replacingFirst("a ", "").plural)" }

  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> [String: Value]
  {
    guard case .table(let t) = v else { throw ctx.wrongType(key, line, expected: expectation, found: v) }
    var out: [String: Value] = [:]
    for e in t.entries {
      let full = "\(key).\(e.key)"
      ctx.record(full, line: e.line)
      out[e.key] = try Value.decode(e.value, key: full, line: e.line, ctx: ctx)
    }
    return out
  }

  var toml: TOMLValue {
    .table(TOMLTable(entries: keys.sorted().map { ($0, self[$0]!.toml, 0) }))
  }
}

extension TOMLValue {
  fileprivate var tableLine: Int? {
    if case .table(let t) = self { return t.line }
    return nil
  }
}

extension String {
  fileprivate func replacingFirst(_ prefix: String, _ with: String) -> String {
    hasPrefix(prefix) ? with + dropFirst(prefix.count) : self
  }

  fileprivate var plural: String {
    if hasPrefix("one of ") { return "values, each " + self }
    if hasSuffix("s") { return self }
    return self + "s"
  }
}

/// A byte count written as an integer or as "N" + unit (B, KiB, MiB, GiB, TiB; K, M, G, T mean the same).
struct ByteSize: TOMLConvertible {
  var bytes: Int

  static var expectation: String { "a size: an integer number of bytes or a string such as \"512MiB\" or \"2GiB\"" }

  static let units: [(String, Int)] = [
    ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("T", 1 << 40), ("G", 1 << 30),
    ("M", 1 << 20), ("K", 1 << 10), ("B", 1),
  ]

  static func parse(_ s: String) -> Int? {
    let t = s.trimmingCharacters(in: " ")
    for (unit, factor) in units where t.hasSuffix(unit) {
      let number = t.dropLast(unit.count).trimmingCharacters(in: " ")
      guard let n = Int(number), n >= 0 else { return nil }
      let (product, overflow) = n.multipliedReportingOverflow(by: factor)
      return overflow ? nil : product
    }
    guard let n = Int(t), n >= 0 else { return nil }
    return n
  }

  static func decode(_ v: TOMLValue, key: String, line: Int, ctx: DecodeContext) throws(PolicyError) -> ByteSize {
    switch v {
    case .integer(let n):
      guard n > 0 else { throw ctx.badValue(key, line, v, expected: "a size above zero") }
      return ByteSize(bytes: Int(n))
    case .string(let s):
      guard let n = parse(s) else { throw ctx.badValue(key, line, v, expected: expectation) }
      guard n > 0 else { throw ctx.badValue(key, line, v, expected: "a size above zero") }
      return ByteSize(bytes: n)
    default:
      throw ctx.wrongType(key, line, expected: expectation, found: v)
    }
  }

  var toml: TOMLValue { .string(ByteSize.format(bytes)) }

  /// The largest binary unit that divides the size exactly: 2147483648 → "2GiB".
  static func format(_ bytes: Int) -> String {
    for (unit, factor) in units where unit.count == 3 && bytes >= factor && bytes % factor == 0 {
      return "\(bytes / factor)\(unit)"
    }
    return "\(bytes)B"
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: Character) -> String {
    var s = Substring(self)
    while s.first == set { s = s.dropFirst() }
    while s.last == set { s = s.dropLast() }
    return String(s)
  }
}

extension Substring {
  fileprivate func trimmingCharacters(in set: Character) -> String { String(self).trimmingCharacters(in: set) }
}

/// A check for positive integers.
@Sendable func positive(_ n: Int) -> String? { n > 0 ? nil : "an integer above zero" }

/// A check for non-empty strings.
@Sendable func nonEmpty(_ s: String) -> String? { s.isEmpty ? "a non-empty string" : nil }
