// Commit records: what GitReading copies out of libgit2, and what every later stage reads.
// Plain values, no C types, no I/O.

/// A person or bot identity with the moment it acted.
public struct Signature: Sendable, Hashable, Codable {
  public var name: String
  public var email: String
  /// Seconds since the Unix epoch.
  public var time: Int64
  /// Offset from UTC in minutes.
  public var offsetMinutes: Int

  public init(name: String, email: String, time: Int64 = 0, offsetMinutes: Int = 0) {
    self.name = name
    self.email = email
    self.time = time
    self.offsetMinutes = offsetMinutes
  }
}

/// A `Key: value` line from a commit message.
public struct Trailer: Sendable, Hashable, Codable {
  public var key: String
  public var value: String
  /// True when the line stands in the message's final trailer paragraph (what
  /// `git interpret-trailers --parse` reports); false for a trailer-shaped line elsewhere in the
  /// body, as squash merges carry them.
  public var inTrailerBlock: Bool

  public init(key: String, value: String, inTrailerBlock: Bool = true) {
    self.key = key
    self.value = value
    self.inTrailerBlock = inTrailerBlock
  }
}

/// One commit, or the staged pseudo-commit of a pre-commit hook (`id == nil`).
public struct CommitRecord: Sendable, Hashable, Codable {
  /// Full hex object id; nil for the staged index.
  public var id: String?
  public var parents: [String]
  public var author: Signature
  public var committer: Signature
  /// The raw message decoded to UTF-8 (by its `encoding` header; invalid bytes replaced with U+FFFD).
  public var message: String
  /// The `encoding` header when present.
  public var encoding: String?
  /// Trailers of the final paragraph, then trailer-shaped lines elsewhere in the body.
  public var trailers: [Trailer]

  public init(
    id: String?, parents: [String] = [], author: Signature, committer: Signature,
    message: String, encoding: String? = nil, trailers: [Trailer] = []
  ) {
    self.id = id
    self.parents = parents
    self.author = author
    self.committer = committer
    self.message = message
    self.encoding = encoding
    self.trailers = trailers
  }

  /// The first line of the message.
  public var subject: String {
    message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
  }

  public var isMerge: Bool { parents.count > 1 }

  /// Short id for people (12 hex digits), or "staged".
  public var shortID: String { id.map { String($0.prefix(12)) } ?? "staged" }
}
