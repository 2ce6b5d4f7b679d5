// Baselines: accepted findings, keyed by content fingerprint (sha256 of rule id and secret), never
// by line or commit, so an entry survives unrelated edits, moved lines and new commits, and a
// different secret on the same line is still reported. An entry may be scoped to one path.
//
// Format (JSON): {"schema": "agentgate.baseline/1", "entries": [{"fingerprint": "...",
// "rule": "...", "path": "..." (optional)}]}

import Foundation
import GateCore

public struct Baseline: Sendable, Hashable {
  public static let schema = "agentgate.baseline/1"

  public struct Entry: Sendable, Hashable, Codable {
    public var fingerprint: String
    /// The rule, for people reading the file (matching uses the fingerprint, which includes it).
    public var rule: String?
    /// When set, the entry applies only to this path.
    public var path: String?

    public init(fingerprint: String, rule: String? = nil, path: String? = nil) {
      self.fingerprint = fingerprint
      self.rule = rule
      self.path = path
    }
  }

  public private(set) var entries: [Entry]
  private var unscoped: Set<String>
  private var scoped: Set<String>

  public init(entries: [Entry]) {
    var seen = Set<Entry>()
    self.entries = entries.filter { seen.insert($0).inserted }.sorted {
      ($0.fingerprint, $0.path ?? "") < ($1.fingerprint, $1.path ?? "")
    }
    unscoped = Set(entries.filter { $0.path == nil }.map(\.fingerprint))
    scoped = Set(entries.compactMap { e in e.path.map { "\(e.fingerprint)\u{0}\($0)" } })
  }

  /// A baseline accepting `findings`; `scopeToPaths` ties each entry to the finding's path (off by
  /// default so moving a file does not resurface its accepted findings).
  public init(findings: [Finding], scopeToPaths: Bool = false) {
    self.init(
      entries: findings.map { Entry(fingerprint: $0.fingerprint, rule: $0.rule, path: scopeToPaths ? $0.path : nil) })
  }

  public func contains(_ fingerprint: String, path: String? = nil) -> Bool {
    if unscoped.contains(fingerprint) { return true }
    if let path { return scoped.contains("\(fingerprint)\u{0}\(path)") }
    return false
  }

  public var count: Int { entries.count }

  private struct File: Codable {
    var schema: String
    var entries: [Entry]
  }

  /// Reads a baseline file's JSON text.
  public static func load(json text: String) throws(ScanError) -> Baseline {
    let file: File
    do {
      file = try JSONDecoder().decode(File.self, from: Data(text.utf8))
    } catch {
      throw .invalidBaseline(reason: "it is not agentgate baseline JSON (\(error))")
    }
    guard file.schema == schema else {
      throw .invalidBaseline(reason: "schema '\(file.schema)' is not '\(schema)'")
    }
    for e in file.entries where e.fingerprint.count != 64 || !e.fingerprint.allSatisfy(\.isHexDigit) {
      throw .invalidBaseline(reason: "fingerprint '\(e.fingerprint)' is not a sha256 hex digest")
    }
    return Baseline(entries: file.entries)
  }

  /// The baseline as JSON text (stable order, one entry a line).
  public func json() -> String {
    var out = "{\n  \"schema\": \"\(Baseline.schema)\",\n  \"entries\": ["
    for (i, e) in entries.enumerated() {
      out += i == 0 ? "\n" : ",\n"
      out += "    {\"fingerprint\": \(jsonString(e.fingerprint))"
      if let r = e.rule { out += ", \"rule\": \(jsonString(r))" }
      if let p = e.path { out += ", \"path\": \(jsonString(p))" }
      out += "}"
    }
    out += entries.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
    return out
  }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
  var out = "\""
  for u in s.unicodeScalars {
    switch u {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    case "\r": out += "\\r"
    case "\t": out += "\\t"
    default:
      if u.value < 0x20 {
        let hex = String(u.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      } else {
        out.unicodeScalars.append(u)
      }
    }
  }
  return out + "\""
}
