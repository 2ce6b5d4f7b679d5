// File changes of one commit: what the scanners, risk rules and reports read.

import Synchronization

/// A Git tree-entry mode, reduced to what the gate cares about.
public enum FileMode: String, Sendable, Hashable, Codable {
  case regular
  case executable
  case symlink
  case submodule
  case tree

  /// From a Git octal mode (0o100644, 0o100755, 0o120000, 0o160000, 0o040000).
  public init?(gitMode: UInt32) {
    switch gitMode {
    case 0o100644, 0o100664: self = .regular
    case 0o100755: self = .executable
    case 0o120000: self = .symlink
    case 0o160000: self = .submodule
    case 0o040000: self = .tree
    default: return nil
    }
  }

  public var gitMode: UInt32 {
    switch self {
    case .regular: 0o100644
    case .executable: 0o100755
    case .symlink: 0o120000
    case .submodule: 0o160000
    case .tree: 0o040000
    }
  }
}

public enum ChangeStatus: String, Sendable, Hashable, Codable {
  case added, deleted, modified, renamed, typeChanged
}

/// Lines of one side of a change, packed for fast scanning: the text of every line joined by
/// `\n` in one byte buffer, with each line's start offset and its line number in its file.
public struct LineBlock: Sendable, Hashable {
  public var bytes: [UInt8]
  /// Byte offset in `bytes` where each line starts; a line ends before the next start's `\n`
  /// (or at the end of `bytes`).
  public var starts: [Int32]
  /// 1-based line number of each line in its file.
  public var numbers: [Int32]

  public init(bytes: [UInt8] = [], starts: [Int32] = [], numbers: [Int32] = []) {
    self.bytes = bytes
    self.starts = starts
    self.numbers = numbers
  }

  /// Builds a block from line texts and their numbers (tests, staged files, plain files).
  public init(lines: [(number: Int, text: String)]) {
    var bytes: [UInt8] = []
    var starts: [Int32] = []
    var numbers: [Int32] = []
    for (i, line) in lines.enumerated() {
      if i > 0 { bytes.append(0x0A) }
      starts.append(Int32(bytes.count))
      numbers.append(Int32(line.number))
      bytes.append(contentsOf: Array(line.text.utf8))
    }
    self.init(bytes: bytes, starts: starts, numbers: numbers)
  }

  public var count: Int { starts.count }
  public var isEmpty: Bool { starts.isEmpty }

  /// Byte range of line `index` (without its newline).
  public func range(ofLine index: Int) -> Range<Int> {
    let start = Int(starts[index])
    let end = index + 1 < starts.count ? Int(starts[index + 1]) - 1 : bytes.count
    return start..<max(start, end)
  }

  /// The text of line `index`, invalid UTF-8 repaired.
  public func text(ofLine index: Int) -> String {
    String(decoding: bytes[range(ofLine: index)], as: UTF8.self)
  }

  /// Index of the line containing byte `offset` (binary search).
  public func lineIndex(containing offset: Int) -> Int {
    var lo = 0
    var hi = starts.count - 1
    while lo < hi {
      let mid = (lo + hi + 1) / 2
      if Int(starts[mid]) <= offset { lo = mid } else { hi = mid - 1 }
    }
    return lo
  }

  /// All lines as (number, text) pairs.
  public var lines: [(number: Int, text: String)] {
    (0..<count).map { (Int(numbers[$0]), text(ofLine: $0)) }
  }
}

/// The added and removed lines of a file change.
public struct LineChanges: Sendable, Hashable {
  public var added: LineBlock
  public var removed: LineBlock
  public init(added: LineBlock = LineBlock(), removed: LineBlock = LineBlock()) {
    self.added = added
    self.removed = removed
  }
}

/// Loads a file change's lines on first use and keeps them. Thread-safe.
public final class LazyLineChanges: Sendable {
  private let loader: @Sendable () throws -> LineChanges
  private let cache = Mutex<LineChanges?>(nil)

  public init(_ loader: @escaping @Sendable () throws -> LineChanges) {
    self.loader = loader
  }

  public convenience init(_ value: LineChanges) {
    self.init { value }
  }

  public func get() throws -> LineChanges {
    if let hit = cache.withLock({ $0 }) { return hit }
    let value = try loader()
    cache.withLock { $0 = value }
    return value
  }
}

/// Why a file's content was not read.
public enum SkipReason: String, Sendable, Hashable, Codable {
  case binary
  case tooLarge = "too-large"
  case submodule
  case unreadable
}

/// One changed path of a commit, against its first parent (merges: lines added relative to every
/// parent).
public struct FileDiff: Sendable {
  public var path: String
  /// Previous path for renames.
  public var oldPath: String?
  public var status: ChangeStatus
  public var oldMode: FileMode?
  public var newMode: FileMode?
  public var oldBlob: String?
  public var newBlob: String?
  public var isBinary: Bool
  public var oldSize: Int
  public var newSize: Int
  /// Target of a symlink on the new side.
  public var symlinkTarget: String?
  /// Set when the content was not read (binary, over the size limit, submodule).
  public var skipped: SkipReason?
  /// Added and removed lines, computed on first use.
  public var changes: LazyLineChanges

  public init(
    path: String, oldPath: String? = nil, status: ChangeStatus, oldMode: FileMode? = nil,
    newMode: FileMode? = nil, oldBlob: String? = nil, newBlob: String? = nil,
    isBinary: Bool = false, oldSize: Int = 0, newSize: Int = 0, symlinkTarget: String? = nil,
    skipped: SkipReason? = nil, changes: LazyLineChanges = LazyLineChanges(LineChanges())
  ) {
    self.path = path
    self.oldPath = oldPath
    self.status = status
    self.oldMode = oldMode
    self.newMode = newMode
    self.oldBlob = oldBlob
    self.newBlob = newBlob
    self.isBinary = isBinary
    self.oldSize = oldSize
    self.newSize = newSize
    self.symlinkTarget = symlinkTarget
    self.skipped = skipped
    self.changes = changes
  }

  /// Convenience for tests and plain-file scans: a change whose lines are already known.
  public init(
    path: String, status: ChangeStatus = .modified, added: [(number: Int, text: String)],
    removed: [(number: Int, text: String)] = [], newMode: FileMode? = .regular
  ) {
    self.init(
      path: path, status: status, newMode: newMode,
      changes: LazyLineChanges(
        LineChanges(added: LineBlock(lines: added), removed: LineBlock(lines: removed))))
  }
}

/// A commit and its file changes: the unit every stage of the pipeline judges.
public struct CommitChange: Sendable {
  public var commit: CommitRecord
  public var files: [FileDiff]
  public init(commit: CommitRecord, files: [FileDiff]) {
    self.commit = commit
    self.files = files
  }
}
